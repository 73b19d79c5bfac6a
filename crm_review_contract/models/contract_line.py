from odoo import models


class ContractLine(models.Model):
    _name = "contract.line"
    _inherit = ["contract.line", "crm.review.line.mixin"]

    _review_parent_field = "contract_id"
    _review_lines_field = "contract_line_ids"
    # Line fields whose change alters what was approved on the contract.
    _review_line_fields = frozenset(
        {
            "product_id",
            "name",
            "quantity",
            "price_unit",
            "specific_price",
            "discount",
            "uom_id",
            "date_start",
            "date_end",
            "recurring_rule_type",
            "recurring_interval",
        }
    )
