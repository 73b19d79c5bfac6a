from odoo import api, fields, models
from odoo.fields import Domain

# The Settings › Reviews switch of each model that has one (contracts: installing crm_review_contract).
REVIEW_SWITCHES = {"res.partner": "review_partner_enabled", "sale.order": "review_sale_enabled"}


class ResCompany(models.Model):
    _inherit = "res.company"

    review_delegation = fields.Boolean(
        "Review substitutes",
        default=True,
        help="Reviewers may name a substitute who decides for them while they are away.",
    )
    review_email_reply = fields.Boolean(
        "Decide by replying to emails",
        default=False,
        help="Reviewers approve or reject by answering the review emails (Approve / Reject as the first word). "
        "Off: the emails carry no reply instructions and replies decide nothing.",
    )
    review_partner_enabled = fields.Boolean(
        "Review customers", default=True, help="Customers of this company matching a rule must be approved."
    )
    review_sale_enabled = fields.Boolean(
        "Review sale orders", default=True, help="Quotations of this company matching a rule must be approved."
    )
    review_reject_limit = fields.Integer(
        "Default rejection limit", default=0, help="Rejection limit of new rules; 0 means no limit."
    )
    review_reminder_hours = fields.Integer(
        "Remind after (hours)",
        default=24,
        help="Default delay before the reviewers of a pending step are reminded (new rules).",
    )
    review_reminder_repeat_hours = fields.Integer("Repeat every (hours)", default=24)
    review_reminder_max = fields.Integer("Reminders before escalation", default=3)

    def _review_disabled_models(self):
        """Models whose review is switched off in this company's settings."""
        self.ensure_one()
        company = self.sudo()
        return {model for model, field_name in REVIEW_SWITCHES.items() if not company[field_name]}

    # ------------------------------------------------------------------
    # A company setting, for records: the one place that says which company answers
    # ------------------------------------------------------------------

    @api.model
    def _review_setting_by_record(self, records, field_name):
        """{record id: ``field_name`` of the record's company}, read once for the whole batch.

        A record follows the settings of its own company, whatever company the
        user works in; a record without company (a shared contact) follows the
        current company's. ``_review_setting_domain`` is the search form of the
        same answer.
        """
        current = self.env.company.sudo()
        if "company_id" not in records._fields:
            return dict.fromkeys(records.ids, current[field_name])
        # sudo(): the company of a record the caller holds, whatever companies the user may read.
        return {record.id: (record.company_id or current)[field_name] for record in records.sudo()}

    @api.model
    def _review_setting_domain(self, model_name, field_name):
        """Records of ``model_name`` whose company (as ``_review_setting_by_record`` reads it) has ``field_name`` on."""
        current_on = bool(self.env.company.sudo()[field_name])
        if "company_id" not in self.env[model_name]._fields:
            return Domain.TRUE if current_on else Domain.FALSE
        companies = self.sudo().with_context(active_test=False).search([(field_name, "=", True)])
        return Domain("company_id", "in", [*companies.ids, *([False] if current_on else [])])
