from odoo import api, models

# Line fields whose change alters what was approved on the contract.
REVIEWED_LINE_FIELDS = {
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


class ContractLine(models.Model):
    _inherit = "contract.line"

    @api.model_create_multi
    def create(self, vals_list):
        contract_ids = {vals["contract_id"] for vals in vals_list if vals.get("contract_id")}
        self.env["contract.contract"].browse(contract_ids)._review_check_lines_editable("contract_line_ids")
        lines = super().create(vals_list)
        lines.contract_id._review_on_lines_changed("contract_line_ids")
        return lines

    def write(self, vals):
        contracts = self.contract_id if REVIEWED_LINE_FIELDS & set(vals) else self.contract_id.browse()
        contracts._review_check_lines_editable("contract_line_ids")
        result = super().write(vals)
        contracts._review_on_lines_changed("contract_line_ids")
        return result

    def unlink(self):
        contracts = self.contract_id
        contracts._review_check_lines_editable("contract_line_ids")
        result = super().unlink()
        contracts._review_on_lines_changed("contract_line_ids")
        return result
