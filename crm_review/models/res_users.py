from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

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
    review_notification = fields.Selection(
        [("email", "An email when a step is mine"), ("digest", "Only the reminder digest")],
        string="Review emails",
        default="email",
        required=True,
        help="How you are told that a review step waits for you (the to-do is always created).",
    )
    review_manager_id = fields.Many2one(
        "res.users",
        string="Approves above my authority",
        domain=[("share", "=", False)],
        help='The next level of an authority chain (review steps "Authority chain"): who approves what '
        "this user's approval authority does not cover. Empty: the manager of the user's employee, when the "
        "Employees app is installed.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + [
            "review_substitute_id",
            "review_substitute_from",
            "review_substitute_to",
            "review_notification",
        ]

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + [
            "review_substitute_id",
            "review_substitute_from",
            "review_substitute_to",
            "review_notification",
        ]

    def write(self, vals):
        result = super().write(vals)
        if SUBSTITUTE_FIELDS & set(vals):
            self.env.registry.clear_cache()
        return result

    @api.constrains("review_substitute_id", "review_substitute_from", "review_substitute_to")
    def _check_review_substitute(self):
        for user in self.sudo().filtered("review_substitute_id"):
            substitute = user.review_substitute_id
            if substitute == user:
                raise ValidationError(self.env._("You cannot be your own review substitute."))
            if not substitute._review_is_reviewer():
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot be a review substitute: a substitute must be an active internal user "
                        "with the Reviewer access.",
                        user=substitute.name,
                    )
                )
            if user.review_substitute_from and user.review_substitute_to:
                if user.review_substitute_from > user.review_substitute_to:
                    raise ValidationError(self.env._("The absence ends before it starts."))

    @api.constrains("review_manager_id")
    def _check_review_manager(self):
        for user in self.sudo().filtered("review_manager_id"):
            if user.review_manager_id == user:
                raise ValidationError(
                    self.env._("%(user)s cannot be the one who approves above their own authority.", user=user.name)
                )

    def _review_names(self):
        """Names of these users, sorted, for sentences ("nobody" when empty)."""
        return ", ".join(sorted(self.sudo().mapped("name"))) or self.env._("nobody")

    def _review_wants_email(self):
        """The user asked to be emailed when a review step becomes theirs."""
        self.ensure_one()
        return self.sudo().review_notification == "email" and bool(self.sudo().email)

    def _review_is_reviewer(self):
        """Active internal user with the Reviewer access: who may decide, themselves or as a substitute.

        Checked again at every decision: a reviewer named on a step who lost the
        access since decides nothing. The Reviewer group implies internal users,
        and the user of the session is active: no query for them.
        """
        self.ensure_one()
        return self._has_group("crm_review.group_review_reviewer") and (self == self.env.user or self.active)

    def _review_substituted_users(self):
        """Users who named ``self`` as their substitute for today (cached until one changes)."""
        self.ensure_one()
        # A substitute who lost the Reviewer access stands in for nobody. Checked here, not in the
        # cache below: the access changes with the groups (from the group's form too), which do
        # not clear that cache, while Odoo keeps ``_has_group`` up to date itself.
        if not self.sudo()._review_is_reviewer():
            return self.browse()
        today = fields.Date.context_today(self)
        return self.browse(self._review_substituted_ids(self.id, str(today)))

    @api.model
    @tools.ormcache("user_id", "today")
    def _review_substituted_ids(self, user_id, today):
        """Ids of the users who named ``user_id`` as their substitute on ``today`` (cleared by their writes)."""
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

    # Access granted by the reviewer rules ------------------------------------------------

    review_read_all_models = fields.Char(
        compute="_compute_review_read_all_models",
        compute_sudo=True,
        help="Comma-separated models of the reviewer record rules whose every record the user reads "
        "without the review groups: there the reviewer rule must not narrow what the user reads.",
    )

    @api.model
    def _review_access_groups(self):
        """The review groups, whose access rows and rules open reviewed records to reviewers."""
        return (
            self.env.ref("crm_review.group_review_submitter")
            | self.env.ref("crm_review.group_review_reviewer")
            | self.env.ref("crm_review.group_review_manager")
        )

    @api.depends("all_group_ids")
    def _compute_review_read_all_models(self):
        # Group rules are OR-ed: a reviewer rule limited to the reviewed records would restrict a
        # user reading every record (no rule of their own), and one granting everything would widen
        # a user limited by another group's rule. Its domain therefore depends on the user, and this
        # field tells it: read access through another group, and no other group rule for reading.
        review_groups = self._review_access_groups()
        review_rules = self.env["ir.rule"].search_fetch([("groups", "in", review_groups.ids)], ["model_id"])
        models = review_rules.model_id
        accesses = self.env["ir.model.access"].search_fetch(
            [("model_id", "in", models.ids), ("perm_read", "=", True)], ["model_id", "group_id"]
        )
        accesses = accesses.filtered(lambda access: access.group_id not in review_groups).grouped("model_id")
        rules = self.env["ir.rule"].search_fetch(
            [("model_id", "in", models.ids), ("perm_read", "=", True), ("global", "=", False)],
            ["model_id", "groups"],
        )
        rules = (rules - review_rules).grouped("model_id")
        for user in self:
            groups = user.all_group_ids
            user.review_read_all_models = ",".join(
                model.model
                for model in models
                if any(not access.group_id or access.group_id in groups for access in accesses.get(model, ()))
                and not any(rule.groups & groups for rule in rules.get(model, ()))
            )
