from odoo import models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.review.mixin"]

    _review_default_key_fields = ("vat", "bank_ids", "name", "company_registry")
