from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.review.mixin"]

    _review_default_key_fields = ("vat", "bank_ids", "name", "company_registry")

    def _review_authority_amounts(self):
        """A customer's authority amount is its credit limit (in its company's currency, today); a customer
        without one has nothing to cover: the first level with any authority approves it."""
        today = fields.Date.context_today(self)
        result = {}
        # Company-dependent: each customer's limit in its own company (else the user's), read in sudo
        # as the planner compares, one read per company.
        for company, partners in self.sudo().grouped(lambda p: p.company_id or self.env.company).items():
            for partner in partners.with_company(company):
                result[partner.id] = (partner.credit_limit or 0.0, company.currency_id, today)
        return result
