from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError


class SaleOrderCancelReason(models.TransientModel):
    """Cancel orders with a reason from the catalog (消单)."""

    _name = "sale.order.cancel.reason"
    _description = "Cancel Sale Orders with a Reason"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason_id = fields.Many2one("crm.review.reason", domain=[("reason_type", "=", "cancel")])
    note = fields.Text("Comment")

    def action_confirm(self):
        """Cancel the orders and keep the reason on them and in their chatter."""
        self.ensure_one()
        if not self.reason_id or self.reason_id.reason_type != "cancel":
            raise UserError(self.env._("Choose a cancel reason from the catalog."))
        orders = self.order_ids
        orders.action_cancel()
        orders.write({"cancel_reason_id": self.reason_id.id, "cancel_note": self.note or False})
        body = Markup("%s <b>%s</b>") % (self.env._("Cancelled:"), self.reason_id.name)
        if self.note:
            body += Markup("<br/>%s") % self.note
        for order in orders:
            order.message_post(body=body, subtype_xmlid="mail.mt_note")
        return {"type": "ir.actions.act_window_close"}
