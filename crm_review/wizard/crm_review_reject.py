from odoo import api, fields, models
from odoo.exceptions import UserError


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

    @api.model_create_multi
    def create(self, vals_list):
        # A wrong value would otherwise reach the ORM's selection check as a raw ValueError.
        allowed = dict(self._fields["send_back"]._description_selection(self.env))
        for vals in vals_list:
            reason = vals.get("reason_id")
            if reason and (not isinstance(reason, int) or isinstance(reason, bool) or not 0 < reason < 2**31):
                raise UserError(self.env._("The rejection reason must be chosen from the catalog."))
            if vals.get("send_back") and vals["send_back"] not in allowed:
                raise UserError(
                    self.env._(
                        "Send back must be one of: %(choices)s.",
                        choices=", ".join(f"{key} ({label})" for key, label in allowed.items()),
                    )
                )
        return super().create(vals_list)

    def action_confirm(self):
        """Reject the current step of the records."""
        self.ensure_one()
        self._records()._review_reject(self.reason_id, note=self.note, send_back=self.send_back)
        return {"type": "ir.actions.act_window_close"}
