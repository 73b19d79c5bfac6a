from odoo import api, models
from odoo.exceptions import ValidationError

# Integer columns are 32-bit in PostgreSQL.
INT_LIMIT = 2**31


class CrmReviewCached(models.AbstractModel):
    """Review settings (rules, steps, reasons): numbers checked before they reach the database, and any
    change empties the engine's caches (of rules and steps)."""

    _name = "crm.review.cached"
    _description = "Review Setting Cached by the Engine"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_integer_values(vals)
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        records._review_check_condition_rights()
        return records

    def write(self, vals):
        self._check_integer_values(vals)
        result = super().write(vals)
        self.env.registry.clear_cache()
        if {"domain", "model_id", "rule_id"} & set(vals):
            self._review_check_condition_rights()
        return result

    def _review_check_condition_rights(self):
        """Whoever saves a condition may read what it reads (see ``crm.review.rule._check_condition_access``).

        Checked here, as the user saving: Odoo runs constraints in sudo.
        """

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=""):
        # A translation edited in the web client's dialog does not go through write(): the cached step
        # names (in each language) must not outlive it.
        result = super()._update_field_translations(field_name, translations, digest=digest, source_lang=source_lang)
        self.env.registry.clear_cache()
        return result

    @api.model
    def _check_integer_values(self, vals):
        """Refuse numbers the database cannot hold, naming the field, before they reach it."""
        for name, value in vals.items():
            field = self._fields.get(name)
            if field and field.type == "integer" and isinstance(value, int) and not -INT_LIMIT < value < INT_LIMIT:
                raise ValidationError(
                    self.env._(
                        "%(field)s: %(value)s is out of range.",
                        field=field.get_description(self.env)["string"],
                        value=value,
                    )
                )
