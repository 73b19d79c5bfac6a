from markupsafe import Markup

from odoo import api, fields, models


class CrmReviewReassign(models.TransientModel):
    """Replace a reviewer by another on every open step (someone left, or changed job)."""

    _name = "crm.review.reassign"
    _description = "Replace a Reviewer"

    from_user_id = fields.Many2one(
        "res.users",
        "Replace",
        domain=[("share", "=", False)],
        context={"active_test": False},
        help="The reviewer who no longer reviews (archived users too).",
    )
    to_user_id = fields.Many2one(
        "res.users",
        "By",
        domain=lambda self: [
            ("share", "=", False),
            ("all_group_ids", "in", self.env.ref("crm_review.group_review_reviewer").ids),
        ],
        help="An active internal user with the Reviewer access.",
    )
    steps_too = fields.Boolean(
        "Also in the review rules", default=True, help="Name the new reviewer instead in the rules' steps too."
    )
    note = fields.Text("Comment")
    line_ids = fields.Many2many("crm.review", string="Steps replaced", compute="_compute_preview")
    line_count = fields.Integer("Open steps replaced", compute="_compute_preview")
    refused_count = fields.Integer("Steps kept", compute="_compute_preview")
    step_count = fields.Integer("Rule steps changed", compute="_compute_preview")
    refused_html = fields.Html("Not replaced", compute="_compute_preview", sanitize=True)

    @api.depends("from_user_id", "to_user_id", "steps_too")
    def _compute_preview(self):
        Review = self.env["crm.review"]
        for wizard in self:
            old, new = wizard.from_user_id, wizard.to_user_id
            lines, refused = Review.browse(), {}
            steps, refused_steps = self.env["crm.review.step"], {}
            if old and new and old != new:
                lines, refused = Review._review_reassign_candidates(old)._review_reassign_plan(old, new)
                if wizard.steps_too:
                    steps, refused_steps = Review._review_reassign_steps(old, new)
            wizard.line_ids = lines.with_env(self.env)
            wizard.line_count = len(lines)
            wizard.refused_count = len(refused)
            wizard.step_count = len(steps)
            rows = [
                Markup("<li>%s, %s: %s</li>") % (line.res_name, line._review_step_name(), why)
                for line, why in refused.items()
            ] + [
                Markup("<li>%s %s, %s: %s</li>") % (self.env._("Rule"), step.rule_id.name, step.name, why)
                for step, why in refused_steps.items()
            ]
            wizard.refused_html = Markup("<ul>%s</ul>") % Markup().join(rows) if rows else False

    def action_confirm(self):
        """Replace the reviewer on the open steps listed (checked again, under lock) and in the rules."""
        self.ensure_one()
        lines, steps = self.env["crm.review"]._review_reassign(
            self.from_user_id, self.to_user_id, note=self.note, steps_too=self.steps_too
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(old)s replaced by %(new)s on %(lines)s open steps and %(steps)s rule steps.",
                    old=self.from_user_id.name,
                    new=self.to_user_id.name,
                    lines=len(lines),
                    steps=len(steps),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
