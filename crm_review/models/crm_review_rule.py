from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import split_every

from ..tools.condition import ConditionError, evaluate_condition
from .res_company import REVIEW_SWITCHES

# Bounds of a rule's delays and counts: beyond them a date or a counter would overflow.
MAX_DELAY_HOURS = 24 * 366
MAX_COUNT = 1000

# Up to this many records, rule conditions are evaluated in memory rather than in SQL.
IN_MEMORY_MATCH = 20

# Records named by Activate as examples of what a draft rule would catch.
ACTIVATION_EXAMPLES = 5


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
    todo_limit: int
    action_approved_id: int
    action_rejected_id: int
    authority_user_id: int = 0
    allow_forward: bool = True
    forward_mode: str = "give_up"

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
    action_approved_id: int
    action_rejected_id: int
    decide_once: bool = False
    allow_revoke: bool = False
    revoke_hours: int = 0


class RuleFields(NamedTuple):
    """Fields an active rule reads or guards (cached)."""

    active: bool
    company_id: int  # 0: the rule applies in every company
    key_fields: frozenset
    condition_fields: frozenset  # read by the conditions of the rule and of its steps


class CrmReviewRule(models.Model):
    """Which records of a model need review, and by whom (through its steps)."""

    _name = "crm.review.rule"
    _inherit = ["crm.review.cached"]
    _description = "Review Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active")],
        string="Status",
        default="draft",
        required=True,
        copy=False,
        help="A draft rule applies to nothing: no record needs its review, none of its fields is key, "
        "until it is activated. Activate shows how many open records it would catch.",
    )
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain=lambda self: [("model", "in", list(self._reviewable_models()))],
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
    decide_once = fields.Boolean(
        "Same reviewer decides once",
        help="When the steps that open next are also for the reviewer who just approved, their approval counts "
        "for those steps too (said in the chatter and the audit trail). Never for a submitter who may not "
        "approve their own record; an 'all of them' step still waits for its other reviewers.",
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
    action_approved_id = fields.Many2one(
        "ir.actions.server",
        string="When approved, run",
        domain="[('model_id', '=', model_id)]",
        help="Server action run on the record when its review is complete (for example: confirm the order). "
        "The reviewer must be allowed to run it: in its groups, or with write access to the record.",
    )
    action_rejected_id = fields.Many2one(
        "ir.actions.server",
        string="When rejected, run",
        domain="[('model_id', '=', model_id)]",
        help="Server action run on the record when a step of this rule rejects it. "
        "The reviewer must be allowed to run it: in its groups, or with write access to the record.",
    )
    allow_revoke = fields.Boolean(
        "Reviewers may revoke their decision",
        help="A reviewer may withdraw their own approval or rejection while the next step is not decided "
        "(and the record was not confirmed since): the step waits for a decision again.",
    )
    revoke_hours = fields.Integer(
        "Revoke within (hours)",
        default=24,
        help="How long after deciding a reviewer may revoke their decision; 0: until the next step is decided.",
    )
    description = fields.Html(translate=True)
    step_count = fields.Integer(compute="_compute_step_count")

    @api.model
    def _default_from_settings(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        return int(value) if value not in (None, False, "") else default

    @api.model
    @tools.ormcache()
    def _reviewable_models(self):
        """Names of the models that inherit the review mixin.

        Cached: every new to-do checks it, and only installing a module changes it (a new registry).
        """
        mixin = self.env.registry["crm.review.mixin"]
        return tuple(name for name, cls in self.env.registry.items() if not cls._abstract and issubclass(cls, mixin))

    @api.depends("step_ids")
    def _compute_step_count(self):
        for rule in self:
            rule.step_count = len(rule.step_ids)

    @api.model
    def _condition_names(self):
        """What a condition may name: ids and the user's calendar day and time zone, never a record.

        Conditions are written by review administrators, who are not system
        administrators: they are parsed (``tools/condition.py``), never run.
        """
        return {
            "uid": self.env.uid,
            "company_id": self.env.company.id,
            "company_ids": self.env.companies.ids,
            "today": fields.Date.context_today(self),
            "tz": self._condition_tz(),
        }

    @api.model
    def _condition_tz(self):
        # The environment's time zone is read once per environment (``context_today`` reads the same).
        return self.env.tz.zone

    def _parse_domain(self, text, model_name):
        """Read and validate a condition; raise ValidationError naming the problem.

        The messages name the condition as written, the construct refused and
        the fields at fault, never an evaluated value.
        """
        try:
            domain = Domain(evaluate_condition(text or "[]", **self._condition_names()))
        except ConditionError as error:
            raise ValidationError(
                self.env._(
                    "The condition %(domain)s cannot be used: %(problem)s. A condition is a list of "
                    "(field, operator, value) and may only use uid, company_id, company_ids, context_today(), "
                    "relativedelta(...), datetime.timedelta(...), .strftime(...) and + or - on dates.",
                    domain=text,
                    problem=str(error),
                )
            ) from None
        except Exception:  # noqa: BLE001 - a value that is no domain is reported the same way
            raise ValidationError(
                self.env._(
                    "The condition %(domain)s cannot be used: it is not a list of (field, operator, value).",
                    domain=text,
                )
            ) from None
        model = self.env[model_name].sudo()
        try:
            domain.validate(model)
        except Exception:  # noqa: BLE001 - every field or operator error is reported as such
            raise ValidationError(
                self.env._(
                    "The condition %(domain)s is not valid for %(model)s: check %(fields)s.",
                    domain=text,
                    model=model._description,
                    fields=", ".join(self._invalid_condition_fields(domain, model)) or self.env._("its operators"),
                )
            ) from None
        return domain

    @api.model
    def _check_condition_access(self, domain, model_name):
        """The person who writes or tries a condition may read the model and every field it reads.

        Otherwise saving or simulating would tell them, one guess at a time,
        the value of a field they cannot see. The search is built, not run.
        """
        if self.env.su:
            return
        model = self.env[model_name].with_context(active_test=False)
        model.check_access("read")
        model._search(domain)

    @api.model
    def _invalid_condition_fields(self, domain, model):
        """Field paths of the conditions of ``domain`` that are not valid on ``model``."""
        invalid = []
        for condition in domain.iter_conditions():
            try:
                Domain(condition.field_expr, condition.operator, condition.value).validate(model)
            except Exception:  # noqa: BLE001
                invalid.append(str(condition.field_expr))
        return invalid

    def _get_domain(self):
        self.ensure_one()
        return self._parse_domain(self.domain, self.model)

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        for rule in self:
            if rule.model not in self._reviewable_models():
                raise ValidationError(self.env._("Records of %(model)s cannot be reviewed.", model=rule.model_id.name))
            rule._get_domain()

    def _review_check_condition_rights(self):
        for rule in self:
            self._check_condition_access(rule._get_domain(), rule.model)

    @api.constrains("active", "state", "step_ids")
    def _check_active_has_steps(self):
        for rule in self:
            if rule.active and rule.state == "active" and not rule.step_ids:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s has no step: add at least one step (who approves) before activating it.",
                        rule=rule.name,
                    )
                )

    @api.constrains("reject_limit", "reminder_after_hours", "reminder_repeat_hours", "reminder_max")
    def _check_counts(self):
        for rule in self:
            if min(rule.reject_limit, rule.reminder_after_hours, rule.reminder_repeat_hours, rule.reminder_max) < 0:
                raise ValidationError(
                    self.env._("Limits and delays of rule %(rule)s cannot be negative.", rule=rule.name)
                )
            if max(rule.reminder_after_hours, rule.reminder_repeat_hours) > MAX_DELAY_HOURS:
                raise ValidationError(
                    self.env._(
                        "Reminder delays of rule %(rule)s cannot exceed %(hours)s hours (one year).",
                        rule=rule.name,
                        hours=MAX_DELAY_HOURS,
                    )
                )
            if max(rule.reject_limit, rule.reminder_max) > MAX_COUNT:
                raise ValidationError(
                    self.env._(
                        "The rejection limit and the number of reminders of rule %(rule)s cannot exceed %(max)s.",
                        rule=rule.name,
                        max=MAX_COUNT,
                    )
                )

    @api.constrains("revoke_hours")
    def _check_revoke_hours(self):
        for rule in self:
            if not 0 <= rule.revoke_hours <= MAX_DELAY_HOURS:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: a decision may be revoked within 0 (no limit) to %(hours)s hours.",
                        rule=rule.name,
                        hours=MAX_DELAY_HOURS,
                    )
                )

    @api.constrains("action_approved_id", "action_rejected_id", "model_id")
    def _check_actions(self):
        for rule in self:
            rule._review_check_actions_model(
                rule.action_approved_id | rule.action_rejected_id, rule.model_id, rule.name
            )

    @api.model
    def _review_check_actions_model(self, actions, model, name):
        """Server actions run on the reviewed record: they must be actions of its model."""
        wrong = actions.sudo().filtered(lambda action: action.model_id != model)
        if wrong:
            raise ValidationError(
                self.env._(
                    "%(name)s: the actions run on a decision must be actions of %(model)s; %(actions)s is not.",
                    name=name,
                    model=model.name,
                    actions=", ".join(wrong.mapped("name")),
                )
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
        """The rule's condition, restricted to its company.

        A rule of a company applies to that company's records, and to records
        shared by every company (a contact without company) only when the user
        works in that company: a shared contact submitted from company A goes
        through the rules without company and those of A, not those of B.
        """
        self.ensure_one()
        domain = self._get_domain()
        if self.company_id and "company_id" in self.env[self.model]._fields:
            shared = [False] if self.company_id == self.env.company else []
            domain &= Domain("company_id", "in", [self.company_id.id, *shared])
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
                # ``_ids``: a record being created in a form (a new id) matches too.
                result[rule] = records.browse(matching._ids)
        return result

    @api.model
    def _rule_specs(self, model_name):
        """(rule id, domain) of the active rules of a model, in order; cached until a rule changes."""
        # Everything a condition may use is part of the cache key.
        return self._rule_specs_cached(
            model_name,
            self.env.uid,
            self.env.company.id,
            tuple(self.env.companies.ids),
            str(fields.Date.context_today(self)),
            self._condition_tz(),
        )

    @api.model
    @tools.ormcache("model_name", "uid", "company_id", "company_ids", "today", "tz")
    def _rule_specs_cached(self, model_name, uid, company_id, company_ids, today, tz):
        # The fields the model's rules read are loaded with its rules, not at the first write of a record.
        self._rule_fields_cached(model_name)
        rules = self.sudo().search([("model", "=", model_name), ("state", "=", "active")])
        return tuple((rule.id, rule._get_record_domain()) for rule in rules)

    @api.model
    def _review_switched_on(self, records):
        """Records whose company reviews their model (Settings › Reviews, the record's company)."""
        field_name = REVIEW_SWITCHES.get(records._name)
        if not field_name or not records:
            return records
        switched_on = self.env["res.company"]._review_setting_by_record(records, field_name)
        return records.filtered(lambda record: switched_on[record.id])

    @api.model
    def _review_switched_on_domain(self, model_name):
        """Search form of ``_review_switched_on``: records whose company reviews their model."""
        field_name = REVIEW_SWITCHES.get(model_name)
        if not field_name:
            return Domain.TRUE
        return self.env["res.company"]._review_setting_domain(model_name, field_name)

    @api.model
    def _rules_for(self, records, rules=None):
        """Active rules of the records' model that apply to them: {rule: records}.

        A record whose company switched the review of its model off in Settings
        needs none, whatever company the user works in.
        :param rules: only these rules, active or not (Simulate tries a rule before it is switched on)
        """
        if rules is None:
            specs = self._rule_specs(records._name)
        else:
            specs = [(rule.id, rule._get_record_domain()) for rule in rules.sudo().with_context(active_test=False)]
        records = self._review_switched_on(records) if specs else records.browse()
        if not records:
            return {}
        return self._match(records, [(self.sudo().browse(rule_id), domain) for rule_id, domain in specs])

    @api.model
    def _step_specs(self, rule_ids):
        """{rule id: (StepSpec, ...)} in step order; cached until a rule or a step changes."""
        return {rule_id: self._step_specs_cached(rule_id, self.env.lang or "en_US") for rule_id in rule_ids}

    @api.model
    def _step_spec(self, rule_id, step_id):
        """The StepSpec of step ``step_id`` of rule ``rule_id`` in the reader's language (cached), or None
        when the step is no longer one of the rule's: a decision reads its step's name, to-do limit and
        actions without a query."""
        if not (rule_id and step_id):
            return None
        specs = self._step_specs_cached(rule_id, self.env.lang or "en_US")
        return next((spec for spec in specs if spec.id == step_id), None)

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
                todo_limit=step.todo_limit,
                action_approved_id=step.action_approved_id.id,
                action_rejected_id=step.action_rejected_id.id,
                authority_user_id=step.authority_user_id.id,
                allow_forward=step.allow_forward,
                forward_mode=step.forward_mode,
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
            return RuleInfo(False, "continue", 0, 0, 0, 0)
        return RuleInfo(
            rule.allow_self_approval,
            rule.resubmit_mode,
            rule.reminder_after_hours,
            rule.reject_limit,
            rule.action_approved_id.id,
            rule.action_rejected_id.id,
            rule.decide_once,
            allow_revoke=rule.allow_revoke,
            revoke_hours=rule.revoke_hours,
        )

    @api.model
    @tools.ormcache("model_name")
    def _rule_fields_cached(self, model_name):
        """RuleFields of each rule of the model, archived ones included (cached until a rule or a step changes)."""
        rules = self.sudo().with_context(active_test=False).search([("model", "=", model_name)])
        default_key_fields = frozenset(self.env[model_name]._review_default_key_fields)
        result = []
        for rule in rules:
            condition_fields = set()
            for text in [rule.domain, *rule.step_ids.filtered("domain").mapped("domain")]:
                try:
                    domain = rule._parse_domain(text, model_name)
                except ValidationError:
                    continue
                condition_fields.update(
                    str(condition.field_expr).split(".")[0] for condition in domain.iter_conditions()
                )
            result.append(
                RuleFields(
                    # A draft rule never reviewed anything: it reads and freezes nothing.
                    active=rule.active and rule.state == "active",
                    company_id=rule.company_id.id or 0,
                    key_fields=frozenset(rule.key_field_ids.mapped("name")) or default_key_fields,
                    condition_fields=frozenset(condition_fields),
                )
            )
        return tuple(result)

    @api.model
    def _review_company_ids(self, records, vals=None):
        """Ids of the companies whose rules apply to ``records`` (and to them once ``vals`` is written).

        None when the model has no company: every rule applies. A record without
        company (a shared contact) goes through the rules of the current company,
        as in ``_get_record_domain``.
        """
        if "company_id" not in records._fields:
            return None
        record_companies = [record.company_id.id for record in records.sudo()]
        if vals and "company_id" in vals:
            record_companies.append(getattr(vals["company_id"], "id", vals["company_id"]) or False)
        companies = set(record_companies) - {False}
        if False in record_companies:
            companies.add(self.env.company.id)
        return companies

    @api.model
    def _review_rule_fields(self, records, kind, among=None, vals=None):
        """Names of the ``kind`` fields ("key_fields" or "condition_fields") of the active rules of ``records``.

        Only the active rules of the records' companies count (with ``vals``, of
        their companies once written): an archived or draft rule reads and
        freezes nothing. With ``among``, only names among those: the records are
        not read when none of them is such a field of any active rule.
        """
        entries = [entry for entry in self._rule_fields_cached(records._name) if entry.active]
        names = frozenset().union(*(getattr(entry, kind) for entry in entries))
        if among is not None:
            names &= frozenset(among)
        if not names or all(not entry.company_id for entry in entries):
            return names
        companies = self._review_company_ids(records, vals)
        if companies is None:
            return names
        return names & frozenset().union(
            *(getattr(entry, kind) for entry in entries if not entry.company_id or entry.company_id in companies)
        )

    # ------------------------------------------------------------------
    # Key fields: frozen while under review, a new review after approval
    # ------------------------------------------------------------------

    @api.model
    def _review_check_computed_fields(self, records, vals):
        """Refuse setting by hand a computed field that decides a review (an order total, say).

        The ORM stores what a client writes in a computed field without inverse:
        a forged total would take a record out of review or change what is
        approved. Refused: such fields that the conditions of the active rules
        read, or that are key fields or computed from key fields (the total, from
        the order lines), of the active rules or of the record's review. Computed
        fields meant to be edited (``readonly=False``: an order's payment terms
        or pricelist, proposed from the customer) are the user's to set.
        """
        if self.env.su:
            return
        computed = {
            name: field
            for name in vals
            if (field := records._fields.get(name))
            and field.compute
            and field.store
            and field.readonly
            and not field.inverse
        }
        if not computed:
            return
        key_fields = set(self._review_rule_fields(records, "key_fields", vals=vals))
        reviewed = records.filtered(lambda r: r.review_state in ("pending", "approved"))
        if reviewed:
            key_fields.update(*self._review_key_fields_by_record(reviewed).values())
        condition_fields = self._review_rule_fields(records, "condition_fields", computed, vals)
        forged = [
            name
            for name, field in computed.items()
            if name in condition_fields
            or name in key_fields
            or any(path.split(".")[0] in key_fields for path in records.pool.field_depends[field])
        ]
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s cannot be set by hand: computed from the record, it decides its review.",
                    fields=self._review_field_labels(records, forged),
                )
            )

    @api.model
    def _review_touched_key_fields(self, records, vals):
        """Key fields whose value in ``vals`` differs from a record's.

        The key fields of the active rules of the records' companies, and for
        records under review or approved, those of the rules of their review (a
        rule archived since, or of another company than the user's for a shared
        contact). No query when ``vals`` holds no key field of any rule; lines
        (x2many) always count as changed.
        """
        names = set(self._review_rule_fields(records, "key_fields", vals, vals))
        every_key_field = frozenset().union(*(entry.key_fields for entry in self._rule_fields_cached(records._name)))
        others = (every_key_field & frozenset(vals)) - names
        if others:
            reviewed = records.filtered(lambda r: r.review_state in ("pending", "approved"))
            if reviewed:
                names |= others & set().union(*self._review_key_fields_by_record(reviewed).values())
        changed = set()
        for name in names:
            field = records._fields[name]
            if field.type in ("one2many", "many2many") or any(
                field.convert_to_record(field.convert_to_cache(vals[name], record), record) != record[name]
                for record in records
            ):
                changed.add(name)
        return changed

    @api.model
    def _review_key_fields_by_record(self, records):
        """{record id: key field names} from the rules of each record's current review."""
        rules_by_record = defaultdict(lambda: self.sudo().browse())
        for line in self.env["crm.review"]._review_lines_of(records):
            rules_by_record[line.res_id] |= line.rule_id
        default = set(records._review_default_key_fields)
        return {
            record_id: set().union(*(set(rule.key_field_ids.mapped("name")) or default for rule in rules))
            for record_id, rules in rules_by_record.items()
        }

    @api.model
    def _review_check_key_fields_editable(self, records, touched):
        """Refuse changing ``touched`` key fields of records under review."""
        pending = records.filtered(lambda r: r.review_state == "pending")
        if not pending:
            return
        key_fields = self._review_key_fields_by_record(pending)
        for record in pending:
            blocked = touched & key_fields.get(record.id, set())
            if blocked:
                raise UserError(
                    self.env._(
                        "%(record)s is under review: %(fields)s cannot be changed until the review is "
                        "finished. Recall the submission first.",
                        record=record.display_name,
                        fields=self._review_field_labels(records, sorted(blocked)),
                    )
                )

    @api.model
    def _review_field_labels(self, records, names):
        """Labels of the fields ``names`` of ``records``' model, in the user's language."""
        return ", ".join(records._fields[name].get_description(self.env)["string"] for name in names)

    # ------------------------------------------------------------------
    # Draft, then active: a new rule stops nothing until it is activated
    # ------------------------------------------------------------------

    def write(self, vals):
        if vals.get("state") == "draft":
            self._check_may_go_back_to_draft()
        return super().write(vals)

    def _check_may_go_back_to_draft(self):
        """A rule that has reviewed records stays in force: its reviews go on, archive it to stop it."""
        used = self.env["crm.review"].sudo()._read_group([("rule_id", "in", self.ids)], ["rule_id"])
        if used:
            raise UserError(
                self.env._(
                    "Rule %(rule)s has already reviewed records: it cannot become a draft again. Archive it to "
                    "stop it applying to new submissions, or duplicate it to prepare a new version.",
                    rule=used[0][0].name,
                )
            )

    def action_activate(self):
        """Activate button: show what the rule would catch, and ask to confirm (``crm.review.rule.activate``)."""
        self.ensure_one()
        if not self.step_ids:
            raise UserError(
                self.env._(
                    "Rule %(rule)s has no step: add at least one step (who approves) before activating it.",
                    rule=self.name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Activate %(rule)s", rule=self.name),
            "res_model": "crm.review.rule.activate",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_rule_id": self.id},
        }

    def action_draft(self):
        """Back to draft (a rule activated by mistake, before it reviewed anything)."""
        self.write({"state": "draft"})
        return True

    def _review_activation_impact(self, batch_size=500):
        """What activating the rule would catch now, among the open records the user may read.

        The records of the rule's model that are open (``_review_open_domain``),
        that the user may read and that the rule's condition matches, planned by
        the engine's own planner in a dry run (``crm.review._review_plan``, as
        Simulate), in batches. Records the user cannot read are neither counted
        nor named.
        :return: dict with ``count`` (records caught), ``examples`` (a few of
            them) and ``nobody`` (names of steps that would have nobody to ask),
            or ``refusal`` (why the user cannot be shown the impact)
        """
        self.ensure_one()
        Model = self.env[self.model]
        if not Model.has_access("read"):
            return {
                "refusal": self.env._(
                    "You cannot read %(model)s: what the rule would catch cannot be shown to you.",
                    model=self.model_id.name,
                )
            }
        try:
            for text in [self.domain, *self.step_ids.filtered("domain").mapped("domain")]:
                self._check_condition_access(self._parse_domain(text, self.model), self.model)
        except (AccessError, ValidationError):
            return {
                "refusal": self.env._(
                    "The conditions of this rule read fields you may not read: what it would catch cannot be "
                    "shown to you."
                )
            }
        domain = Model._review_open_domain() & self._review_switched_on_domain(self.model) & self._get_record_domain()
        # The user's own search: records they cannot read are left out.
        candidates = Model.search(domain, order="id")
        Review = self.env["crm.review"]
        count, examples, nobody = 0, Model, set()
        has_salesperson = isinstance(Model._fields.get("user_id"), fields.Many2one) and (
            Model._fields["user_id"].comodel_name == "res.users"
        )
        for batch in split_every(batch_size, candidates.ids, Model.browse):
            # Planned as Simulate does: submitted by the record's salesperson, else by the user.
            plan = {}
            by_submitter = batch.grouped(lambda r: r.user_id) if has_salesperson else {self.env.user: batch}
            for submitter, records in by_submitter.items():
                plan.update(Review._review_plan(records, submitter or self.env.user, dry_run=True, rules=self))
            for record in batch:
                route = plan.get(record.id)
                if not route:
                    continue
                count += 1
                if len(examples) < ACTIVATION_EXAMPLES:
                    examples |= record
                nobody.update(step.spec.name for step in route if step.state != "skipped" and not step.reviewers)
        return {"count": count, "examples": examples, "nobody": sorted(nobody)}

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
        """Demo data: walk demo records through every review state, then spread them over the past days."""
        demo_user = self.env.ref("base.user_demo", raise_if_not_found=False)
        if not demo_user:
            return
        admin = self.env.ref("base.user_admin")
        ref = self.env.ref
        as_demo, as_admin = self.with_user(demo_user).env, self.with_user(admin).env
        companies = ref("crm_review.demo_rule_companies")._applicable_to(self.env["res.partner"].search([]))
        partners = next(iter(companies.values()), self.env["res.partner"])
        history = []
        if partners:
            partners.with_env(as_demo).action_review_submit()
            rejected, pending = partners[:1], partners[1:2]
            approved_partners = partners - rejected - pending
            approved_partners.with_env(as_admin).action_review_approve()
            rejected.with_env(as_admin)._review_reject(ref("crm_review.reason_incomplete"), "Tax ID is missing.")
            # Submitted from six days ago to yesterday; a credit check takes hours to a day and a half.
            history += [(rejected, 120, [30]), (pending, 20, [])]
            history += [(partner, 144 - 10 * i, [3 + 23 * (i % 2)]) for i, partner in enumerate(approved_partners)]
        pending = ref("crm_review.demo_order_pending").with_env(as_demo)
        approved = ref("crm_review.demo_order_approved").with_env(as_demo)
        rejected = ref("crm_review.demo_order_rejected").with_env(as_demo)
        changed = ref("crm_review.demo_order_changed").with_env(as_demo)
        (pending | approved | rejected | changed).action_review_submit()
        (approved | changed).with_env(as_admin).action_review_approve()
        (approved | changed).with_env(as_admin).with_context(crm_review_no_wizard=True).action_review_approve(
            comment="Margin checked."
        )
        rejected.with_env(as_admin)._review_reject(
            ref("crm_review.reason_wrong_data"), "The discount is not in the price list.", send_back="submitter"
        )
        # Approved, then the customer asked for more: a new review is needed (to submit again).
        line = changed.order_line[:1]
        line.write({"product_uom_qty": line.product_uom_qty + 5, "price_unit": line.price_unit})
        history += [(pending, 28, []), (approved, 96, [5, 20]), (rejected, 72, [9]), (changed, 192, [26, 4])]
        self._demo_spread_history(history)

    @api.model
    def _demo_spread_history(self, history):
        """Demo data: date the demo reviews back, as if they had been submitted and decided in the past days.

        The engine dates every step with the time it opens and is decided: in a demo, all at install.
        Once they are decided, this moves each record's last submission into the past, so the review
        analysis shows cycle times and the lists show how long steps wait. Demo data only: the review
        history of real records is never rewritten.

        :param history: [(record or its xmlid, hours ago it was submitted, hours each decided step took)]
        """
        now = fields.Datetime.now()
        Review = self.env["crm.review"].sudo()
        for record, hours_ago, step_hours in history:
            record = self.env.ref(record) if isinstance(record, str) else record
            lines = Review.search([("res_model", "=", record._name), ("res_id", "=", record.id)])
            last = max(lines.mapped("submission"), default=0)
            opened = now - timedelta(hours=hours_ago)
            durations = iter(step_hours)
            for line in lines.filtered(lambda line, last=last: line.submission == last and line.pending_since):
                # Reminders keep their date (one delay after the install): a new demo sends none at once.
                vals = {"pending_since": opened}
                if line.done_date:
                    hours = next(durations)
                    opened += timedelta(hours=hours)
                    vals.update(done_date=opened, duration_hours=hours)
                line.write(vals)
