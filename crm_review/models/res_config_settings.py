from odoo import api, fields, models

DISABLED_MODELS_PARAM = "crm_review.disabled_models"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_review_partner_enabled = fields.Boolean(
        "Review customers", compute="_compute_crm_review_enabled", readonly=False
    )
    crm_review_sale_enabled = fields.Boolean(
        "Review sale orders", compute="_compute_crm_review_enabled", readonly=False
    )
    crm_review_default_reject_limit = fields.Integer(
        "Default rejection limit",
        config_parameter="crm_review.default_reject_limit",
        help="Rejection limit of new rules; 0 means no limit.",
    )
    crm_review_default_reminder_hours = fields.Integer(
        "Remind after (hours)",
        config_parameter="crm_review.default_reminder_hours",
        default=24,
        help="Default delay before the reviewers of a pending step are reminded (new rules).",
    )
    crm_review_default_reminder_repeat_hours = fields.Integer(
        "Repeat every (hours)", config_parameter="crm_review.default_reminder_repeat_hours", default=24
    )
    crm_review_default_reminder_max = fields.Integer(
        "Reminders before escalation", config_parameter="crm_review.default_reminder_max", default=3
    )
    module_crm_review_contract = fields.Boolean("Review contracts")

    @api.model
    def _crm_review_disabled_models(self):
        value = self.env["ir.config_parameter"].sudo().get_param(DISABLED_MODELS_PARAM, "")
        return {name.strip() for name in value.split(",") if name.strip()}

    @api.depends("company_id")
    def _compute_crm_review_enabled(self):
        disabled = self._crm_review_disabled_models()
        for settings in self:
            settings.crm_review_partner_enabled = "res.partner" not in disabled
            settings.crm_review_sale_enabled = "sale.order" not in disabled

    def set_values(self):
        result = super().set_values()
        disabled = self._crm_review_disabled_models() - {"res.partner", "sale.order"}
        if not self.crm_review_partner_enabled:
            disabled.add("res.partner")
        if not self.crm_review_sale_enabled:
            disabled.add("sale.order")
        self.env["ir.config_parameter"].sudo().set_param(DISABLED_MODELS_PARAM, ",".join(sorted(disabled)))
        self.env.registry.clear_cache()
        return result
