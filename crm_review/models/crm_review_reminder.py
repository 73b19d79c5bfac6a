import calendar
import re
import uuid
from collections import defaultdict
from datetime import timedelta
from urllib.parse import quote, urlencode

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, consteq, mute_logger
from odoo.tools.misc import format_amount, format_datetime, hmac

# A digest lists at most this many reviews, the most overdue first; the rest is "and N more".
DIGEST_MAX_LINES = 50


# The reference a reply carries (in In-Reply-To / References, or the subject of a reply link):
# crmreview-<line id>-<user id>-<activation>-<signature>, signed with the database secret.
REPLY_TOKEN = re.compile(r"crmreview-(\d{1,10})-(\d{1,10})-(\d{1,12})-([0-9a-f]{32})")
# The Message-Id of a digest: a reply to it names no single step.
DIGEST_TOKEN = re.compile(r"crmreview-digest-\d+")

# Batches started again after a concurrent decision, before the run leaves the rest to the next one.
MAX_CONFLICTS = 3


class CrmReview(models.Model):
    """Reminders (审核提醒) and escalation of overdue review steps, run by ir.cron."""

    _inherit = "crm.review"

    reminder_digest_due = fields.Boolean(
        readonly=True,
        copy=False,
        help="Reminded in the current run: its reviewers get it in their digest at the end of the run.",
    )

    _reminder_digest_due_idx = models.Index("(id) WHERE reminder_digest_due")

    notify_due = fields.Boolean(
        readonly=True,
        copy=False,
        help="Became a reviewer's turn: reviewers who want an email get one at the next run of the notification job.",
    )

    _notify_due_idx = models.Index("(id) WHERE notify_due")

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
        """Remind the reviewers of overdue steps (one digest per person and run), then escalate.

        Due steps are marked in committed batches; the digests of everything
        marked are sent once no step is due any more, in one transaction that
        also clears the marks. A call stopped by the scheduler's time budget
        (or interrupted) leaves its marks, and the call that finishes the steps
        sends them: no step is lost, none is reminded twice for the same
        period, and nobody gets a digest per call.
        """
        now = fields.Datetime.now()
        domain = self._reminder_due_domain(now)
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=self.search_count(domain))
        conflicts = 0
        all_marked = False
        while conflicts <= MAX_CONFLICTS:
            try:
                lines = self._reminder_lock_batch(domain, batch_size)
                if not lines:
                    all_marked = True
                    break
                lines._send_reminders(now)
                # Written now, inside the try: a conflict shows here, not in the commit below.
                self.env.flush_all()
            except psycopg2.errors.SerializationFailure:
                # A reviewer decided on one of these steps meanwhile: start the batch again on fresh data.
                self.env.cr.rollback()
                conflicts += 1
                continue
            if not cron._commit_progress(processed=len(lines)):
                break
        if not all_marked:
            # Out of time or of retries: the scheduler calls again, and the last call sends the digests.
            return
        try:
            self._send_pending_digests()
            self.env.flush_all()
        except psycopg2.errors.SerializationFailure:
            # The marks stay: the next run sends these digests.
            self.env.cr.rollback()
        cron._commit_progress()

    @api.model
    def _cron_notify_new_steps(self):
        """Email each reviewer who wants it the steps that became theirs since the last run.

        One step: Odoo's "assigned to you" email of its to-do; several: one list
        of all of them (a list submitted at once makes one email, not one per
        record). Steps decided meanwhile are left out.
        """
        for _attempt in range(MAX_CONFLICTS + 1):
            try:
                lines = self._reminder_lock_batch(Domain("notify_due", "=", True), None)
                lines.filtered(lambda line: line.state == "pending")._send_new_step_emails()
                lines.write({"notify_due": False})
                self.env.flush_all()
                return
            except psycopg2.errors.SerializationFailure:
                # A reviewer decided on one of these steps meanwhile: start again on fresh data.
                self.env.cr.rollback()

    def _send_new_step_emails(self):
        new_steps = defaultdict(list)
        for line in self:
            for user in line._review_waiting_reviewers():
                new_steps[user].append(line.id)
        to_email = {user: self.browse(ids) for user, ids in new_steps.items() if user._review_wants_email()}
        single = {user: lines for user, lines in to_email.items() if len(lines) == 1}
        # Where the company lets reviewers decide by replying, the email is one they can answer.
        replyable = self.union(*single.values())._review_reply_enabled() if single else {}
        by_reply = {user: lines for user, lines in single.items() if replyable[lines.id]}
        if by_reply:
            self._send_reply_turn_emails(by_reply)
            single = {user: lines for user, lines in single.items() if user not in by_reply}
        if single:
            wanted = {(user.id, lines.res_model, lines.res_id) for user, lines in single.items()}
            todos = self.env["mail.activity"]
            for model, lines in self.grouped("res_model").items():
                todos |= self.env["crm.review.notifier"]._find_todos(
                    model, set(lines.mapped("res_id")), ["review"], self.env["res.users"].union(*single)
                )
            todos.filtered(lambda todo: (todo.user_id.id, todo.res_model, todo.res_id) in wanted).action_notify()
        several = {user: lines for user, lines in to_email.items() if len(lines) > 1}
        if several:
            self._send_reminder_digests(several)

    @api.model
    def _reminder_lock_batch(self, domain, limit):
        """The next due lines, locked for this run; lines a reviewer is deciding on right now are skipped."""
        self.flush_model()
        query = self._search(domain, limit=limit, order="next_reminder_at, id")
        # A step a decision changed since this transaction began fails the lock with a serialization
        # error: the callers start again on fresh data, so it is not an error for the server log.
        with mute_logger("odoo.sql_db"):
            rows = self.env.execute_query(SQL("%s FOR UPDATE SKIP LOCKED", query.select()))
        return self.browse([row[0] for row in rows])

    def _send_reminders(self, now):
        """Escalate these due lines or mark them for this run's digests."""
        to_escalate = self.filtered(lambda line: line.reminder_count >= line.rule_id.reminder_max)
        to_remind = self - to_escalate
        if to_escalate:
            to_escalate._escalate_overdue()
        if not to_remind:
            return
        for (count, repeat), lines in to_remind.grouped(
            lambda line: (line.reminder_count, line.rule_id.reminder_repeat_hours or 24)
        ).items():
            lines.write(
                {
                    "reminder_count": count + 1,
                    "next_reminder_at": now + timedelta(hours=repeat),
                    "reminder_digest_due": True,
                }
            )
        to_remind._log_lines("remind")

    @api.model
    def _send_pending_digests(self):
        """Send one digest per reviewer for every line marked, then clear the marks."""
        marked = self.search([("reminder_digest_due", "=", True)])
        if not marked:
            return
        by_user = defaultdict(list)
        # Decided since it was marked: nothing left to remind.
        for line in marked.filtered(lambda line: line.state == "pending"):
            for user in line.reviewer_ids - line.approved_by_ids:
                by_user[user].append(line.id)
        self._send_reminder_digests({user: self.browse(ids) for user, ids in by_user.items()})
        marked.write({"reminder_digest_due": False})

    def _send_reminder_digests(self, lines_by_user):
        """One email per person listing their overdue reviews, most overdue first (no flood)."""
        template = self.env.ref("crm_review.mail_template_review_reminder", raise_if_not_found=False)
        if not template:
            return
        base_url = self[:1].get_base_url()
        list_url = f"{base_url}/odoo/action-crm_review.crm_review_action_to_review"
        now = fields.Datetime.now()
        shown_by_user = {
            user: lines.sorted(lambda line: (line.pending_since or now, line.id))[:DIGEST_MAX_LINES]
            for user, lines in lines_by_user.items()
            if user.email
        }
        # Only what the emails show is read: a screenful per person, however many steps wait.
        details = self.union(*shown_by_user.values())._digest_details()
        for user, shown in shown_by_user.items():
            lines = lines_by_user[user]
            reply_values, reply_links = shown._review_digest_reply_values(user)
            template.with_context(
                review_lines=[
                    dict(
                        details[line.id],
                        step=line.with_context(lang=user.lang)._review_step_name(),
                        # Shown in the reviewer's own time zone and language.
                        since=format_datetime(self.env, line.pending_since, tz=user.tz, lang_code=user.lang)
                        if line.pending_since
                        else "",
                        overdue_days=(now - line.pending_since).days if line.pending_since else 0,
                        url=f"{base_url}/odoo/{line.res_model}/{line.res_id}",
                        # The approve link is the reviewer's own: signed for this step and this person.
                        approve_url=base_url + line._review_approve_link(user),
                        # Decide by replying: this step's own reply link (mailto:), when the company allows it.
                        reply_url=reply_links.get(line.id),
                    )
                    for line in shown
                ],
                review_more=len(lines) - len(shown),
                review_list_url=list_url,
                lang=user.lang,
            ).send_mail(user.id, email_layout_xmlid=False, email_values=reply_values or None)

    def _digest_details(self):
        """{line id: record name, customer, amount and submitter} for the digest, read per model in one batch."""
        details = {}
        for model, lines in self.grouped("res_model").items():
            Model = self.env[model].sudo().with_context(active_test=False)
            # Iterating the batch keeps its prefetching: one read for all records, one for their customers.
            records = {record.id: record for record in Model.browse(set(lines.mapped("res_id"))).exists()}
            has_partner = "partner_id" in Model._fields
            has_amount = "amount_total" in Model._fields
            for line in lines:
                record = records.get(line.res_id, Model)
                customer = record.partner_id if has_partner else (record if model == "res.partner" else False)
                amount = ""
                if has_amount and record:
                    amount = format_amount(self.env, record.amount_total, record.currency_id)
                details[line.id] = {
                    "name": line.res_name,
                    "customer": customer.display_name if customer else "",
                    "amount": amount,
                    "submitter": line.submitter_id.name or "",
                }
        return details

    def _review_approve_token(self, user_id):
        """Signature of the approve link of this step sent to ``user_id``.

        It covers the activation of the step (``pending_since``): a link of an
        earlier submission or activation never matches the step waiting now.
        """
        self.ensure_one()
        message = (self.id, user_id, fields.Datetime.to_string(self.pending_since))
        return hmac(self.env(su=True), "crm_review.approve_link", message)

    def _review_approve_link(self, user):
        """Path of the page where ``user`` confirms the approval of this step (see controllers/main.py)."""
        self.ensure_one()
        query = urlencode({"user_id": user.id, "token": self._review_approve_token(user.id)})
        return f"/crm_review/approve/{self.id}?{query}"

    def _escalate_overdue(self):
        """Reminded enough: tell the escalation user, the managers or the company's review administrators.

        Who is told follows the one escalation policy (``crm.review.notifier._escalation_targets``);
        each reads the to-do in their language, with the times in their time zone.
        """
        notifier = self.env["crm.review.notifier"]
        targets = notifier._escalation_targets(self)

        def texts(line, env):
            summary = env._("Overdue review: %(step)s", step=line.with_context(lang=env.lang)._review_step_name())
            return summary, line._overdue_escalation_text(targets[line.id], env)

        self.write({"escalated": True})
        notifier._assign_todos(
            "escalation", [(line.res_model, line.res_id, targets[line.id], line) for line in self], texts
        )
        # The chatter and the audit trail keep one text, in the language and time zone of the job.
        notes = {line.id: line._overdue_escalation_text(targets[line.id], self.env) for line in self}
        self._log_lines("escalate", notes=notes)
        for model, lines in self.grouped("res_model").items():
            # Parallel steps of a record escalated together: one note for the record, one sentence each.
            bodies = defaultdict(list)
            for line in lines:
                bodies[line.res_id].append(Markup("%s") % notes[line.id])
            notifier._post(
                self.env[model].browse(lines.mapped("res_id")),
                {res_id: Markup("<br/>").join(texts) for res_id, texts in bodies.items()},
            )

    def _overdue_escalation_text(self, targets, env):
        """Why this overdue line was escalated to ``targets``, in ``env``'s language and time zone."""
        self.ensure_one()
        values = {
            "step": self.with_context(lang=env.lang)._review_step_name(),
            "since": format_datetime(env, self.pending_since, tz=env.context.get("tz"), lang_code=env.lang),
            "count": self.reminder_count,
        }
        if not targets:
            return env._(
                "Step %(step)s has waited since %(since)s despite %(count)s reminders, with nobody to escalate to: "
                "no escalation user, no manager of its reviewers and no review administrator in %(company)s.",
                company=self.company_id.name or env._("any company"),
                **values,
            )
        return env._(
            "Step %(step)s has waited since %(since)s despite %(count)s reminders: escalated to %(users)s.",
            users=targets._review_names(),
            **values,
        )

    def _log_lines(self, action, notes=None):
        """Audit-trail rows for these lines, in one batch."""
        self.env["crm.review.log"]._log_lines(action, self, notes=notes)

    # ------------------------------------------------------------------
    # Deciding by email reply (crm.review.mail.reply): the signed reference of one activation of a step for one reviewer
    # ------------------------------------------------------------------

    def _review_reply_activation(self):
        """This activation of the step: a step re-opened later (sent back, resubmitted) has another one."""
        self.ensure_one()
        return calendar.timegm(self.pending_since.timetuple()) if self.pending_since else 0

    @api.model
    def _review_reply_signature(self, line_id, user_id, activation):
        return hmac(self.env(su=True), "crm_review.email_reply", (int(line_id), int(user_id), int(activation)))[:32]

    def _review_reply_token(self, user):
        """The reference of this step's current activation, for ``user`` only."""
        self.ensure_one()
        activation = self._review_reply_activation()
        signature = self._review_reply_signature(self.id, user.id, activation)
        return f"crmreview-{self.id}-{user.id}-{activation}-{signature}"

    @api.model
    def _review_reply_tokens_in(self, texts):
        """({(line id, user id, activation)} of the genuine references found in ``texts``,
        whether a forged or altered reference was seen, whether a digest's Message-Id was seen)."""
        genuine, forged, digest = set(), False, False
        for text in texts:
            text = text or ""
            digest = digest or bool(DIGEST_TOKEN.search(text))
            for line_id, user_id, activation, signature in REPLY_TOKEN.findall(text):
                if consteq(self._review_reply_signature(line_id, user_id, activation), signature):
                    genuine.add((int(line_id), int(user_id), int(activation)))
                else:
                    forged = True
        return genuine, forged, digest

    @api.model
    def _review_reply_alias(self):
        """The review alias replies go to, when it has a full address (an alias domain); else empty."""
        alias = self.env.ref("crm_review.mail_alias_review", raise_if_not_found=False)
        alias = alias.sudo() if alias else self.env["mail.alias"]
        return alias if alias.alias_domain_id and alias.alias_name else self.env["mail.alias"]

    def _review_reply_enabled(self):
        """{line id: True when its reviewers may decide it by replying} (company switch, and an alias)."""
        if not self._review_reply_alias():
            return dict.fromkeys(self.ids, False)
        return self.env["res.company"]._review_setting_by_record(self, "review_email_reply")

    def _review_reply_mailto(self, user, address):
        """A mailto: link answering this step as ``user``: to the review alias, the reference in the subject."""
        self.ensure_one()
        subject = f"Re: {self.res_name} [{self._review_reply_token(user)}]"
        return f"mailto:{address}?subject={quote(subject)}&body={quote('Approve' + chr(10) + chr(10))}"

    @api.model
    def _review_reply_message_id(self, reference, alias):
        """A unique Message-Id carrying ``reference``: replies quote it in In-Reply-To and References."""
        return f"<{reference}.{uuid.uuid4().hex[:12]}@{alias.alias_domain_id.name}>"

    @api.model
    def _review_reply_reasons(self, user):
        """Names of the rejection reasons ``user`` may give, in their language."""
        reasons = (
            self.env["crm.review.reason"]
            .with_user(user)
            .with_context(lang=user.lang)
            .search_fetch([("reason_type", "=", "reject")], ["name"])
        )
        return reasons.mapped("name")

    def _send_reply_turn_emails(self, lines_by_user):
        """The "your turn" email of one step, to be answered by email: reply-to the review alias, the step's
        reference in its Message-Id (see ``crm.review.mail.reply``)."""
        template = self.env.ref("crm_review.mail_template_review_reply_turn", raise_if_not_found=False)
        alias = self._review_reply_alias()
        if not template or not alias:
            return
        base_url = self[:1].get_base_url()
        lines = self.union(*lines_by_user.values())
        details = lines._digest_details()
        for user, line in lines_by_user.items():
            reference = line._review_reply_token(user)
            template.with_context(
                review_line=dict(
                    details[line.id],
                    step=line.with_context(lang=user.lang)._review_step_name(),
                    since=format_datetime(self.env, line.pending_since, tz=user.tz, lang_code=user.lang)
                    if line.pending_since
                    else "",
                    url=f"{base_url}/odoo/{line.res_model}/{line.res_id}",
                    approve_url=base_url + line._review_approve_link(user),
                    reply_url=line._review_reply_mailto(user, alias.alias_full_name),
                    reference=reference,
                ),
                review_reasons=self._review_reply_reasons(user),
                lang=user.lang,
            ).send_mail(
                user.id,
                email_layout_xmlid=False,
                email_values={
                    "reply_to": alias.alias_full_name,
                    "message_id": self._review_reply_message_id(reference, alias),
                },
            )

    def _review_digest_reply_values(self, user):
        """(email values, {line id: mailto link}) of a digest to ``user``: each step its own reply link, and
        a reply to the digest itself reaching the review alias, to be told it names no single step."""
        enabled = self._review_reply_enabled()
        replyable = self.filtered(lambda line: enabled[line.id])
        if not replyable:
            return {}, {}
        alias = self._review_reply_alias()
        links = {line.id: line._review_reply_mailto(user, alias.alias_full_name) for line in replyable}
        reference = f"crmreview-digest-{user.id}"
        values = {"reply_to": alias.alias_full_name, "message_id": self._review_reply_message_id(reference, alias)}
        return values, links
