from odoo import fields, models


class CrmReviewReject(models.TransientModel):
    """Reject wizard (驳回): a reason from the catalog, a comment, where to send back."""

    _name = "crm.review.reject"
    _inherit = ["crm.review.target"]
    _description = "Reject a Review"

    reason_id = fields.Many2one(
        "crm.review.reason",
        domain=[("reason_type", "=", "reject")],
    )
    guidance = fields.Text(related="reason_id.guidance", string="How to fix")
    note = fields.Text("Comment")
    send_back = fields.Selection(
        [("submitter", "To the submitter"), ("previous", "To the previous step")],
        string="Send back",
        required=True,
        default="submitter",
    )

    def action_confirm(self):
        """Reject the current step of the records."""
        self.ensure_one()
        self._records()._review_reject(self.reason_id, note=self.note, send_back=self.send_back)
        return {"type": "ir.actions.act_window_close"}
