from odoo import api, fields, models

# Keys the rule defaults ask for, and the company field that answers each.
RULE_DEFAULT_FIELDS = {
    "crm_review.default_reject_limit": "review_reject_limit",
    "crm_review.default_reminder_hours": "review_reminder_hours",
    "crm_review.default_reminder_repeat_hours": "review_reminder_repeat_hours",
    "crm_review.default_reminder_max": "review_reminder_max",
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Stored on the company, as every Odoo setting of a company: saving with
    # company B selected never changes company A.
    crm_review_partner_enabled = fields.Boolean(related="company_id.review_partner_enabled", readonly=False)
    crm_review_sale_enabled = fields.Boolean(related="company_id.review_sale_enabled", readonly=False)
    crm_review_default_reject_limit = fields.Integer(related="company_id.review_reject_limit", readonly=False)
    crm_review_default_reminder_hours = fields.Integer(related="company_id.review_reminder_hours", readonly=False)
    crm_review_default_reminder_repeat_hours = fields.Integer(
        related="company_id.review_reminder_repeat_hours", readonly=False
    )
    crm_review_default_reminder_max = fields.Integer(related="company_id.review_reminder_max", readonly=False)
    module_crm_review_contract = fields.Boolean("Review contracts")
    crm_review_delegation = fields.Boolean(related="company_id.review_delegation", readonly=False)
    crm_review_email_reply = fields.Boolean(related="company_id.review_email_reply", readonly=False)
    crm_review_reply_alias = fields.Char("Review alias", compute="_compute_crm_review_reply_alias")

    @api.depends("company_id")
    def _compute_crm_review_reply_alias(self):
        alias = self.env.ref("crm_review.mail_alias_review", raise_if_not_found=False)
        # The address is shown to administrators only (the settings view is theirs).
        self.crm_review_reply_alias = alias.sudo().display_name if alias else False

    def action_crm_review_open_reply_alias(self):
        """Open the review alias (its name and alias domain), where replies to review emails go."""
        alias = self.env.ref("crm_review.mail_alias_review")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.alias",
            "res_id": alias.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }


class CrmReviewRule(models.Model):
    _inherit = "crm.review.rule"

    @api.model
    def _default_from_settings(self, key, default):
        """Defaults of a new rule: the settings of its company (else the current one)."""
        field_name = RULE_DEFAULT_FIELDS.get(key)
        if not field_name:
            return super()._default_from_settings(key, default)
        company_id = self.env.context.get("default_company_id")
        company = self.env["res.company"].browse(company_id if isinstance(company_id, int) else ())
        company = company.exists() or self.env.company
        return company.sudo()[field_name]
