from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import html2plaintext

PERIOD_FORMATS = {"once": "once", "daily": "%Y-%m-%d", "weekly": "%G-W%V", "monthly": "%Y-%m"}


class CrmReviewReminderRule(models.Model):
    """Date-driven follow-ups: "contract ends in 30 days", "not reviewed for a month"..."""

    _name = "crm.review.reminder.rule"
    _description = "Reminder Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company")
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
    )
    model = fields.Char(related="model_id.model", store=True)
    domain = fields.Text(string="Condition", default="[]", required=True)
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Date field",
        required=True,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime')), ('store', '=', True)]",
    )
    offset_days = fields.Integer(
        "Offset (days)",
        help="Days after the date (negative: before it). -30 on an end date reminds 30 days before the end.",
    )
    frequency = fields.Selection(
        [("once", "Once"), ("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        required=True,
        default="once",
    )
    recipient_type = fields.Selection(
        [("users", "Specific users"), ("field", "User field on the record")],
        string="Recipients",
        required=True,
        default="field",
    )
    user_ids = fields.Many2many("res.users", string="Users", domain=[("share", "=", False)])
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
    template_id = fields.Many2one("mail.template", string="Email template", domain="[('model_id', '=', model_id)]")
    summary = fields.Char("To-do summary", translate=True)
    note = fields.Html("Message", translate=True, help="Text of the to-do and of the SMS.")
    sent_ids = fields.One2many("crm.review.reminder.sent", "rule_id", readonly=True)

    def _compute_sms_available(self):
        available = hasattr(self.env["mail.thread"], "_message_sms")
        for rule in self:
            rule.sms_available = available

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        for rule in self:
            self.env["crm.review.rule"]._parse_domain(rule.domain, rule.model)

    @api.constrains("recipient_type", "user_ids", "user_field_id", "channel_email", "template_id")
    def _check_recipients(self):
        for rule in self:
            if rule.recipient_type == "users" and not rule.user_ids:
                raise ValidationError(self.env._("Reminder %(rule)s needs users.", rule=rule.name))
            if rule.recipient_type == "field" and not rule.user_field_id:
                raise ValidationError(self.env._("Reminder %(rule)s needs a user field.", rule=rule.name))
            if rule.channel_email and not rule.template_id:
                raise ValidationError(self.env._("Reminder %(rule)s needs an email template.", rule=rule.name))

    def _period_key(self, today):
        self.ensure_one()
        fmt = PERIOD_FORMATS[self.frequency]
        return fmt if self.frequency == "once" else today.strftime(fmt)

    def _due_records(self, today):
        """Records whose date (shifted by the offset) has come and not reminded this period."""
        self.ensure_one()
        Model = self.env[self.model].sudo()
        limit_date = today - timedelta(days=self.offset_days)
        domain = self.env["crm.review.rule"]._parse_domain(self.domain, self.model)
        domain &= Domain(self.date_field_id.name, "<=", limit_date) & Domain(self.date_field_id.name, "!=", False)
        if self.company_id and "company_id" in Model._fields:
            domain &= Domain("company_id", "in", [self.company_id.id, False])
        sent = (
            self.env["crm.review.reminder.sent"]
            .sudo()
            ._search([("rule_id", "=", self.id), ("period", "=", self._period_key(today))])
        )
        domain &= Domain("id", "not in", sent.subselect("res_id"))
        return Model.search(domain)

    def _recipients(self, record):
        self.ensure_one()
        if self.recipient_type == "users":
            return self.user_ids
        return record[self.user_field_id.name]

    @api.model
    def _cron_run_reminder_rules(self, batch_size=200):
        """Send the date-driven reminders that are due, in committed batches."""
        today = fields.Date.context_today(self)
        cron = self.env["ir.cron"]
        for rule in self.search([]):
            records = rule._due_records(today)
            cron._commit_progress(remaining=len(records))
            for start in range(0, len(records), batch_size):
                rule._send(records[start : start + batch_size], today)
                if not cron._commit_progress(processed=len(records[start : start + batch_size])):
                    return

    def _send(self, records, today):
        """Remind about ``records`` on every channel of the rule, and remember it."""
        self.ensure_one()
        recipients = {record.id: self._recipients(record).filtered(lambda u: u.active) for record in records}
        if self.channel_activity:
            activity_type = self.env.ref("mail.mail_activity_data_todo")
            self.env["mail.activity"]._review_create(
                [
                    {
                        "res_model": self.model,
                        "res_id": record.id,
                        "activity_type_id": activity_type.id,
                        "user_id": user.id,
                        "summary": self.summary or self.name,
                        "note": self.note or False,
                    }
                    for record in records
                    for user in recipients[record.id]
                ]
            )
        if self.channel_email and self.template_id:
            for record in records:
                partners = recipients[record.id].partner_id
                if partners:
                    self.template_id.send_mail(record.id, email_values={"recipient_ids": [(6, 0, partners.ids)]})
        if self.channel_sms and self.sms_available:
            text = html2plaintext(self.note or "") or self.summary or self.name
            for record in records:
                partners = recipients[record.id].partner_id.filtered("phone")
                if partners:
                    record._message_sms(f"{record.display_name}: {text}", partner_ids=partners.ids)
        period = self._period_key(today)
        self.env["crm.review.reminder.sent"].sudo().create(
            [{"rule_id": self.id, "res_id": record.id, "period": period} for record in records]
        )


class CrmReviewReminderSent(models.Model):
    """Which record a reminder rule reminded about, for which period (never twice)."""

    _name = "crm.review.reminder.sent"
    _description = "Reminder Sent"

    rule_id = fields.Many2one("crm.review.reminder.rule", required=True, ondelete="cascade", index=True)
    res_id = fields.Integer(required=True)
    period = fields.Char(required=True)

    _unique_period = models.Constraint("UNIQUE(rule_id, res_id, period)", "A record is reminded once per period.")
