from odoo import api, models


class CrmReviewCached(models.AbstractModel):
    """Review settings the engine caches (rules, steps, reasons): any change empties the cache."""

    _name = "crm.review.cached"
    _description = "Review Setting Cached by the Engine"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
