from odoo import fields, models


class CrmReviewApprove(models.TransientModel):
    """Approve with a comment, for steps that require one."""

    _name = "crm.review.approve"
    _inherit = ["crm.review.target"]
    _description = "Approve a Review"

    note = fields.Text("Comment", required=True)

    def action_confirm(self):
        """Approve the current step of the records with the comment."""
        self.ensure_one()
        self._records().with_context(crm_review_no_wizard=True).action_review_approve(comment=self.note)
        return {"type": "ir.actions.act_window_close"}
