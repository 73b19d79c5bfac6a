import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import html2plaintext, split_every

_logger = logging.getLogger(__name__)

# Offsets and windows beyond ten years are typing errors, and overflow the date arithmetic.
MAX_DAYS = 3650
# Rolling periods, counted from the last reminder of a record.
PERIODS = {"daily": relativedelta(days=1), "weekly": relativedelta(weeks=1), "monthly": relativedelta(months=1)}
# What the reminder job writes on a rule: not a change of the rule, so not a change of who it sends as.
RUN_FIELDS = {"last_error", "last_run_note"}


class CrmReviewReminderRule(models.Model):
    """Date-driven follow-ups: "contract ends in 30 days", "not reviewed for a month"..."""

    _name = "crm.review.reminder.rule"
    _description = "Reminder Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Only records of this company (and records without company), reminded to users of this company "
        "only. Empty: every company. Days are counted in the company's calendar: the time zone of the "
        "company's contact, else that of the user the scheduled job runs as (for a rule of every company, "
        "the calendar of the record's company).",
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
    )
    model = fields.Char(related="model_id.model", store=True)
    domain = fields.Text(string="Condition", default="[]", required=True)
    date_source = fields.Selection(
        [("field", "Date field"), ("last_approval", "Last approval (review history)")],
        string="Date",
        required=True,
        default="field",
        help="Last approval: the date the record was last approved, from the review history.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Date field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime')), ('store', '=', True)]",
    )
    offset_days = fields.Integer(
        "Offset (days)",
        help="Days after the date (negative: before it). -30 on an end date reminds from 30 days before "
        "the end until the end.",
    )
    window_days = fields.Integer(
        "Remind during (days)",
        default=30,
        help="Rules on or after the date (offset 0 or more): how many days after the date plus the offset "
        "the reminder may still fire. Older dates are never reminded.",
    )
    frequency = fields.Selection(
        [("once", "Once"), ("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        required=True,
        default="once",
        help="Once: once per record and date (a new date is reminded again). Daily, weekly, monthly: "
        "again one day, week or month after the last reminder of the record.",
    )
    recipient_type = fields.Selection(
        [("users", "Specific users"), ("group", "Group"), ("field", "User field on the record")],
        string="Recipients",
        required=True,
        default="field",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Users",
        domain=[("share", "=", False)],
        help="A rule of a company names users allowed in that company.",
    )
    group_id = fields.Many2one("res.groups", help="Its members allowed in the record's company.", ondelete="restrict")
    user_field_id = fields.Many2one(
        "ir.model.fields",
        string="User field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), ('ttype', '=', 'many2one')]",
    )
    channel_activity = fields.Boolean("To-do", default=True, help="An activity for each recipient.")
    channel_email = fields.Boolean("Email")
    channel_sms = fields.Boolean("SMS", help="Needs the SMS app; sent to the recipients' mobile numbers.")
    sms_available = fields.Boolean(compute="_compute_sms_available")
    template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain="[('model_id', '=', model_id)]",
        help="Rendered with the access rights of the person who last changed the rule, never as the system: "
        "records they cannot read get no email. Only someone who can read the template and modify the "
        "records it applies to (send an email from their chatter) may save a rule with it.",
    )
    summary = fields.Char("To-do summary", translate=True)
    note = fields.Html("Message", translate=True, help="Text of the to-do and of the SMS.")
    last_error = fields.Text(readonly=True, copy=False, help="Why the last run of this rule failed.")
    last_run_note = fields.Text(
        "Last run",
        readonly=True,
        copy=False,
        help="What the last run left out: a recipient who cannot read a record gets no to-do, email or SMS about it.",
    )
    sent_ids = fields.One2many("crm.review.reminder.sent", "rule_id", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._check_template_rights()
        rules._review_check_condition_rights()
        return rules

    def write(self, vals):
        result = super().write(vals)
        if {"domain", "model_id"} & set(vals):
            self._review_check_condition_rights()
        # Whoever changes a rule becomes who its emails are rendered as (see _send_emails).
        if set(vals) - RUN_FIELDS:
            self._check_template_rights()
        return result

    def _compute_sms_available(self):
        available = hasattr(self.env["mail.thread"], "_message_sms")
        for rule in self:
            rule.sms_available = available

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        for rule in self:
            self.env["crm.review.rule"]._parse_domain(rule.domain, rule.model)

    def _review_check_condition_rights(self):
        """Whoever saves a condition may read what it reads; as the user saving (constraints run in sudo)."""
        Rule = self.env["crm.review.rule"]
        for rule in self:
            Rule._check_condition_access(Rule._parse_domain(rule.domain, rule.model), rule.model)

    @api.constrains("model_id", "date_source", "date_field_id", "offset_days", "window_days")
    def _check_dates(self):
        for rule in self:
            field = rule.date_field_id
            if rule.date_source == "field" and (
                not field
                or field.model_id != rule.model_id
                or field.ttype not in ("date", "datetime")
                or not field.store
            ):
                raise ValidationError(
                    self.env._(
                        "The date field of reminder %(rule)s must be a stored date or date-time field of %(model)s.",
                        rule=rule.name,
                        model=rule.model_id.name,
                    )
                )
            if abs(rule.offset_days) > MAX_DAYS:
                raise ValidationError(
                    self.env._(
                        "The offset of reminder %(rule)s must be between -%(max)s and %(max)s days.",
                        rule=rule.name,
                        max=MAX_DAYS,
                    )
                )
            if not 1 <= rule.window_days <= MAX_DAYS:
                raise ValidationError(
                    self.env._(
                        "Reminder %(rule)s fires during 1 to %(max)s days after its date.", rule=rule.name, max=MAX_DAYS
                    )
                )

    @api.constrains(
        "model_id", "recipient_type", "user_ids", "group_id", "user_field_id", "channel_email", "template_id"
    )
    def _check_recipients(self):
        for rule in self:
            if rule.recipient_type == "users" and not rule.user_ids:
                raise ValidationError(self.env._("Reminder %(rule)s needs users.", rule=rule.name))
            if rule.recipient_type == "group" and not rule.group_id:
                raise ValidationError(self.env._("Reminder %(rule)s needs a group.", rule=rule.name))
            field = rule.user_field_id
            if rule.recipient_type == "field" and (
                not field
                or field.model_id != rule.model_id
                or field.ttype != "many2one"
                or field.relation != "res.users"
            ):
                raise ValidationError(
                    self.env._(
                        "The user field of reminder %(rule)s must be a field of %(model)s linking to a user.",
                        rule=rule.name,
                        model=rule.model_id.name,
                    )
                )
            if rule.channel_email and not rule.template_id:
                raise ValidationError(self.env._("Reminder %(rule)s needs an email template.", rule=rule.name))

    @api.constrains("company_id", "recipient_type", "user_ids")
    def _check_users_company(self):
        """A company's rule names users of that company: it never reminds anybody else (see ``_recipients``)."""
        for rule in self.filtered(lambda r: r.recipient_type == "users" and r.company_id):
            company = rule.company_id
            outside = rule.user_ids.sudo().filtered(lambda u, company=company: company not in u.company_ids)
            if outside:
                raise ValidationError(
                    self.env._(
                        "Reminder %(rule)s: %(users)s cannot be reminded of records of %(company)s (not allowed in "
                        "that company).",
                        rule=rule.name,
                        users=", ".join(outside.mapped("name")),
                        company=company.name,
                    )
                )

    @api.constrains("model_id", "template_id")
    def _check_template(self):
        """A template of the rule's model: another model's template would render another record."""
        for rule in self.filtered("template_id"):
            if rule.template_id.model_id != rule.model_id:
                raise ValidationError(
                    self.env._(
                        "The email template of reminder %(rule)s must be a template of %(model)s.",
                        rule=rule.name,
                        model=rule.model_id.name,
                    )
                )

    def _check_template_rights(self):
        """The user saving rules with a template reads the template and may modify the rule's records.

        The template is rendered with their rights (portal links, amounts, PDF reports): a rule sends
        what they could send from the record's chatter themselves, not more. Checked on save, not as
        a constraint: constraints run as superuser.
        """
        if self.env.su:
            return
        for rule in self.filtered("template_id"):
            if not (
                rule.template_id.with_env(self.env).has_access("read") and self.env[rule.model].has_access("write")
            ):
                raise ValidationError(
                    self.env._(
                        "Reminder %(rule)s cannot send this email template: you may choose only a template you "
                        "can read, for records you may modify (%(model)s).",
                        rule=rule.name,
                        model=rule.model_id.name,
                    )
                )

    @api.model
    def _company_tz(self, company):
        """Time zone of ``company``'s calendar day: its contact's, else the one of the user the job runs as.

        A company has no time zone of its own in Odoo; its contact (address) has one.
        """
        tz = company.sudo().partner_id.tz
        return pytz.timezone(tz) if tz else self.env.tz

    @staticmethod
    def _local_date(moment, tz):
        """Calendar day in ``tz`` of the UTC datetime ``moment``."""
        return pytz.utc.localize(moment).astimezone(tz).date()

    @staticmethod
    def _utc_start(day, tz):
        """UTC datetime at which ``day`` starts in ``tz``."""
        return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def _scopes(self):
        """[(domain, time zone)]: the rule's records split by the calendar they count days in.

        A company's rule counts in its company's calendar, for the records
        without company too. A rule of all companies counts each record in its
        company's, records without company in the current company's (the one
        the job runs in): one search per time zone, not per company.
        """
        self.ensure_one()
        has_company = "company_id" in self.env[self.model]._fields
        if self.company_id:
            scope = Domain("company_id", "in", [self.company_id.id, False]) if has_company else Domain.TRUE
            return [(scope, self._company_tz(self.company_id))]
        if not has_company:
            return [(Domain.TRUE, self._company_tz(self.env.company))]
        by_tz = defaultdict(list)
        for company in self.env["res.company"].sudo().with_context(active_test=False).search([]):
            by_tz[self._company_tz(company)].append(company.id)
        by_tz[self._company_tz(self.env.company)].append(False)
        return [(Domain("company_id", "in", ids), tz) for tz, ids in by_tz.items()]

    def _date_window(self, today):
        """First and last date whose reminder may fire ``today``.

        A date fires from date + offset until the date itself (reminders
        before it), or until date + offset + window (reminders after it):
        dates long past are never reminded.
        """
        self.ensure_one()
        latest = today - timedelta(days=self.offset_days)
        if self.offset_days < 0:
            return today, latest
        return today - timedelta(days=self.offset_days + self.window_days), latest

    def _last_approval_dates(self, earliest, latest, tz):
        """{record id: day of its last approval in ``tz``} for last approvals within the days, in one query."""
        self.ensure_one()
        start, stop = self._utc_start(earliest, tz), self._utc_start(latest + timedelta(days=1), tz)
        groups = (
            self.env["crm.review.log"]
            .sudo()
            ._read_group(
                [("res_model", "=", self.model), ("action", "=", "approve")],
                ["res_id"],
                ["date:max"],
                having=[("date:max", ">=", start), ("date:max", "<", stop)],
            )
        )
        return {res_id: self._local_date(last, tz) for res_id, last in groups}

    def _due_records(self, now):
        """Records to remind about at ``now``, {record id: date value} (the date they are reminded for)
        and {record id: its calendar day} (today where the record is, see ``_scopes``)."""
        self.ensure_one()
        Model = self.env[self.model].sudo()
        condition = self.env["crm.review.rule"]._parse_domain(self.domain, self.model)
        records, dates, days = Model.browse(), {}, {}
        for scope, tz in self._scopes():
            today = self._local_date(now, tz)
            found, found_dates = self._due_in(Model, condition & scope, today, tz)
            records |= found
            dates.update(found_dates)
            days.update(dict.fromkeys(found.ids, today))
        return records, dates, days

    def _due_in(self, Model, domain, today, tz):
        """Records of ``domain`` to remind about on the calendar day ``today`` of ``tz``, and their date values."""
        earliest, latest = self._date_window(today)
        if self.date_source == "last_approval":
            dates = self._last_approval_dates(earliest, latest, tz)
            records = Model.search(domain & Domain("id", "in", list(dates)))
        else:
            name = self.date_field_id.name
            if self.date_field_id.ttype == "datetime":
                # The days of the company's calendar, not of UTC.
                start, stop = self._utc_start(earliest, tz), self._utc_start(latest + timedelta(days=1), tz)
                domain &= Domain(name, ">=", start) & Domain(name, "<", stop)
                records = Model.search_fetch(domain, [name])
                dates = {record.id: self._local_date(record[name], tz) for record in records}
            else:
                domain &= Domain(name, ">=", earliest) & Domain(name, "<=", latest)
                records = Model.search_fetch(domain, [name])
                dates = {record.id: record[name] for record in records}
        if not records:
            return records, {}
        # What was already sent: the same date value (once), or within the period (rolling).
        sent_domain = Domain("rule_id", "=", self.id) & Domain("res_id", "in", records.ids)
        if self.frequency == "once":
            sent_domain &= Domain("date_value", "in", list(set(dates.values())))
        else:
            sent_domain &= Domain("sent_on", ">", today - PERIODS[self.frequency])
        sent = self.env["crm.review.reminder.sent"].sudo().search_fetch(sent_domain, ["res_id", "date_value"])
        if self.frequency == "once":
            done = {(row.res_id, row.date_value) for row in sent}
            records = records.filtered(lambda r: (r.id, dates[r.id]) not in done)
        else:
            done = set(sent.mapped("res_id"))
            records = records.filtered(lambda r: r.id not in done)
        return records, {record.id: dates[record.id] for record in records}

    def _recipients(self, records):
        """{record id: active internal users to remind}, allowed in the record's company.

        The rule's company stands for records without company: a company's rule
        reminds nobody outside it. ``_readable_recipients`` then leaves out those
        who cannot read the record.
        """
        self.ensure_one()
        if self.recipient_type == "field":
            name = self.user_field_id.name
            users_of = {record.id: record[name] for record in records}
        else:
            users = self.user_ids if self.recipient_type == "users" else self.group_id.all_user_ids
            users_of = dict.fromkeys(records.ids, users)
        has_company = "company_id" in records._fields
        allowed = {}
        recipients = {}
        for record in records:
            company = (record.company_id if has_company else None) or self.company_id
            users = users_of[record.id]
            key = (company, users)
            if key not in allowed:
                users = users.filtered(lambda u: u.active and not u.share)
                allowed[key] = users.filtered(lambda u, company=company: company in u.company_ids) if company else users
            recipients[record.id] = allowed[key]
        return recipients

    @api.model
    def _readable_recipients(self, records, recipients):
        """``recipients`` without the users who cannot read the record, and how many were left out.

        One access check per user, on all the records they would be reminded about.
        """
        ids_by_user = defaultdict(list)
        for record_id, users in recipients.items():
            for user in users:
                ids_by_user[user].append(record_id)
        readable = set()
        for user, ids in ids_by_user.items():
            # In all the user's companies, as the web client would open a record of any of them.
            as_user = records.browse(ids).with_user(user).with_context(allowed_company_ids=user.company_ids.ids)
            readable.update((user.id, record_id) for record_id in as_user._filtered_access("read").ids)
        kept = {
            record_id: users.filtered(lambda user, record_id=record_id: (user.id, record_id) in readable)
            for record_id, users in recipients.items()
        }
        left_out = sum(map(len, recipients.values())) - sum(map(len, kept.values()))
        return kept, left_out

    # ------------------------------------------------------------------
    # Preview: what the next run would send, within what the viewer may read
    # ------------------------------------------------------------------

    def action_preview(self):
        """Preview button: what the next run would send to whom, on which channel, sending nothing."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview %(rule)s", rule=self.name),
            "res_model": "crm.review.reminder.preview",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_rule_id": self.id},
        }

    def _preview(self, now=None):
        """The reminders a run at ``now`` would send about the records the user may read, sending nothing.

        The run's own selection (``_due_records``, ``_recipients``,
        ``_readable_recipients``), then only the records the user may read:
        the others are neither listed nor counted. A few queries whatever the
        number of records.
        :return: dict with ``rows`` [(record, date, user, [channel, ...])] and
            ``left_out`` (recipients who cannot read a listed record), or ``refusal``
        """
        self.ensure_one()
        Rule = self.env["crm.review.rule"]
        Model = self.env[self.model]
        if not Model.has_access("read"):
            return {
                "refusal": self.env._(
                    "You cannot read %(model)s: there is nothing this rule would send that you may see.",
                    model=self.model_id.name,
                )
            }
        try:
            Rule._check_condition_access(Rule._parse_domain(self.domain, self.model), self.model)
        except (AccessError, ValidationError):
            return {"refusal": self.env._("The condition of this rule reads fields you may not read.")}
        due, dates, _days = self._due_records(now or fields.Datetime.now())
        # The run's records (as superuser), less those the viewer may not read.
        records = due.browse(due.with_env(self.env)._filtered_access("read").ids)
        recipients, left_out = self._readable_recipients(records, self._recipients(records))
        email_readable = set()
        if self.channel_email and self.template_id and self.write_uid:
            sender = self.write_uid
            as_sender = records.with_user(sender).with_context(allowed_company_ids=sender.company_ids.ids)
            email_readable = set(as_sender._filtered_access("read").ids)
        rows = []
        for record in records.sorted(lambda r: (dates[r.id], r.id)):
            for user in recipients[record.id]:
                channels = []
                if self.channel_activity:
                    channels.append(self.env._("To-do"))
                if self.channel_email and self.template_id:
                    channels.append(
                        self.env._("Email")
                        if record.id in email_readable
                        else self.env._("No email (%(user)s cannot read it)", user=self.write_uid.name)
                    )
                if self.channel_sms and self.sms_available:
                    channels.append(self.env._("SMS") if user.partner_id.phone else self.env._("No SMS (no number)"))
                rows.append((record, dates[record.id], user, channels))
        return {"rows": rows, "left_out": left_out}

    def _texts(self, langs):
        """{lang: (to-do summary, note, SMS text)} of the rule in each language."""
        self.ensure_one()
        texts = {}
        for lang in langs:
            rule = self.with_context(lang=lang)
            summary = rule.summary or rule.name
            texts[lang] = (summary, rule.note or False, html2plaintext(rule.note or "") or summary)
        return texts

    @api.model
    def _cron_run_reminder_rules(self, batch_size=200):
        """Send the date-driven reminders that are due, rule by rule, in committed batches.

        A failing rule keeps its error (shown on the rule) and the others go on.
        """
        now = fields.Datetime.now()
        cron = self.env["ir.cron"]
        for rule in self.search([]):
            try:
                with self.env.cr.savepoint():
                    records, dates, days = rule._due_records(now)
            except Exception as error:  # one rule's error must not stop the others
                rule._store_error(error)
                continue
            cron._commit_progress(remaining=len(records))
            failed = False
            left_out = defaultdict(int)
            for batch in split_every(batch_size, records.ids, records.browse):
                try:
                    with self.env.cr.savepoint():
                        for reason, count in rule._send(batch, dates, days).items():
                            left_out[reason] += count
                except Exception as error:
                    rule._store_error(error)
                    failed = True
                    break
                if not cron._commit_progress(processed=len(batch)):
                    return
            values = {"last_run_note": rule._run_note(now, left_out)}
            if not failed:
                values["last_error"] = False
            if any(rule[name] != value for name, value in values.items()):
                rule._write_run(values)
            cron._commit_progress()

    def _write_run(self, values):
        """Write what the job noted on the rule, as the rule's last writer.

        The rule's emails are rendered with the rights of whoever last changed it
        (``write_uid``): the scheduler, writing its notes as superuser, must not
        become that person.
        """
        self.ensure_one()
        # The ORM sets write_uid when it flushes, to the user of the flushing environment: the
        # other rules' pending writes are flushed first, this one as the writer.
        self.flush_model()
        as_writer = self.with_user(self.write_uid or self.env.user).sudo()
        as_writer.write(values)
        as_writer.flush_model()

    def _run_note(self, now, left_out):
        """What the run at ``now`` left out and why (counts only: the note does not name records)."""
        lines = []
        if left_out.get("recipient"):
            lines.append(
                self.env._(
                    "Reminders left out: %(count)s (the recipient cannot read the record).",
                    count=left_out["recipient"],
                )
            )
        if left_out.get("sender"):
            lines.append(
                self.env._(
                    "Emails left out: %(count)s (%(user)s, who last changed the rule and with whose rights the "
                    "email template is rendered, cannot read the record).",
                    count=left_out["sender"],
                    user=self.write_uid.name,
                )
            )
        if not lines:
            return False
        today = self._local_date(now, self._company_tz(self.company_id or self.env.company))
        return "\n".join([fields.Date.to_string(today), *lines])

    def _store_error(self, error):
        self.ensure_one()
        # The error is kept on the rule for its administrators; the log names it without a traceback.
        _logger.warning("Reminder rule %s (%s) failed: %s: %s", self.id, self.name, type(error).__name__, error)
        self._write_run(
            {"last_error": f"{fields.Datetime.to_string(fields.Datetime.now())} {type(error).__name__}: {error}"}
        )
        self.env["ir.cron"]._commit_progress()

    def _send(self, records, dates, days):
        """Remind about ``records`` on every channel of the rule, each recipient in their language.

        Only the recipients who may read a record hear about it.
        :param days: {record id: the calendar day it is reminded on (``_due_records``)}
        :return: {why: how many reminders were left out}
        """
        self.ensure_one()
        recipients, unreadable = self._readable_recipients(records, self._recipients(records))
        left_out = {"recipient": unreadable}
        all_users = self.env["res.users"].union(*recipients.values())
        texts = self._texts({user.lang or "en_US" for user in all_users})
        if self.channel_activity:
            self._send_todos(records, recipients, texts)
        if self.channel_email and self.template_id:
            left_out["sender"] = self._send_emails(records, recipients)
        if self.channel_sms and self.sms_available:
            self._send_sms(records, recipients, texts)
        self.env["crm.review.reminder.sent"].sudo().create(
            [
                {
                    "rule_id": self.id,
                    "res_id": record.id,
                    "date_value": dates[record.id],
                    "sent_on": days[record.id],
                    # Once: once per date value; rolling periods: at most once a day.
                    "period": f"once:{dates[record.id]}"
                    if self.frequency == "once"
                    else fields.Date.to_string(days[record.id]),
                }
                for record in records
            ]
        )
        return left_out

    def _send_emails(self, records, recipients):
        """Email the template to each record's recipients, rendered as the rule's last writer.

        :return: how many records got no email because that user cannot read them
        """
        sender = self.write_uid
        to_mail = records.filtered(lambda record: recipients[record.id])
        if not sender:
            return len(to_mail)
        # What they could send from the record's chatter (portal link, amounts, PDF), never more.
        template = self.template_id.with_user(sender).with_context(allowed_company_ids=sender.company_ids.ids)
        readable = to_mail.with_env(template.env)._filtered_access("read")
        for record in readable:
            for lang, partners in recipients[record.id].partner_id.grouped(lambda p: p.lang or "en_US").items():
                # The recipients' language, not the customer's that the template may name.
                template.with_context(template_preview_lang=lang).send_mail(
                    record.id,
                    email_values={
                        "recipient_ids": [Command.set(partners.ids)],
                        "email_to": False,
                        "email_cc": False,
                    },
                )
        return len(to_mail) - len(readable)

    def _send_todos(self, records, recipients, texts):
        """A to-do for each recipient, in their language, due today in their time zone."""
        self.env["crm.review.notifier"]._assign_todos(
            "todo",
            [(self.model, record.id, recipients[record.id], record) for record in records],
            lambda _record, env: texts[env.lang or "en_US"][:2],
        )

    def _send_sms(self, records, recipients, texts):
        """Queue one SMS per language for each record; a recipient without number is noted in the chatter."""
        no_number = {}
        for record in records:
            users = recipients[record.id]
            missing = users.filtered(lambda u: not u.partner_id.phone)
            for lang, partners in (users - missing).partner_id.grouped(lambda p: p.lang or "en_US").items():
                # Put in Odoo's SMS queue: its own cron sends them, not this one.
                record._message_sms(
                    f"{record.display_name}: {texts[lang][2]}", partner_ids=partners.ids, put_in_queue=True
                )
            if missing:
                no_number[record.id] = Markup("%s") % self.env._(
                    "Reminder %(rule)s: no SMS sent to %(users)s, who have no mobile number.",
                    rule=self.name,
                    users=", ".join(missing.mapped("name")),
                )
        if no_number:
            records.browse(list(no_number))._message_log_batch(bodies=no_number)


class CrmReviewReminderSent(models.Model):
    """Which record a reminder rule reminded about, for which date and when."""

    _name = "crm.review.reminder.sent"
    _description = "Reminder Sent"

    rule_id = fields.Many2one("crm.review.reminder.rule", required=True, ondelete="cascade", index=True)
    res_id = fields.Integer(required=True, index=True)
    date_value = fields.Date("Reminded date", help="The date of the record the reminder was about.")
    sent_on = fields.Date(default=fields.Date.context_today)
    period = fields.Char(required=True)

    _unique_period = models.Constraint("UNIQUE(rule_id, res_id, period)", "A record is reminded once per period.")
