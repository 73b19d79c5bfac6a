from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmReviewForward(models.TransientModel):
    """Forward a step to another reviewer, with a comment ("Ask Li, she knows this customer")."""

    _name = "crm.review.forward"
    _inherit = ["crm.review.target"]
    _description = "Forward a Review Step"

    review_id = fields.Many2one(
        "crm.review", "Step", readonly=True, help="The step forwarded, when chosen in the list of steps to review."
    )
    user_id = fields.Many2one(
        "res.users",
        "Forward to",
        domain=lambda self: [
            ("share", "=", False),
            ("id", "!=", self.env.uid),
            ("all_group_ids", "in", self.env.ref("crm_review.group_review_reviewer").ids),
        ],
        help="An active internal user with the Reviewer access, allowed in the record's company.",
    )
    note = fields.Text("Comment")
    keeps_deciding = fields.Boolean(
        "You decide too",
        compute="_compute_keeps_deciding",
        help="The step lets you keep deciding once forwarded; otherwise your place goes to the person chosen.",
    )

    @api.depends("res_model", "res_ids", "review_id")
    def _compute_keeps_deciding(self):
        Review = self.env["crm.review"]
        for wizard in self:
            try:
                records = wizard._records()
            except UserError:
                wizard.keeps_deciding = False
                continue
            chain = records._review_lines()
            allowed, _refused = Review._review_decision_policy(records, chain)
            lines = wizard.review_id.sudo() or Review.sudo().browse([entry[0].id for entry in allowed.values()])
            wizard.keeps_deciding = bool(lines) and all(line._review_forward_keeps() for line in lines)

    def action_confirm(self):
        """Forward the step to the user chosen."""
        self.ensure_one()
        review_ids = self.review_id.ids or None
        records = self._records()
        records._review_forward(self.user_id.id or False, note=self.note, review_ids=review_ids)
        if records._filtered_access("read") != records:
            # Handed over: the record was readable through its review only. Back to the steps to review.
            return self.env["ir.actions.act_window"]._for_xml_id("crm_review.crm_review_action_to_review")
        return {"type": "ir.actions.act_window_close"}
