from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain


class CrmReview(models.Model):
    """Reminders (审核提醒) and escalation of overdue review steps, run by ir.cron."""

    _inherit = "crm.review"

    @api.model
    def _reminder_due_domain(self, now):
        return (
            Domain("state", "=", "pending")
            & Domain("escalated", "!=", True)
            & Domain("next_reminder_at", "!=", False)
            & Domain("next_reminder_at", "<=", now)
        )

    @api.model
    def _cron_send_reminders(self, batch_size=500):
        """Remind the reviewers of overdue steps (one digest per person), then escalate.

        Works in committed batches; an interrupted run resumes where it stopped,
        and a step is never reminded twice for the same period.
        """
        now = fields.Datetime.now()
        domain = self._reminder_due_domain(now)
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=self.search_count(domain))
        while True:
            lines = self.search(domain, limit=batch_size, order="next_reminder_at, id")
            if not lines:
                break
            lines._send_reminders(now)
            if not cron._commit_progress(processed=len(lines)):
                break

    def _send_reminders(self, now):
        """Remind or escalate these due lines; one email per reviewer for the whole batch."""
        to_escalate = self.filtered(lambda line: line.reminder_count >= line.rule_id.reminder_max)
        to_remind = self - to_escalate
        if to_escalate:
            to_escalate._escalate_overdue()
        if not to_remind:
            return
        by_user = defaultdict(lambda: self.env["crm.review"])
        for line in to_remind:
            for user in line.reviewer_ids - line.approved_by_ids:
                by_user[user] |= line
        self._send_reminder_digests(by_user)
        for (count, repeat), lines in to_remind.grouped(
            lambda line: (line.reminder_count, line.rule_id.reminder_repeat_hours or 24)
        ).items():
            lines.write({"reminder_count": count + 1, "next_reminder_at": now + timedelta(hours=repeat)})
        self._log_lines("remind")

    def _send_reminder_digests(self, lines_by_user):
        """One email per person listing all their overdue reviews (no flood)."""
        template = self.env.ref("crm_review.mail_template_review_reminder", raise_if_not_found=False)
        if not template:
            return
        base_url = self[:1].get_base_url()
        # The same entry for every reviewer of a line: built once per line, not once per reviewer.
        entries = {
            line.id: {
                "name": line.res_name,
                "step": line.name,
                "since": line.pending_since,
                "url": f"{base_url}/odoo/{line.res_model}/{line.res_id}",
                "approve_url": self.env[line.res_model]
                .browse(line.res_id)
                ._notify_get_action_link("controller", controller=f"/crm_review/approve/{line.res_model}"),
            }
            for line in self.union(*lines_by_user.values())
        }
        for user, lines in lines_by_user.items():
            if not user.email:
                continue
            template.with_context(
                review_lines=[entries[line.id] for line in lines],
                lang=user.lang,
            ).send_mail(user.id, email_layout_xmlid="mail.mail_notification_light")

    def _escalate_overdue(self):
        """Reminded enough: tell the reviewers' managers (or the escalation user, or the admins)."""
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_escalation")
        admins = self.env.ref("crm_review.group_review_manager").all_user_ids.filtered(
            lambda u: not u.share and u.id != 1
        )
        vals, bodies = [], defaultdict(dict)
        for line in self:
            targets = line.rule_id.escalation_user_id or line._reviewer_managers() or admins
            body = self.env._(
                "Step %(step)s has waited since %(since)s despite %(count)s reminders: escalated to %(users)s.",
                step=line.name,
                since=fields.Datetime.to_string(line.pending_since),
                count=line.reminder_count,
                users=", ".join(targets.mapped("name")),
            )
            bodies[line.res_model][line.res_id] = body
            vals += [
                {
                    "res_model": line.res_model,
                    "res_id": line.res_id,
                    "activity_type_id": activity_type_id,
                    "user_id": target.id,
                    "summary": self.env._("Overdue review: %(step)s", step=line.name),
                    "note": body,
                }
                for target in targets
            ]
        self.write({"escalated": True})
        self.env["mail.activity"]._review_create(vals)
        self._log_lines("escalate", notes={line.id: bodies[line.res_model][line.res_id] for line in self})
        for model, model_bodies in bodies.items():
            self.env[model].browse(list(model_bodies))._review_post(
                {res_id: Markup("%s") % body for res_id, body in model_bodies.items()}
            )

    def _reviewer_managers(self):
        """Managers of the reviewers (needs the Employees app), else nobody."""
        self.ensure_one()
        if "employee_id" not in self.env["res.users"]._fields:
            return self.env["res.users"]
        return self.reviewer_ids.employee_id.parent_id.user_id

    def _log_lines(self, action, notes=None):
        """Audit-trail rows for these lines, in one batch."""
        Log = self.env["crm.review.log"].sudo()
        notes = notes or {}
        Log.create(
            [
                Log._entry(
                    action,
                    line.res_model,
                    line.res_id,
                    line.res_name,
                    line.company_id.id,
                    line=line,
                    note=notes.get(line.id),
                )
                for line in self
            ]
        )
