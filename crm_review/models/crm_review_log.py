from odoo import api, fields, models
from odoo.exceptions import AccessError

LOG_ACTIONS = [
    ("submit", "Submitted"),
    ("approve", "Approved"),
    ("reject", "Rejected"),
    ("recall", "Recalled"),
    ("escalate", "Escalated"),
    ("reset", "Sent back to draft"),
    ("skip", "Step skipped"),
    ("remind", "Reminded"),
]


class CrmReviewLog(models.Model):
    """Audit trail: one immutable row per review event."""

    _name = "crm.review.log"
    _description = "Review Audit Trail"
    _order = "date desc, id desc"
    _rec_name = "action"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", required=True, readonly=True, index=True)
    res_name = fields.Char("Document", readonly=True)
    review_id = fields.Many2one("crm.review", "Step", readonly=True, ondelete="cascade")
    step_name = fields.Char("Step name", readonly=True)
    rule_id = fields.Many2one("crm.review.rule", readonly=True, ondelete="set null")
    action = fields.Selection(LOG_ACTIONS, required=True, readonly=True)
    user_id = fields.Many2one("res.users", "By", required=True, readonly=True, default=lambda self: self.env.user)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    reason_id = fields.Many2one("crm.review.reason", readonly=True, ondelete="restrict")
    note = fields.Text("Comment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    @api.model
    def _entry(self, action, res_model, res_id, res_name, company_id, line=None, reason=None, note=None):
        """Values of one audit-trail row (created in batches by the review engine)."""
        return {
            "res_model": res_model,
            "res_id": res_id,
            "res_name": res_name,
            "review_id": line.id if line else False,
            "step_name": line.name if line else False,
            "rule_id": line.rule_id.id if line else False,
            "action": action,
            "user_id": self.env.uid,
            "date": fields.Datetime.now(),
            "reason_id": reason.id if reason else False,
            "note": note or False,
            "company_id": company_id or False,
        }

    def write(self, vals):
        # sudo() bypasses the access rules; the trail stays immutable for everybody.
        if self:
            raise AccessError(self.env._("The review audit trail cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_with_record(self):
        if not self.env.context.get("crm_review_unlink_with_record"):
            raise AccessError(self.env._("The review audit trail cannot be deleted."))
