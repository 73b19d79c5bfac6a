from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    review_delegation = fields.Boolean(
        "Review substitutes",
        default=True,
        help="Reviewers may name a substitute who decides for them while they are away.",
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
        switches = {"res.partner": company.review_partner_enabled, "sale.order": company.review_sale_enabled}
        return {model for model, enabled in switches.items() if not enabled}
