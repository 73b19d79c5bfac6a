from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.fields import Domain

# Only ``_review_write_state`` holds this object; no RPC call can put it in a context.
_REVIEW_WRITE = object()
# Held by the contacts merge: the surviving partner keeps its own review state.
REVIEW_KEEP_STATE = object()

# Computed from the review lines: read again after a decision that leaves the state as it is.
REVIEW_STATUS_FIELDS = [
    "review_reviewer_ids",
    "review_step_label",
    "review_route_label",
    "review_reviewers_label",
    "review_submitter_id",
    "review_can_decide",
    "review_to_me",
    "review_submitted_by_me",
    "review_involves_me",
    "review_last_rejection",
]

REVIEW_STATES = [
    ("draft", "To submit"),
    ("pending", "Under review"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]


class CrmReviewMixin(models.AbstractModel):
    """Makes a model reviewable: review fields, guards and the review actions.

    The route of a submission is planned by ``crm.review.rule``, decided on by
    ``crm.review`` (the route's lines) and told by ``crm.review.notifier``.
    Inheriting models declare ``_review_default_key_fields`` (fields whose change
    on an approved record needs a new review when the rule names none) and use
    ``_review_blocking_records`` in the hook their framework calls before
    confirming or invoicing.
    """

    _name = "crm.review.mixin"
    _description = "Reviewable Record"

    _review_default_key_fields = ()
    # The date an authority limit is converted into the record's currency at (today when empty).
    _review_authority_date_field = None

    # No default: NULL means "never entered review", so installing the addon
    # does not rewrite big tables.
    review_state = fields.Selection(REVIEW_STATES, string="Review", copy=False, readonly=True, index=True)
    review_required = fields.Boolean(
        compute="_compute_review_required",
        search="_search_review_required",
        help="An active review rule applies to this record.",
    )
    review_ids = fields.One2many(
        "crm.review",
        "res_id",
        string="Review steps",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    review_log_ids = fields.One2many(
        "crm.review.log",
        "res_id",
        string="Review history",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    review_reviewer_ids = fields.Many2many("res.users", string="Current reviewers", compute="_compute_review_status")
    review_step_label = fields.Char("Review step", compute="_compute_review_status")
    review_route_label = fields.Char(
        "Review route",
        compute="_compute_review_status",
        help="The steps of the review in progress, in order: approved ones ticked, the current one marked.",
    )
    review_reviewers_label = fields.Char("Waiting for", compute="_compute_review_status")
    review_submitter_id = fields.Many2one("res.users", string="Submitted by", compute="_compute_review_status")
    review_can_decide = fields.Boolean(compute="_compute_review_status")
    review_to_me = fields.Boolean("To review by me", compute="_compute_review_status", search="_search_review_to_me")
    review_involves_me = fields.Boolean(
        "Reviewed by me",
        compute="_compute_review_involves_me",
        search="_search_review_involves_me",
        help="The current user is or was a reviewer of the record: the review grants them read access.",
    )
    review_submitted_by_me = fields.Boolean(
        "My submissions", compute="_compute_review_status", search="_search_review_submitted_by_me"
    )
    review_last_rejection = fields.Html(
        "Why it was rejected",
        compute="_compute_review_status",
        sanitize=False,
        help="The last rejection of the current review: step, reviewer, reason, how to fix it and the comment.",
    )

    # ------------------------------------------------------------------
    # Computes and searches (one query per batch, never per record)
    # ------------------------------------------------------------------

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_review_required(self):
        required = set()
        # Saved records by their ids; a record being edited in a form (a new id) with its values of now.
        for records in (self.browse(self.ids), self.filtered(lambda record: not record.id)):
            if records:
                for matching in self.env["crm.review.rule"]._rules_for(records).values():
                    required.update(matching._ids)
        for record in self:
            record.review_required = record.id in required

    def _search_review_required(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field="review_required"))
        Rule = self.env["crm.review.rule"]
        specs = Rule._rule_specs(self._name)
        # The switch of each record's company, as ``_rules_for`` reads it: one domain for every company.
        domain = Rule._review_switched_on_domain(self._name) & Domain.OR(domain for _rule_id, domain in specs)
        return domain if (operator == "=") == value else ~domain

    def _review_lines(self, lock=False):
        """Current review lines of the records, in route order (see ``crm.review._review_lines_of``)."""
        return self.env["crm.review"]._review_lines_of(self, lock=lock)

    @api.depends("review_state")
    @api.depends_context("uid")
    def _compute_review_status(self):
        user = self.env.user
        in_review = self.filtered("review_state")
        lines = in_review._review_lines() if in_review.ids else self.env["crm.review"].sudo()
        by_record = lines.grouped("res_id")
        # Names of every reviewer of the batch in one read (labels below); step names are cached specs.
        lines.reviewer_ids.fetch(["name"])
        substituted = user._review_substituted_users()
        for record in self:
            chain = by_record.get(record.id, lines.browse())
            # Parallel steps are pending together: the record shows them all.
            line = chain.filtered(lambda line: line.state == "pending")
            record.review_reviewer_ids = line.reviewer_ids
            if len(line) > 1:
                record.review_reviewers_label = "; ".join(
                    f"{step.reviewer_ids._review_names()} ({step._review_step_name()})" for step in line
                )
            else:
                record.review_reviewers_label = bool(line) and line.reviewer_ids._review_names()
            record.review_submitter_id = chain[:1].submitter_id
            if line:
                # "Step k of n" counts positions: parallel steps are one of them.
                positions = sorted(set(chain.filtered(lambda step: step.state != "skipped").mapped("position")))
                record.review_step_label = self.env._(
                    "%(step)s (%(position)s/%(count)s)",
                    step=", ".join(step._review_step_name() for step in line),
                    position=positions.index(line[0].position) + 1,
                    count=len(positions),
                )
            else:
                record.review_step_label = False
            record.review_route_label = bool(line) and self._review_route_text(chain)
            record.review_can_decide = any(step._review_acting_for(user, substituted) for step in line)
            record.review_to_me = record.review_can_decide
            record.review_submitted_by_me = bool(chain) and chain[0].submitter_id == user
            rejected = chain.filtered(lambda line: line.state == "rejected")[-1:]
            record.review_last_rejection = rejected._review_rejection_summary() if rejected else False

    @api.model
    def _review_route_text(self, chain):
        """ "✓ Manager → [Finance] + [Legal] → CFO": the steps of a review (``chain``, its current lines) in
        order, steps reviewed in parallel joined by "+"."""
        marks = {"approved": "✓ %s", "pending": "[%s]"}
        stages = {}
        for line in chain.sorted("position"):
            if line.state != "skipped":
                stages.setdefault(line.position, []).append(marks.get(line.state, "%s") % line._review_step_name())
        return " → ".join(" + ".join(names) for names in stages.values())

    def _review_search_lines(self, operator, value, field_name, line_domain):
        """Records having a review line that matches ``line_domain``: one subquery, no query."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field=field_name))
        query = self.env["crm.review"].sudo()._search(Domain("res_model", "=", self._name) & line_domain)
        positive = (operator == "=") == value
        return Domain("id", "in" if positive else "not in", query.subselect("res_id"))

    def _search_review_to_me(self, operator, value):
        """Records whose current step waits for the user (the line domain of ``_review_acting_for``)."""
        line_domain = self.env["crm.review"]._review_acting_domain(self.env.user)
        return self._review_search_lines(operator, value, "review_to_me", line_domain)

    @api.depends_context("uid")
    def _compute_review_involves_me(self):
        involved = self.search(Domain("id", "in", self.ids) & self._search_review_involves_me("=", True))
        for record in self:
            record.review_involves_me = record in involved

    def _search_review_involves_me(self, operator, value):
        users = self.env.user | self.env.user._review_substituted_users()
        return self._review_search_lines(operator, value, "review_involves_me", Domain("reviewer_ids", "in", users.ids))

    def _search_review_submitted_by_me(self, operator, value):
        return self._review_search_lines(
            operator,
            value,
            "review_submitted_by_me",
            Domain("is_current", "=", True) & Domain("submitter_id", "=", self.env.uid),
        )

    # ------------------------------------------------------------------
    # The one place that writes review_state
    # ------------------------------------------------------------------

    def _review_write_state(self, state):
        """Set ``review_state``; the only code path allowed to do so."""
        if self:
            # The review posts its own notes: no tracking (it would read every tracked field first).
            self.sudo().with_context(crm_review_write=_REVIEW_WRITE, mail_notrack=True).write({"review_state": state})

    @api.model_create_multi
    def create(self, vals_list):
        if (
            any("review_state" in vals for vals in vals_list)
            and self.env.context.get("crm_review_write") is not _REVIEW_WRITE
        ):
            raise AccessError(self.env._("The review state is set by the review process, not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        if "review_state" in vals and self.env.context.get("crm_review_write") is REVIEW_KEEP_STATE:
            vals = {key: value for key, value in vals.items() if key != "review_state"}
        if "review_state" in vals and self.env.context.get("crm_review_write") is not _REVIEW_WRITE:
            raise AccessError(self.env._("The review state is set by the review process, not by hand."))
        touched = set()
        if self.env.context.get("crm_review_write") is not _REVIEW_WRITE:
            Rule = self.env["crm.review.rule"]
            Rule._review_check_computed_fields(self, vals)
            touched = Rule._review_touched_key_fields(self, vals)
            if touched:
                Rule._review_check_key_fields_editable(self, touched)
        result = super().write(vals)
        if touched:
            self.env["crm.review"]._review_reset_on_key_change(self, touched)
        return result

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals.pop("review_state", None)
        return vals_list

    # ------------------------------------------------------------------
    # Hooks for the models of lines (order lines, contract lines)
    # ------------------------------------------------------------------

    def _review_check_lines_editable(self, lines_field):
        """Lines (``lines_field``, a one2many) are key content: frozen while the record is under review."""
        Rule = self.env["crm.review.rule"]
        if Rule._review_touched_key_fields(self, {lines_field: []}):
            Rule._review_check_key_fields_editable(self, {lines_field})

    def _review_on_lines_changed(self, lines_field):
        """A line change on an approved record needs a new review (while its review can still change)."""
        approved = self.filtered(lambda r: r.review_state == "approved")
        if approved and self.env["crm.review.rule"]._review_touched_key_fields(approved, {lines_field: []}):
            self.env["crm.review"]._review_reset_on_key_change(approved, {lines_field})

    def _review_resettable(self):
        """Records whose approval a key-field change still sends back to review.

        Every record by default; a model whose records leave review for good
        (a confirmed order) keeps those out. Both ways of changing key content,
        the record's own write and its lines' hooks, go through
        ``crm.review._review_reset_on_key_change``, which asks this.
        """
        return self

    # ------------------------------------------------------------------
    # Gating: what the inheriting models' confirm hooks use
    # ------------------------------------------------------------------

    def _review_state_label(self):
        """Review state of the record as the user reads it (in their language)."""
        self.ensure_one()
        states = dict(self._fields["review_state"]._description_selection(self.env))
        return states.get(self.review_state) or self.env._("not submitted")

    def _review_status_text(self):
        """Plain sentence for refusals: state, step and who is reviewing."""
        self.ensure_one()
        if self.review_state == "pending":
            return self.env._(
                "%(record)s is under review at step %(step)s by %(reviewers)s.",
                record=self.display_name,
                step=self.review_step_label,
                reviewers=self.review_reviewer_ids._review_names(),
            )
        if self.review_state == "rejected":
            return self.env._(
                "%(record)s was rejected in review; fix it and submit it again.", record=self.display_name
            )
        return self.env._("%(record)s has not been submitted for review.", record=self.display_name)

    @api.model
    def _review_open_domain(self):
        """Records a rule switched on now would stop: not approved, not already under review.

        What Activate counts on a draft rule. Models whose records leave review
        for good (a confirmed order, an ended contract) narrow it.
        """
        return Domain("review_state", "not in", ["pending", "approved"])

    def _review_blocking_records(self):
        """Records that need an approval they do not have."""
        not_approved = self.filtered(lambda r: r.review_state != "approved")
        if not not_approved:
            return not_approved
        # Rule conditions read any field: match the values of now, not a value computed before a change.
        not_approved.flush_recordset()
        not_approved.invalidate_recordset(["review_required"])
        return not_approved.filtered("review_required")

    # ------------------------------------------------------------------
    # Public actions
    # ------------------------------------------------------------------

    def _review_check_may(self, action):
        """Who may act on the records, stated once for every review action.

        Submitting and resubmitting (``submit``) change what the record's owners
        work on, and so does withdrawing a submission (``recall``): they need
        what editing the record needs (write access), as a Submitter. A review
        administrator recalls any submission they may read. Deciding
        (``decide``) needs reading the record; who decides a step is
        ``crm.review._review_decision_policy``. Raises AccessError.
        """
        user = self.env.user
        if action == "decide" or (action == "recall" and user.has_group("crm_review.group_review_manager")):
            self._review_check_readable()
            return
        if not user.has_group("crm_review.group_review_submitter"):
            raise AccessError(self.env._("Only review submitters can submit records for review."))
        self.check_access("read")
        try:
            self.check_access("write")
        except AccessError:
            names = ", ".join(self.mapped("display_name"))
            if action == "submit":
                message = self.env._(
                    "You cannot submit %(records)s for review: it needs the right to edit it, which you do not have.",
                    records=names,
                )
            else:
                message = self.env._(
                    "You cannot recall the review of %(records)s: it needs the right to edit it, which you do not "
                    "have.",
                    records=names,
                )
            raise AccessError(message) from None

    def _review_check_readable(self):
        """Raise AccessError unless the user may read every record (model access and record rules).

        The record rules are applied by the database, as in a search: one query, where checking them
        record by record would read the records and compute the rules' fields (a reviewer's rule reads
        ``review_involves_me``). The ORM's own check names the refusal.
        """
        ids = set(self.ids)
        if ids and self.with_context(active_test=False).search_count([("id", "in", list(ids))]) != len(ids):
            self.check_access("read")

    def action_review_submit(self):
        """Submit the records for review (or resubmit them after a rejection)."""
        if not self:
            return True
        Review = self.env["crm.review"]
        Review._review_check_ids(self)
        try:
            self._review_check_may("submit")
            pending = self.filtered(lambda record: record.review_state == "pending")
        except MissingError:
            # Reading the records found one missing: name them all (no lookup when they all exist).
            Review._review_check_exist(self)
            raise
        if pending:
            raise UserError(self.env._("%(record)s is already under review.", record=pending[0].display_name))
        Review._review_submit(self)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def action_review_approve(self, comment=None):
        """Approve the current step of the records as the current user."""
        if not self:
            return True
        Review = self.env["crm.review"]
        Review._review_check_ids(self)
        comment = Review._review_check_text(comment, self.env._("The comment"))
        chain = self._review_lines(lock=True)
        Review._review_check_exist(self, chain)
        lines, acting_for = Review._review_decidable(self, chain)
        missing_comment = lines.filtered(lambda line: line.comment_required and not comment)
        if missing_comment:
            if len(self) == 1 and not self.env.context.get("crm_review_no_wizard"):
                return self._review_open_wizard("crm.review.approve", self.env._("Approve"))
            raise UserError(
                self.env._("Step %(step)s needs a comment to be approved.", step=missing_comment[0]._review_step_name())
            )
        lines._review_approve(self, acting_for, comment or False, chain)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def action_review_reject(self):
        """Open the reject wizard (reason, comment, where to send the record back).

        The wizard checks, when confirmed, that the user may decide.
        """
        return self._review_open_wizard("crm.review.reject", self.env._("Reject"))

    def _review_reject(self, reason, note=False, send_back="submitter"):
        """Reject the current step with a reason and send the records back (the reject wizard's work)."""
        Review = self.env["crm.review"]
        Review._review_check_ids(self)
        note = Review._review_check_text(note, self.env._("The comment"))
        if send_back not in ("submitter", "previous"):
            raise UserError(
                self.env._(
                    "Send the record back to the submitter or to the previous step, not %(where)r.", where=send_back
                )
            )
        if reason:
            # The user's catalog (the reasons they may read: their companies' and the shared ones), and what
            # the rejection reads of the reason, in one query.
            found = (
                reason.with_env(self.env)
                .with_context(active_test=False)
                .search_fetch([("id", "=", reason.id)], ["name", "reason_type", "guidance", "active"])
            )
            # A reason of a company the user does not work in is not in their catalog.
            if not found and reason.with_env(self.env).exists():
                raise UserError(
                    self.env._("This rejection reason is not in your catalog: choose one of your companies' reasons.")
                )
            reason = found.with_env(self.env)
        if not reason or reason.reason_type != "reject" or not reason.active:
            raise UserError(self.env._("Choose an active rejection reason from the catalog."))
        chain = self._review_lines(lock=True)
        Review._review_check_exist(self, chain)
        lines, acting_for = Review._review_decidable(self, chain)
        lines._review_reject(self, acting_for, reason, note or False, send_back, chain)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def action_review_recall(self):
        """Withdraw a pending submission (submitter or review administrator)."""
        if not self:
            return True
        self.env["crm.review"]._review_check_ids(self)
        self.env["crm.review"]._review_check_exist(self)
        self._review_check_may("recall")
        self.env["crm.review"]._review_recall(self)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def _review_open_wizard(self, model, title):
        context = {"default_res_model": self._name, "default_res_ids": str(self.ids)}
        if self.env.context.get("crm_review_line_ids"):
            # The dialog decides the step it was opened for (an inbox row, among parallel steps).
            context["crm_review_line_ids"] = self.env.context["crm_review_line_ids"]
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    # ------------------------------------------------------------------
    # Deletion: review data goes with its record
    # ------------------------------------------------------------------

    @api.ondelete(at_uninstall=False)
    def _unlink_except_pending_review(self):
        pending = self.filtered(lambda r: r.review_state == "pending")
        if pending:
            raise UserError(
                self.env._(
                    "%(records)s cannot be deleted while under review: recall the submission first.",
                    records=", ".join(pending.mapped("display_name")),
                )
            )

    def unlink(self):
        ids, model = self.ids, self._name
        result = super().unlink()
        if ids:
            self.env["crm.review.log"]._delete_with_records(model, ids)
            self.env["crm.review"].sudo().search([("res_model", "=", model), ("res_id", "in", ids)]).unlink()
        return result

    # ------------------------------------------------------------------
    # Form and list helpers
    # ------------------------------------------------------------------

    def action_review_open_history(self):
        """Open the audit trail of the record."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_review.crm_review_log_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Approval authority
    # ------------------------------------------------------------------

    def _review_authority_amounts(self):
        """{record id: (amount, currency, date)}: what an authority chain must cover, in the record's
        currency, and the date its limits are converted at. A monetary ``amount_total`` at
        ``_review_authority_date_field`` (today when none) by default; nothing to cover when the model
        has no amount. Read in sudo: the planner compares, the submitter sees only the route."""
        records = self.sudo()
        amount_field = self.env["crm.review"]._review_summary_fields(records)[1]
        currency_field = amount_field and records._fields[amount_field].get_currency_field(records)
        date_field = self._review_authority_date_field
        today = fields.Date.context_today(self)
        result = {}
        for record in records:
            company = record.company_id if "company_id" in record._fields else self.env.company
            currency = (currency_field and record[currency_field]) or (company or self.env.company).currency_id
            date = fields.Date.to_date(record[date_field]) if date_field and record[date_field] else today
            result[record.id] = (record[amount_field] if amount_field else 0.0, currency, date)
        return result
