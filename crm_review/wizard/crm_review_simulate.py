from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError


class CrmReviewSimulate(models.TransientModel):
    """Try a rule on an existing record before switching it on."""

    _name = "crm.review.simulate"
    _description = "Simulate a Review Rule"

    rule_id = fields.Many2one("crm.review.rule", required=True)
    model = fields.Char(related="rule_id.model")
    model_id = fields.Many2one(related="rule_id.model_id")
    res_ref = fields.Reference(selection="_selection_res_ref", string="Record")
    submitter_id = fields.Many2one(
        "res.users",
        compute="_compute_submitter_id",
        store=True,
        readonly=False,
        required=True,
        help="The record's salesperson by default: the one who would submit it.",
    )
    result = fields.Html(compute="_compute_result", sanitize=False)

    @api.model
    def _selection_res_ref(self):
        models_ = (
            self.env["ir.model"].sudo().search([("model", "in", self.env["crm.review.rule"]._reviewable_models())])
        )
        return [(m.model, m.name) for m in models_]

    @api.depends("res_ref")
    def _compute_submitter_id(self):
        for wizard in self:
            record = wizard.res_ref
            salesperson = record and "user_id" in record._fields and record.user_id
            wizard.submitter_id = salesperson or wizard.submitter_id or self.env.user

    @api.depends("rule_id", "res_ref", "submitter_id")
    def _compute_result(self):
        for wizard in self:
            wizard.result = wizard._simulate()

    def _simulate_refusal(self, rule, record):
        """Why the user may not try ``rule`` on ``record``: the record, or a field a condition reads,
        is hidden from them. Trying would tell, one guess at a time, what they cannot read."""
        if not record.exists() or not record.with_env(self.env).has_access("read"):
            return self.env._("You cannot read this record: pick one you may read.")
        Rule = self.env["crm.review.rule"]
        try:
            for text in [rule.domain, *rule.step_ids.filtered("domain").mapped("domain")]:
                Rule._check_condition_access(Rule._parse_domain(text, rule.model), rule.model)
        except (AccessError, ValidationError):
            return self.env._("The conditions of this rule read fields you may not read: it cannot be tried by you.")
        return False

    def _simulate(self):
        """The route a submission by the chosen submitter would take under this rule alone (active or not):
        the dry run of the engine's own planner, ``crm.review._review_plan``."""
        rule = self.rule_id
        record = self.res_ref
        if not rule or not record:
            return False
        if record._name != rule.model:
            return Markup("<p>%s</p>") % self.env._("Pick a record of %(model)s.", model=rule.model_id.name)
        refusal = self._simulate_refusal(rule, record)
        if refusal:
            return Markup("<div class='alert alert-danger' role='alert'>%s</div>") % refusal
        plan = self.env["crm.review"]._review_plan(record, self.submitter_id, dry_run=True, rules=rule)[record.id]
        if not plan:
            if not self.env["crm.review.rule"]._review_switched_on(record):
                return Markup("<p>%s</p>") % self.env._(
                    "The company of %(record)s does not review %(model)s (Settings › Reviews): it needs no review.",
                    record=record.display_name,
                    model=rule.model_id.name,
                )
            return Markup("<p>%s</p>") % self.env._(
                "The rule's condition does not match %(record)s.", record=record.display_name
            )
        states = dict(self.env["crm.review"]._fields["state"]._description_selection(self.env))
        rows = Markup()
        nobody = False
        for step in plan:
            if step.state == "skipped":
                who = "-"
            elif not step.reviewers:
                nobody = True
                who = Markup("<span class='text-danger fw-bold'>%s</span>") % self.env._("Nobody")
            elif step.fallback:
                who = self._simulate_fallback_text(record, step.reviewers)
            else:
                who = step.reviewers._review_names()
            # Parallel steps share their number: they would be reviewed at the same time.
            rows += Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                step.position,
                step.name or step.spec.name,
                # A dry run carries no approval over; a carried step would show as approved.
                states.get(step.state, states["approved"]),
                who,
            )
        warning = Markup()
        if nobody:
            warning = Markup("<div class='alert alert-warning' role='alert'>%s</div>") % self.env._(
                "A step would have nobody to ask, not even a review administrator of the record's company: "
                "the submission would be refused. Give it reviewers before switching the rule on."
            )
        return warning + Markup(
            "<table class='table table-sm'><thead><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th></tr></thead>"
            "<tbody>%s</tbody></table>"
        ) % (self.env._("Step"), self.env._("Status"), self.env._("Who would be asked"), rows)

    def _simulate_fallback_text(self, record, reviewers):
        """Who decides a step that names nobody who may review ``record``: its company's review administrators."""
        company = record.company_id if "company_id" in record._fields else False
        if company:
            return self.env._(
                "Nobody named: the review administrators of %(company)s decide: %(users)s",
                company=company.sudo().name,
                users=reviewers._review_names(),
            )
        return self.env._("Nobody named: the review administrators decide: %(users)s", users=reviewers._review_names())
