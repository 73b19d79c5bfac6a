from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang

# An authority chain longer than this is a loop in the managers (or a misconfiguration).
MAX_CHAIN_LEVELS = 30


class CrmReviewAuthority(models.Model):
    """How much one person (or every member of a group) may approve, per reviewed model and company.

    Read by the "authority chain" steps: the chain climbs from the submitter's
    manager until someone's limit covers the record's amount.
    """

    _name = "crm.review.authority"
    _description = "Review Approval Authority"
    _order = "company_id, model, no_limit, max_amount, id"

    active = fields.Boolean(default=True)
    user_id = fields.Many2one("res.users", ondelete="cascade", index=True, domain=[("share", "=", False)])
    group_id = fields.Many2one(
        "res.groups",
        ondelete="cascade",
        help="Every member of the group has this authority (instead of one user).",
    )
    model = fields.Selection(selection="_selection_model", string="Applies to", required=True)
    no_limit = fields.Boolean("No limit", help="Approves any amount.")
    max_amount = fields.Monetary("Up to", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    escalates_to_id = fields.Many2one(
        "res.users",
        string="Escalates to",
        compute="_compute_escalates_to_id",
        inverse="_inverse_escalates_to_id",
        domain=[("share", "=", False)],
        help="Who approves above this user's authority: the user's \"Approves above my authority\" (user form, "
        "where it is kept), else their employee's manager when the Employees app is installed.",
    )

    _max_amount_positive = models.Constraint("CHECK (max_amount >= 0)", "An authority limit cannot be negative.")

    @api.model
    def _selection_model(self):
        names = self.env["crm.review.rule"]._reviewable_models()
        models_ = self.env["ir.model"].sudo().search_fetch([("model", "in", names)], ["model", "name"])
        return [(model.model, model.name) for model in models_]

    @api.depends("user_id", "group_id", "model", "no_limit", "max_amount", "currency_id")
    def _compute_display_name(self):
        for row in self:
            holder = row.user_id.sudo().name or row.group_id.sudo().name or ""
            row.display_name = f"{holder}: {row._authority_limit_text()}"

    @api.depends("user_id.review_manager_id")
    def _compute_escalates_to_id(self):
        for row in self:
            row.escalates_to_id = row.user_id.sudo().review_manager_id

    def _inverse_escalates_to_id(self):
        # Kept on the user (one chain for every model): review administrators, who may edit this
        # table, set it from here without the right to edit users.
        self.check_access("write")
        for row in self.filtered("user_id"):
            row.user_id.sudo().review_manager_id = row.escalates_to_id

    # "model" is always given: the check runs on every create.
    @api.constrains("user_id", "group_id", "model")
    def _check_holder(self):
        for row in self:
            if bool(row.user_id) == bool(row.group_id):
                raise ValidationError(self.env._("An authority belongs to a user or to a group: set one of them."))

    @api.constrains("user_id", "company_id")
    def _check_user_company(self):
        for row in self.filtered("user_id"):
            if row.company_id not in row.user_id.sudo().company_ids:
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot have authority in %(company)s: the user is not allowed in that company.",
                        user=row.user_id.sudo().name,
                        company=row.company_id.name,
                    )
                )

    def _authority_limit_text(self):
        """ "up to 500,000.00 CNY" or "no limit", in the reader's language."""
        self.ensure_one()
        if self.no_limit:
            return self.env._("no limit")
        return self.env._("up to %(amount)s", amount=self._authority_amount_text(self.max_amount, self.currency_id))

    @api.model
    def _authority_amount_text(self, amount, currency):
        return f"{formatLang(self.env, amount, digits=currency.decimal_places)} {currency.name}"

    # ------------------------------------------------------------------
    # What the planner reads (crm.review._review_plan_authority_chain)
    # ------------------------------------------------------------------

    @api.model
    def _authority_rows(self, model_name):
        """Active rows of ``model_name`` in every company, read at once for a whole plan (sudo: the
        submitter may be a salesperson who cannot read the table)."""
        return (
            self.sudo()
            .with_context(active_test=True)
            .search_fetch(
                [("model", "=", model_name)],
                ["user_id", "group_id", "no_limit", "max_amount", "currency_id", "company_id"],
            )
        )

    @api.model
    def _authority_best_row(self, rows, user, company, amount, currency, date, rates):
        """(the row of ``user`` that covers ``amount``, else their highest row, else None, and whether it
        covers). Limits are converted into the record's ``currency`` at ``date``.

        :param rates: {(from currency, to currency, company, date): rate}, shared by a whole plan
        """
        groups = user.sudo().all_group_ids
        best, best_limit = None, -1.0
        for row in rows:
            if row.company_id != company or not (row.user_id == user or (row.group_id and row.group_id in groups)):
                continue
            if row.no_limit:
                return row, True
            limit = row.max_amount * self._authority_rate(row.currency_id, currency, company, date, rates)
            if limit > best_limit:
                best, best_limit = row, limit
        if best is None:
            return None, False
        return best, currency.compare_amounts(best_limit, amount) >= 0

    @api.model
    def _authority_rate(self, from_currency, to_currency, company, date, rates):
        key = (from_currency.id, to_currency.id, company.id, date)
        if key not in rates:
            rates[key] = from_currency._convert(1.0, to_currency, company, date, round=False)
        return rates[key]

    @api.model
    def _authority_next_manager(self, user, company):
        """Who approves above ``user``: their Review manager (user form), else the manager of their
        employee in ``company`` when the Employees app is installed."""
        user = user.sudo()
        if user.review_manager_id:
            return user.review_manager_id
        if "hr.employee" in self.env and "employee_ids" in user._fields:
            employee = user.employee_ids.filtered(lambda e: e.company_id == company)[:1] or user.employee_id
            return employee.parent_id.user_id
        return self.env["res.users"]
