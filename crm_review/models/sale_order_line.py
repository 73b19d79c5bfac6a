from odoo import models


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "crm.review.line.mixin"]

    _review_parent_field = "order_id"
    _review_lines_field = "order_line"
    # Line fields whose change alters what was approved on the order.
    _review_line_fields = frozenset(
        {"product_id", "product_uom_qty", "price_unit", "discount", "tax_ids", "product_uom_id"}
    )
