from odoo import api, models
from odoo.exceptions import UserError


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_review_step(self):
        steps = (
            self.env["crm.review.step"].sudo().with_context(active_test=False).search([("group_id", "in", self.ids)])
        )
        if steps:
            raise UserError(
                self.env._(
                    "%(groups)s approve review steps (%(steps)s): choose other reviewers for these steps first.",
                    groups=", ".join(steps.group_id.mapped("name")),
                    steps=", ".join(f"{step.rule_id.name} / {step.name}" for step in steps),
                )
            )
