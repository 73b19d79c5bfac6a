from odoo import fields, models


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

    def _review_substituted_users(self):
        """Users who named ``self`` as their substitute for today."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return (
            self.sudo()
            .search(
                [
                    ("review_substitute_id", "=", self.id),
                    "|",
                    ("review_substitute_from", "=", False),
                    ("review_substitute_from", "<=", today),
                    "|",
                    ("review_substitute_to", "=", False),
                    ("review_substitute_to", ">=", today),
                ]
            )
            .with_env(self.env)
        )
