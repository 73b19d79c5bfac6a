import re
from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import datetime, dateutil, safe_eval, time

# Up to this many records, rule conditions are evaluated in memory rather than in SQL.
IN_MEMORY_MATCH = 20


class StepSpec(NamedTuple):
    """A step and what the engine needs of its rule, as plain values (cached, read without a query)."""

    id: int
    rule_id: int
    name: str
    sequence: int
    rule_sequence: int
    approver_type: str
    user_ids: tuple
    group_id: int
    user_field: str
    approval_mode: str
    comment_required: bool
    domain: str

    @property
    def order(self):
        """Review order of steps merged from several rules."""
        return (self.sequence, self.rule_sequence, self.rule_id, self.id)


class RuleInfo(NamedTuple):
    """Settings of a rule the engine reads at each decision (cached)."""

    allow_self_approval: bool
    resubmit_mode: str
    reminder_after_hours: int
    reject_limit: int


class CrmReviewRule(models.Model):
    """Which records of a model need review, and by whom (through its steps)."""

    _name = "crm.review.rule"
    _inherit = ["crm.review.cached"]
    _description = "Review Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain=lambda self: [("model", "in", self._reviewable_models())],
    )
    model = fields.Char(related="model_id.model", store=True, index=True)
    domain = fields.Text(
        string="Condition",
        default="[]",
        required=True,
        help="Odoo domain the record must match for the rule to apply, e.g. [('amount_total', '>', 50000)].",
    )
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to apply the rule in every company.",
    )
    step_ids = fields.One2many("crm.review.step", "rule_id", string="Steps", copy=True)
    reject_limit = fields.Integer(
        string="Rejection limit",
        default=lambda self: self._default_from_settings("crm_review.default_reject_limit", 0),
        help="Number of rejections after which the review is escalated; 0 means no limit.",
    )
    escalation_user_id = fields.Many2one(
        "res.users",
        string="Escalate to",
        domain=[("share", "=", False)],
        help="Told when the rejection limit is reached. Empty: the review administrators.",
    )
    resubmit_mode = fields.Selection(
        [("continue", "Continue from the rejected step"), ("restart", "Restart from the first step")],
        string="On resubmission",
        default="continue",
        required=True,
    )
    allow_self_approval = fields.Boolean(
        help="Let a reviewer approve a record they submitted themselves.",
    )
    key_field_ids = fields.Many2many(
        "ir.model.fields",
        string="Key fields",
        domain="[('model_id', '=', model_id), ('store', '=', True)]",
        help="Changing one of these fields on an approved record sends it back to draft. "
        "For sale orders, empty means the order lines and amounts.",
    )
    reminder_after_hours = fields.Integer(
        "Remind after (hours)",
        default=lambda self: self._default_from_settings("crm_review.default_reminder_hours", 24),
        help="A step still pending this many hours after it became pending reminds its reviewers; "
        "0 switches reminders off.",
    )
    reminder_repeat_hours = fields.Integer(
        "Repeat every (hours)",
        default=lambda self: self._default_from_settings("crm_review.default_reminder_repeat_hours", 24),
    )
    reminder_max = fields.Integer(
        "Reminders before escalation",
        default=lambda self: self._default_from_settings("crm_review.default_reminder_max", 3),
        help="After this many reminders the step is escalated to the reviewer's manager "
        "(or the escalation user, or the review administrators).",
    )
    block_sending = fields.Boolean(
        string="Block sending before approval",
        help="Sale orders: the quotation cannot be sent to the customer until approved.",
    )
    description = fields.Html(translate=True)
    step_count = fields.Integer(compute="_compute_step_count")

    @api.model
    def _default_from_settings(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        return int(value) if value not in (None, False, "") else default

    @api.model
    def _reviewable_models(self):
        """Names of the models that inherit the review mixin."""
        mixin = self.env.registry["crm.review.mixin"]
        return [name for name, cls in self.env.registry.items() if not cls._abstract and issubclass(cls, mixin)]

    @api.depends("step_ids")
    def _compute_step_count(self):
        for rule in self:
            rule.step_count = len(rule.step_ids)

    @api.model
    def _domain_eval_context(self):
        """Names a rule or step condition may use."""
        return {
            "uid": self.env.uid,
            "user": self.env.user,
            "context_today": datetime.date.today,
            "datetime": datetime,
            "relativedelta": dateutil.relativedelta.relativedelta,
            "time": time,
        }

    def _parse_domain(self, text, model_name):
        """Evaluate and validate a condition; raise ValidationError naming the problem."""
        try:
            domain = Domain(safe_eval(text or "[]", self._domain_eval_context()))
            domain.validate(self.env[model_name].sudo())
        except Exception as e:  # noqa: BLE001 - every parse or field error is reported as such
            raise ValidationError(
                self.env._("The condition %(domain)s is not a valid domain: %(error)s", domain=text, error=e)
            ) from e
        return domain

    def _get_domain(self):
        self.ensure_one()
        return self._parse_domain(self.domain, self.model)

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        for rule in self:
            if rule.model not in self._reviewable_models():
                raise ValidationError(self.env._("Records of %(model)s cannot be reviewed.", model=rule.model_id.name))
            rule._get_domain()

    @api.constrains("reject_limit", "reminder_after_hours", "reminder_repeat_hours", "reminder_max")
    def _check_counts(self):
        for rule in self:
            if min(rule.reject_limit, rule.reminder_after_hours, rule.reminder_repeat_hours, rule.reminder_max) < 0:
                raise ValidationError(
                    self.env._("Limits and delays of rule %(rule)s cannot be negative.", rule=rule.name)
                )

    @api.constrains("key_field_ids", "model_id")
    def _check_key_fields(self):
        for rule in self:
            wrong = rule.key_field_ids.filtered(lambda f, rule=rule: f.model != rule.model)
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Key fields must belong to %(model)s: %(fields)s",
                        model=rule.model_id.name,
                        fields=", ".join(wrong.mapped("name")),
                    )
                )

    def _get_record_domain(self):
        """The rule's condition, restricted to its company."""
        self.ensure_one()
        domain = self._get_domain()
        if self.company_id and "company_id" in self.env[self.model]._fields:
            domain &= Domain("company_id", "in", [self.company_id.id, False])
        return domain

    def _applicable_to(self, records):
        """Records (among ``records``) each active rule of ``self`` applies to.

        One query per rule, whatever the number of records.
        :return: dict {rule: records}
        """
        specs = {rule_id: domain for rule_id, domain in self._rule_specs(records._name)}
        return self._match(records, [(rule, specs.get(rule.id) or rule._get_record_domain()) for rule in self])

    @api.model
    def _match(self, records, rules_domains):
        """{rule: records matching its domain}; a few records are matched in memory (no query)."""
        result = {}
        candidates = records.sudo().with_context(active_test=False)
        in_memory = len(records) <= IN_MEMORY_MATCH
        for rule, domain in rules_domains:
            if in_memory:
                matching = candidates.filtered_domain(domain)
            else:
                matching = candidates.search(domain & Domain("id", "in", records.ids))
            if matching:
                result[rule] = records.browse(matching.ids)
        return result

    @api.model
    def _rule_specs(self, model_name):
        """(rule id, domain) of the active rules of a model, in order; cached until a rule changes."""
        # Conditions may use today's date and the user: both are part of the
        # cache key (the user only for models whose conditions name it).
        uid = self.env.uid if self._rule_conditions_use_user(model_name) else 0
        return self._rule_specs_cached(model_name, uid, str(fields.Date.context_today(self)))

    @api.model
    @tools.ormcache("model_name")
    def _rule_conditions_use_user(self, model_name):
        rules = self.sudo().with_context(active_test=False).search([("model", "=", model_name)])
        steps = rules.step_ids
        return any(re.search(r"\buser\b", text or "") for text in rules.mapped("domain") + steps.mapped("domain"))

    @api.model
    @tools.ormcache("model_name", "uid", "today")
    def _rule_specs_cached(self, model_name, uid, today):
        # The model's key fields are loaded with its rules, not at the first write of a record.
        self._key_fields_of_model(model_name)
        rules = self.sudo().search([("model", "=", model_name)])
        return tuple((rule.id, rule._get_record_domain()) for rule in rules)

    @api.model
    def _active_rule_specs(self, model_name):
        """(rule id, domain) of a model's active rules, none when its review is off in Settings."""
        if model_name in self.env["res.config.settings"]._crm_review_disabled_models():
            return ()
        return self._rule_specs(model_name)

    @api.model
    def _rules_for(self, records):
        """Active rules of the records' model that apply to them: {rule: records}."""
        specs = self._active_rule_specs(records._name)
        return self._match(records, [(self.sudo().browse(rule_id), domain) for rule_id, domain in specs])

    @api.model
    def _step_specs(self, rule_ids):
        """{rule id: (StepSpec, ...)} in step order; cached until a rule or a step changes."""
        return {rule_id: self._step_specs_cached(rule_id, self.env.lang or "en_US") for rule_id in rule_ids}

    @api.model
    @tools.ormcache("rule_id", "lang")
    def _step_specs_cached(self, rule_id, lang):
        rule = self.sudo().with_context(lang=lang, active_test=False).browse(rule_id)
        return tuple(
            StepSpec(
                id=step.id,
                rule_id=rule.id,
                name=step.name,
                sequence=step.sequence,
                rule_sequence=rule.sequence,
                approver_type=step.approver_type,
                user_ids=tuple(step.user_ids.ids),
                group_id=step.group_id.id,
                user_field=step.user_field_id.name or "",
                approval_mode=step.approval_mode,
                comment_required=step.comment_required,
                domain=step.domain or "",
            )
            for step in rule.step_ids
        )

    @api.model
    def _rule_info(self, rule_id):
        """RuleInfo of a rule (defaults for a deleted rule); cached until a rule changes."""
        return self._rule_info_cached(rule_id or 0)

    @api.model
    @tools.ormcache("rule_id")
    def _rule_info_cached(self, rule_id):
        rule = self.sudo().with_context(active_test=False).browse(rule_id).exists()
        if not rule:
            return RuleInfo(False, "continue", 0, 0)
        return RuleInfo(rule.allow_self_approval, rule.resubmit_mode, rule.reminder_after_hours, rule.reject_limit)

    @api.model
    @tools.ormcache("model_name")
    def _key_fields_of_model(self, model_name):
        """Names of the fields that are key for any rule of the model (cached)."""
        rules = self.sudo().with_context(active_test=False).search([("model", "=", model_name)])
        if not rules:
            return frozenset()
        names = set(rules.key_field_ids.mapped("name"))
        if any(not rule.key_field_ids for rule in rules):
            names |= set(self.env[model_name]._review_default_key_fields)
        return frozenset(names)

    def action_simulate(self):
        """Open the simulation wizard: which steps would apply to a record, and who reviews."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Simulate %(rule)s", rule=self.name),
            "res_model": "crm.review.simulate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_rule_id": self.id},
        }

    @api.model
    def _demo_run_reviews(self):
        """Demo data: walk demo records through every review state."""
        demo_user = self.env.ref("base.user_demo", raise_if_not_found=False)
        if not demo_user:
            return
        admin = self.env.ref("base.user_admin")
        ref = self.env.ref
        as_demo, as_admin = self.with_user(demo_user).env, self.with_user(admin).env
        companies = ref("crm_review.demo_rule_companies")._applicable_to(self.env["res.partner"].search([]))
        partners = next(iter(companies.values()), self.env["res.partner"])
        if partners:
            partners.with_env(as_demo).action_review_submit()
            rejected, pending = partners[:1], partners[1:2]
            (partners - rejected - pending).with_env(as_admin).action_review_approve()
            rejected.with_env(as_admin)._review_reject(ref("crm_review.reason_incomplete"), "Tax ID is missing.")
        pending = ref("crm_review.demo_order_pending").with_env(as_demo)
        approved = ref("crm_review.demo_order_approved").with_env(as_demo)
        rejected = ref("crm_review.demo_order_rejected").with_env(as_demo)
        (pending | approved | rejected).action_review_submit()
        approved.with_env(as_admin).action_review_approve()
        approved.with_env(as_admin).with_context(crm_review_no_wizard=True).action_review_approve(
            comment="Margin checked."
        )
        rejected.with_env(as_admin)._review_reject(
            ref("crm_review.reason_wrong_data"), "The discount is not in the price list.", send_back="submitter"
        )
