from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import format_amount

# The first rule, from a template: {template: (model, condition builder)}.
TEMPLATES = {
    "order_amount": ("sale.order", lambda setup: f"[('amount_total', '>', {setup._amount_literal()})]"),
    "order_discount": ("sale.order", lambda setup: "[('order_line.discount', '>', 0)]"),
    "customer_company": ("res.partner", lambda setup: "[('is_company', '=', True), ('customer_rank', '>', 0)]"),
}


class CrmReviewSetup(models.TransientModel):
    """First run: which records are reviewed, who reviews, and a first rule from a template (a draft)."""

    _name = "crm.review.setup"
    _description = "Set Up Reviews"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    may_configure = fields.Boolean(compute="_compute_may_configure")
    review_sale_enabled = fields.Boolean(
        "Review sale orders",
        compute="_compute_switches",
        store=True,
        readonly=False,
        help="Quotations of this company matching a rule must be approved before they are confirmed.",
    )
    review_partner_enabled = fields.Boolean(
        "Review customers",
        compute="_compute_switches",
        store=True,
        readonly=False,
        help="Customers of this company matching a rule must be approved before their orders are confirmed.",
    )
    template = fields.Selection(
        [
            ("order_amount", "Quotations over an amount"),
            ("order_discount", "Quotations with a discount"),
            ("customer_company", "Company customers"),
        ],
        string="First rule",
        required=True,
        default="order_amount",
    )
    amount = fields.Monetary(currency_field="currency_id", default=10000.0)
    reviewer_type = fields.Selection(
        [
            ("group", "Members of a group"),
            ("users", "Specific users"),
            ("manager", "The submitter's manager or sales team leader"),
        ],
        string="Who reviews",
        required=True,
        default="group",
    )
    group_id = fields.Many2one(
        "res.groups",
        default=lambda self: self.env.ref("sales_team.group_sale_manager", raise_if_not_found=False),
    )
    user_ids = fields.Many2many("res.users", string="Reviewers", domain=[("share", "=", False)])
    grant_reviewer = fields.Boolean(
        "Give them the Reviewer access",
        default=True,
        help="Only reviewers (Reviews › Reviewer) can approve or reject.",
    )
    not_reviewers = fields.Html(compute="_compute_not_reviewers", sanitize=False)
    rule_name = fields.Char("Rule name", compute="_compute_rule_name", store=True, readonly=False)

    def _compute_may_configure(self):
        may = self.env.user.has_group("base.group_system")
        for setup in self:
            setup.may_configure = may

    @api.depends("company_id")
    def _compute_switches(self):
        for setup in self:
            company = setup.company_id.sudo()
            setup.review_sale_enabled = company.review_sale_enabled
            setup.review_partner_enabled = company.review_partner_enabled

    @api.depends("template", "amount", "currency_id")
    def _compute_rule_name(self):
        for setup in self:
            if setup.template == "order_amount":
                setup.rule_name = self.env._(
                    "Quotations over %(amount)s", amount=format_amount(self.env, setup.amount, setup.currency_id)
                )
            else:
                setup.rule_name = setup._template_label()

    def _template_label(self):
        self.ensure_one()
        return dict(self._fields["template"]._description_selection(self.env)).get(self.template)

    def _reviewers(self):
        """The users the step names now (the manager kind names nobody until a record is submitted)."""
        self.ensure_one()
        if self.reviewer_type == "users":
            return self.user_ids
        if self.reviewer_type == "group":
            return self.group_id.sudo().all_user_ids.filtered(lambda u: u.active and not u.share)
        return self.env["res.users"]

    @api.depends("reviewer_type", "user_ids", "group_id")
    def _compute_not_reviewers(self):
        reviewer_group = self.env.ref("crm_review.group_review_reviewer")
        for setup in self:
            missing = setup._reviewers().filtered(lambda u: reviewer_group not in u.sudo().all_group_ids)
            if setup.reviewer_type == "group" and setup.group_id and not setup._reviewers():
                setup.not_reviewers = Markup("<div class='alert alert-warning' role='alert'>%s</div>") % (
                    self.env._(
                        "Group %(group)s has no member yet: its steps would go to the review administrators.",
                        group=setup.group_id.display_name,
                    )
                )
            elif missing:
                setup.not_reviewers = Markup("<div class='alert alert-warning' role='alert'>%s</div>") % (
                    self.env._(
                        "Not reviewers yet: %(users)s. Only users with the Reviews › Reviewer access can approve.",
                        users=", ".join(missing.mapped("name")),
                    )
                )
            else:
                setup.not_reviewers = False

    def _amount_literal(self):
        """The amount as the condition writes it: 10000, not 10000.0."""
        amount = self.currency_id.round(self.amount) if self.currency_id else self.amount
        return repr(int(amount)) if float(amount).is_integer() else repr(float(amount))

    def _step_values(self):
        """The one step of the first rule, from "who reviews"."""
        self.ensure_one()
        values = {"name": self.env._("Approval"), "approver_type": self.reviewer_type, "approval_mode": "any"}
        if self.reviewer_type == "users":
            values["user_ids"] = [Command.set(self.user_ids.ids)]
        elif self.reviewer_type == "group":
            values["group_id"] = self.group_id.id
        return values

    def action_create_rule(self):
        """Save the company's switches (system administrators), grant the Reviewer access if asked,
        create the first rule as a draft with one step and open it."""
        self.ensure_one()
        if self.may_configure:
            # As the user: Settings are theirs to change.
            company = self.company_id
            switches = {
                "review_sale_enabled": self.review_sale_enabled,
                "review_partner_enabled": self.review_partner_enabled,
            }
            if any(company[name] != value for name, value in switches.items()):
                company.write(switches)
            if self.grant_reviewer:
                reviewer_group = self.env.ref("crm_review.group_review_reviewer")
                missing = self._reviewers().filtered(lambda u: reviewer_group not in u.all_group_ids)
                if missing:
                    reviewer_group.write({"user_ids": [Command.link(user.id) for user in missing]})
        model_name, condition = TEMPLATES[self.template]
        rule = self.env["crm.review.rule"].create(
            {
                "name": self.rule_name or self._template_label(),
                "model_id": self.env["ir.model"]._get_id(model_name),
                "domain": condition(self),
                "company_id": self.company_id.id,
                "state": "draft",
                "step_ids": [Command.create(self._step_values())],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": rule.name,
            "res_model": "crm.review.rule",
            "res_id": rule.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
