from odoo import api, fields, models, tools

SUBSTITUTE_FIELDS = {"review_substitute_id", "review_substitute_from", "review_substitute_to", "active"}


class ResUsers(models.Model):
    _inherit = "res.users"

    review_substitute_id = fields.Many2one(
        "res.users",
        string="Review substitute",
        domain=[("share", "=", False)],
        help="Decides on your reviews while you are away (between the two dates).",
    )
    review_substitute_from = fields.Date("Away from")
    review_substitute_to = fields.Date("Away until")

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + [
            "review_substitute_id",
            "review_substitute_from",
            "review_substitute_to",
        ]

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + [
            "review_substitute_id",
            "review_substitute_from",
            "review_substitute_to",
        ]

    def write(self, vals):
        result = super().write(vals)
        if SUBSTITUTE_FIELDS & set(vals):
            self.env.registry.clear_cache()
        return result

    def _review_substituted_users(self):
        """Users who named ``self`` as their substitute for today (cached until one changes)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return self.browse(self._review_substituted_ids(self.id, str(today)))

    @api.model
    @tools.ormcache("user_id", "today")
    def _review_substituted_ids(self, user_id, today):
        domain = [
            ("review_substitute_id", "=", user_id),
            "|",
            ("review_substitute_from", "=", False),
            ("review_substitute_from", "<=", today),
            "|",
            ("review_substitute_to", "=", False),
            ("review_substitute_to", ">=", today),
        ]
        return tuple(self.sudo().search(domain).ids)
