from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.email_reply import DECIDED_BY_EMAIL

# Only ``_delete_with_records`` and ``_move_to_record`` hold this object; no RPC call can put it in a context.
_DELETE_WITH_RECORD = object()

LOG_ACTIONS = [
    ("submit", "Submitted"),
    ("approve", "Approved"),
    ("reject", "Rejected"),
    ("recall", "Recalled"),
    ("escalate", "Escalated"),
    ("reset", "Sent back to draft"),
    ("skip", "Step skipped"),
    ("remind", "Reminded"),
    ("forward", "Forwarded"),
    ("revoke", "Decision revoked"),
    ("reassign", "Reviewer replaced"),
]


class CrmReviewLog(models.Model):
    """Audit trail: one immutable row per review event."""

    _name = "crm.review.log"
    _inherit = ["crm.review.record.access"]
    _description = "Review Audit Trail"
    _order = "date desc, id desc"
    _rec_name = "action"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", required=True, readonly=True, index=True)
    res_name = fields.Char("Document", readonly=True)
    review_id = fields.Many2one("crm.review", "Review step", readonly=True, ondelete="cascade")
    step_name = fields.Char("Step name", readonly=True, help="The step's name when the event was logged.")
    step_label = fields.Char("Step", compute="_compute_step_label", help="The step's name in the reader's language.")
    rule_id = fields.Many2one("crm.review.rule", readonly=True, ondelete="set null")
    action = fields.Selection(LOG_ACTIONS, required=True, readonly=True)
    user_id = fields.Many2one("res.users", "By", required=True, readonly=True, default=lambda self: self.env.user)
    substitute_for_id = fields.Many2one(
        "res.users", "As substitute for", readonly=True, help="The reviewer the decision was taken for."
    )
    to_user_id = fields.Many2one(
        "res.users", "To", readonly=True, help="Who the step was forwarded to, or the reviewer who replaced another."
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    reason_id = fields.Many2one("crm.review.reason", readonly=True, ondelete="restrict")
    note = fields.Text("Comment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    by_email = fields.Boolean("By email reply", readonly=True, help="Decided by answering a review email.")

    @api.depends("step_name", "review_id.step_label")
    @api.depends_context("lang")
    def _compute_step_label(self):
        # The user reads the rows, hence the steps they are about: one read for all.
        lines = self.sudo().review_id
        labels = {line.id: line.step_label for line in lines}
        for row in self:
            row.step_label = labels.get(row.review_id.id) or row.step_name

    @api.model
    def _entry(
        self, action, res_model, res_id, res_name, company_id, line=None, reason=None, note=None, substitute_for_id=None
    ):
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
            "substitute_for_id": substitute_for_id or False,
            "date": fields.Datetime.now(),
            "reason_id": reason.id if reason else False,
            "note": note or False,
            "company_id": company_id or False,
            "by_email": self.env.context.get("crm_review_by_email") is DECIDED_BY_EMAIL,
        }

    @api.model
    def _log(self, records, action, lines=None, reason=None, notes=None, names=None, substitute_for=None):
        """Append audit-trail rows, one per record of ``records`` (about its line when ``lines`` has one).

        :param notes: {record id: note}
        :param names: {record id: display name}, when already known (saves reading the records)
        :param substitute_for: {record id: id of the reviewer the user decided for as a substitute}
        """
        line_of = {line.res_id: line for line in (lines or [])}
        notes = notes or {}
        substitute_for = substitute_for or {}
        if names is None:
            names = {record.id: record.display_name for record in records.sudo()}
        has_company = "company_id" in records._fields
        vals_list = []
        for record in records:
            line = line_of.get(record.id)
            if line:
                company_id = line.company_id.id
            else:
                company_id = record.sudo().company_id.id if has_company else False
            vals_list.append(
                self._entry(
                    action,
                    records._name,
                    record.id,
                    names.get(record.id),
                    company_id,
                    line=line,
                    reason=reason,
                    note=notes.get(record.id),
                    substitute_for_id=substitute_for.get(record.id),
                )
            )
        return self.sudo().create(vals_list)

    @api.model
    def _log_lines(self, action, lines, notes=None, to_user=None, substitute_for=None):
        """Append audit-trail rows, one per review line (several steps of a record may be concerned).

        :param notes: {line id: note}
        :param to_user: res.users the steps went to (forwarded to, replaced by)
        :param substitute_for: {line id: id of the reviewer the user acted for as a substitute}
        """
        notes = notes or {}
        substitute_for = substitute_for or {}
        vals_list = []
        for line in lines:
            vals = self._entry(
                action,
                line.res_model,
                line.res_id,
                line.res_name,
                line.company_id.id,
                line=line,
                note=notes.get(line.id),
                substitute_for_id=substitute_for.get(line.id),
            )
            vals["to_user_id"] = to_user.id if to_user else False
            vals_list.append(vals)
        return self.sudo().create(vals_list)

    def write(self, vals):
        # sudo() bypasses the access rules; the trail stays immutable for everybody.
        moving = set(vals) == {"res_id"} and self.env.context.get("crm_review_delete") is _DELETE_WITH_RECORD
        if self and not moving:
            raise AccessError(self.env._("The review audit trail cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_with_record(self):
        if self.env.context.get("crm_review_delete") is not _DELETE_WITH_RECORD:
            raise AccessError(self.env._("The review audit trail cannot be deleted."))

    @api.model
    def _move_to_record(self, res_model, res_ids, dst_id):
        """Records merged into ``dst_id`` (contacts merge): their trail goes with them."""
        rows = self.sudo().search([("res_model", "=", res_model), ("res_id", "in", list(res_ids))])
        rows.with_context(crm_review_delete=_DELETE_WITH_RECORD).write({"res_id": dst_id})

    @api.model
    def _delete_with_records(self, res_model, res_ids):
        """Delete the trail of records being deleted: the only way rows go."""
        rows = self.sudo().search([("res_model", "=", res_model), ("res_id", "in", list(res_ids))])
        rows.with_context(crm_review_delete=_DELETE_WITH_RECORD).unlink()
