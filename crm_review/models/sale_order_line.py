from odoo import api, models

# Line fields whose change alters what was approved on the order.
REVIEWED_LINE_FIELDS = {"product_id", "product_uom_qty", "price_unit", "discount", "tax_ids", "product_uom_id"}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        order_ids = {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        self.env["sale.order"].browse(order_ids)._review_check_lines_editable("order_line")
        lines = super().create(vals_list)
        lines.order_id._review_on_lines_changed("order_line")
        return lines

    def write(self, vals):
        orders = self.order_id if REVIEWED_LINE_FIELDS & set(vals) else self.order_id.browse()
        orders._review_check_lines_editable("order_line")
        result = super().write(vals)
        orders._review_on_lines_changed("order_line")
        return result

    def unlink(self):
        orders = self.order_id
        orders._review_check_lines_editable("order_line")
        result = super().unlink()
        orders._review_on_lines_changed("order_line")
        return result
