from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Up to this many reviewers, each gets a to-do (Odoo's activity menu); beyond, the To Review list and digest.
DEFAULT_TODO_LIMIT = 10
MAX_TODO_LIMIT = 1000


class CrmReviewStep(models.Model):
    """One ordered approval step (tier) of a review rule."""

    _name = "crm.review.step"
    _inherit = ["crm.review.cached"]
    _description = "Review Step"
    _order = "sequence, id"

    rule_id = fields.Many2one("crm.review.rule", required=True, ondelete="cascade", index=True)
    model_id = fields.Many2one(related="rule_id.model_id")
    model = fields.Char(related="rule_id.model", string="Model name")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        "Order",
        default=10,
        help="Lower steps are reviewed first. Steps of the rule with the same order are reviewed at the same time "
        "(in parallel): the next ones open when all of them are approved.",
    )
    parallel_label = fields.Char("In parallel with", compute="_compute_parallel_label")
    approver_type = fields.Selection(
        [
            ("users", "Specific users"),
            ("group", "Members of a group"),
            ("manager", "Submitter's manager / sales team leader"),
            ("field", "User field on the record"),
            ("authority", "Authority chain, until a limit covers the amount"),
        ],
        string="Approved by",
        required=True,
        default="users",
    )
    user_ids = fields.Many2many("res.users", string="Reviewers", domain=[("share", "=", False)])
    # A group still named by a step cannot be deleted: its reviews would have nobody.
    group_id = fields.Many2one("res.groups", ondelete="restrict")
    user_field_id = fields.Many2one(
        "ir.model.fields",
        string="User field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), ('ttype', '=', 'many2one')]",
    )
    authority_user_id = fields.Many2one(
        "res.users",
        string="First approver",
        domain=[("share", "=", False)],
        help='Authority chain: where the chain starts when the submitter has no manager (no "Approves above my '
        'authority", no employee manager) and the record no sales team leader.',
    )
    approval_mode = fields.Selection(
        [("any", "Any one of them"), ("all", "All of them")],
        required=True,
        default="any",
    )
    approvers_label = fields.Char("Who approves", compute="_compute_approvers_label")
    domain = fields.Text(
        string="Condition",
        help="Optional: the step only applies to records matching this domain; otherwise it is skipped.",
    )
    comment_required = fields.Boolean(help="Reviewers must write a comment to approve.")
    todo_limit = fields.Integer(
        "To-dos for up to",
        default=DEFAULT_TODO_LIMIT,
        help="Each reviewer gets a to-do while the step has at most this many reviewers. A larger group "
        "(a whole department, any one of whom approves) finds the step in its To Review list and reminder "
        "digest instead: one decision then creates and removes no to-do for each member. 0: a to-do for "
        "every reviewer, whatever their number.",
    )
    allow_forward = fields.Boolean(
        "Reviewers may forward",
        default=True,
        help="A reviewer may forward the step to another reviewer (with a comment), who then decides.",
    )
    forward_mode = fields.Selection(
        [("give_up", "Hand over: the forwarder no longer decides"), ("keep", "Share: the forwarder decides too")],
        string="When forwarded",
        default="give_up",
        required=True,
        help="On an 'All of them' step the person forwarded to always takes the forwarder's place: one "
        "approval is expected from each reviewer.",
    )
    action_approved_id = fields.Many2one(
        "ir.actions.server",
        string="When approved, run",
        domain="[('model_id', '=', model_id)]",
        help="Server action run on the record when this step is approved. "
        "The reviewer must be allowed to run it: in its groups, or with write access to the record.",
    )
    action_rejected_id = fields.Many2one(
        "ir.actions.server",
        string="When rejected, run",
        domain="[('model_id', '=', model_id)]",
        help="Server action run on the record when this step rejects it. "
        "The reviewer must be allowed to run it: in its groups, or with write access to the record.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # A step given no order comes after the rule's others (as listed): steps run in parallel only
        # when they are given the same order on purpose.
        unordered = [
            vals for vals in vals_list if "sequence" not in vals and "default_sequence" not in self.env.context
        ]
        if unordered:
            rule_ids = {vals.get("rule_id") or self.env.context.get("default_rule_id") for vals in vals_list}
            rule_ids.discard(None)
            last = dict(self._read_group([("rule_id", "in", list(rule_ids))], ["rule_id"], ["sequence:max"]))
            last = {rule.id: sequence for rule, sequence in last.items()}
            for vals in vals_list:
                rule_id = vals.get("rule_id") or self.env.context.get("default_rule_id")
                if "sequence" in vals or "default_sequence" in self.env.context:
                    sequence = vals.get("sequence", self.env.context.get("default_sequence"))
                else:
                    sequence = last[rule_id] + 1 if rule_id in last else self._fields["sequence"].default(self)
                    vals["sequence"] = sequence
                if isinstance(sequence, int):
                    last[rule_id] = max(last.get(rule_id, sequence), sequence)
        return super().create(vals_list)

    @api.depends("rule_id.step_ids.sequence", "rule_id.step_ids.name")
    def _compute_parallel_label(self):
        """Names of the rule's other steps with the same order: they are reviewed at the same time."""
        for step in self:
            others = step.rule_id.step_ids.filtered(
                lambda other, step=step: other.sequence == step.sequence and other != step
            )
            step.parallel_label = ", ".join(others.mapped("name")) or False

    @api.depends("approver_type", "user_ids", "group_id", "user_field_id")
    def _compute_approvers_label(self):
        """Who approves the step, in words: the steps list shows it in one column."""
        type_labels = dict(self._fields["approver_type"]._description_selection(self.env))
        for step in self:
            if step.approver_type == "users":
                label = ", ".join(step.user_ids.mapped("name"))
            elif step.approver_type == "group":
                label = step.group_id and self.env._("Members of %(group)s", group=step.group_id.display_name)
            elif step.approver_type == "field":
                label = step.user_field_id and self.env._(
                    "%(field)s of the record", field=step.user_field_id.field_description
                )
            else:
                label = type_labels.get(step.approver_type)
            step.approvers_label = label or False

    @api.constrains("approver_type", "user_ids", "group_id", "user_field_id")
    def _check_approvers(self):
        for step in self:
            missing = {
                "users": not step.user_ids and self.env._("reviewers"),
                "group": not step.group_id and self.env._("a group"),
                "field": not step.user_field_id and self.env._("a user field"),
            }.get(step.approver_type)
            if missing:
                raise ValidationError(self.env._("Step %(step)s needs %(missing)s.", step=step.name, missing=missing))

    @api.constrains("todo_limit")
    def _check_todo_limit(self):
        for step in self:
            if not 0 <= step.todo_limit <= MAX_TODO_LIMIT:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the number of reviewers who get a to-do is between 0 (all of them) "
                        "and %(max)s.",
                        step=step.name,
                        max=MAX_TODO_LIMIT,
                    )
                )

    @api.constrains("approver_type", "user_ids", "rule_id")
    def _check_users_company(self):
        for step in self.filtered(lambda s: s.approver_type == "users" and s.rule_id.company_id):
            company = step.rule_id.company_id
            outside = step.user_ids.sudo().filtered(lambda u, company=company: company not in u.company_ids)
            if outside:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: %(users)s cannot review records of %(company)s (not allowed in that company).",
                        step=step.name,
                        users=", ".join(outside.mapped("name")),
                        company=company.name,
                    )
                )

    @api.constrains("approver_type", "user_field_id", "rule_id")
    def _check_user_field(self):
        for step in self.filtered(lambda s: s.approver_type == "field" and s.user_field_id):
            field = step.user_field_id
            if field.model != step.rule_id.model or field.ttype != "many2one" or field.relation != "res.users":
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the reviewers' field must be a user field (many2one to Users) of "
                        "%(model)s; %(field)s is not.",
                        step=step.name,
                        model=step.rule_id.model_id.name,
                        field=field.field_description,
                    )
                )

    @api.constrains("action_approved_id", "action_rejected_id", "rule_id")
    def _check_actions(self):
        for step in self:
            self.env["crm.review.rule"]._review_check_actions_model(
                step.action_approved_id | step.action_rejected_id, step.rule_id.model_id, step.name
            )

    @api.constrains("domain", "rule_id")
    def _check_domain(self):
        for step in self.filtered("domain"):
            step.rule_id._parse_domain(step.domain, step.rule_id.model)

    def _review_check_condition_rights(self):
        Rule = self.env["crm.review.rule"]
        for step in self.filtered("domain"):
            Rule._check_condition_access(Rule._parse_domain(step.domain, step.rule_id.model), step.rule_id.model)

    @api.model
    def _spec_applies_to(self, spec, records):
        """Records among ``records`` matching the condition of step ``spec`` (in memory for a few)."""
        if not spec.domain or spec.domain.strip() in ("", "[]"):
            return records
        domain = self.env["crm.review.rule"]._parse_domain(spec.domain, records._name)
        return self.env["crm.review.rule"]._match(records, [(spec.id, domain)]).get(spec.id, records.browse())

    @api.model
    def _spec_reviewers(self, spec, record, submitter):
        """Users who may review step ``spec`` of ``record`` (before filtering out inactive users)."""
        if spec.approver_type == "users":
            return self.env["res.users"].browse(spec.user_ids)
        if spec.approver_type == "group":
            return self.env["res.groups"].sudo().browse(spec.group_id).all_user_ids
        record = record.sudo()
        if spec.approver_type == "field":
            field = record._fields.get(spec.user_field)
            if field and field.type == "many2one" and field.comodel_name == "res.users":
                return record[spec.user_field]
            return self.env["res.users"]
        return self._review_manager_of(record, submitter)

    @api.model
    def _review_manager_of(self, record, submitter):
        """Who approves a "manager" step: the submitter's manager, else the sales team leader."""
        if "employee_id" in submitter._fields:
            manager = submitter.sudo().employee_id.parent_id.user_id
            if manager:
                return manager
        if "team_id" in record._fields and record.sudo().team_id.user_id:
            return record.sudo().team_id.user_id
        team = (
            self.env["crm.team"]
            .sudo()
            .search(["|", ("member_ids", "in", submitter.ids), ("user_id", "=", submitter.id)], limit=1)
        )
        return team.user_id
