from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL

from .crm_review_authority import MAX_CHAIN_LEVELS
from .crm_review_rule import StepSpec

# Fields of a line the engine reads with the lines (one fetch for a whole batch). Those of
# "all" steps only (who approved already) are read when needed. The lines read are current ones
# (``is_current``): a decision states it again when it writes them (``_review_write_step``).
LINE_FIELDS = [
    "res_model",
    "res_id",
    "res_name",
    "name",
    "state",
    "position",
    "submission",
    "submitter_id",
    "rule_id",
    "step_id",
    "approval_mode",
    "comment_required",
    "pending_since",
    "company_id",
    "team_id",
    "reviewer_ids",
]

# A review comment is a few lines of text, not a document.
MAX_COMMENT_LENGTH = 10000


class PlannedStep(NamedTuple):
    """One step of a planned route: what a submission writes, or would write (a dry run)."""

    spec: StepSpec
    position: int
    state: str  # pending, waiting, skipped, or carried (an approval kept from the rejected submission)
    reviewers: object  # res.users: who decides (empty when skipped, or when nobody may in a dry run)
    fallback: bool  # nobody named may review: the company's review administrators decide
    carried: object  # crm.review: the approved line kept, for a carried step
    name: str = ""  # the line's own name (a level of an authority chain), else the step's


class CrmReview(models.Model):
    """One step of one submission of a reviewed record.

    Lines are never deleted while their record exists: a recall, rejection or
    resubmission closes the current lines (``is_current`` off) and creates new
    ones, so the record keeps its whole review history. Only the engine in
    ``crm.review.mixin`` writes them, with ``sudo()`` after its own checks.
    """

    _name = "crm.review"
    _inherit = ["crm.review.record.access"]
    _description = "Review Step of a Record"
    _order = "res_model, res_id, submission desc, position, id"
    _rec_name = "name"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", required=True, readonly=True)
    res_name = fields.Char("Document", readonly=True, help="Name of the record when it was submitted.")
    rule_id = fields.Many2one("crm.review.rule", readonly=True, ondelete="set null", index="btree_not_null")
    step_id = fields.Many2one("crm.review.step", "Rule step", readonly=True, ondelete="set null")
    name = fields.Char("Step name", required=True, readonly=True, help="The step's name when the record was submitted.")
    step_label = fields.Char(
        "Step",
        compute="_compute_step_label",
        search="_search_step_label",
        help="The step's name in the reader's language (as submitted when the rule's step was deleted).",
    )
    position = fields.Integer(readonly=True, help="Order of the step in the review.")
    submission = fields.Integer(readonly=True, help="Number of the submission that created the line.")
    is_current = fields.Boolean(
        "Current",
        readonly=True,
        default=True,
        help="Part of the review in progress (or of the last finished one).",
    )
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("pending", "To review"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        readonly=True,
        default="waiting",
        index=True,
    )
    approval_mode = fields.Selection([("any", "Any one"), ("all", "All")], required=True, readonly=True, default="any")
    comment_required = fields.Boolean(readonly=True)
    reviewer_ids = fields.Many2many(
        "res.users",
        "crm_review_reviewer_rel",
        "review_id",
        "user_id",
        string="Reviewers",
        readonly=True,
        help="Fixed when the record is submitted: the whole route is known from the start.",
    )
    approved_by_ids = fields.Many2many(
        "res.users", "crm_review_approved_by_rel", "review_id", "user_id", string="Approved by", readonly=True
    )
    waiting_reviewer_ids = fields.Many2many(
        "res.users",
        "crm_review_waiting_rel",
        "review_id",
        "user_id",
        string="Waiting for",
        compute="_compute_waiting_reviewer_ids",
        store=True,
        help="Reviewers of a pending step whose approval is still expected. Stored for pending steps "
        "only: 'to review by me' reads these few rows, not every reviewer of the history.",
    )
    acted_by_ids = fields.Many2many(
        "res.users",
        "crm_review_acted_by_rel",
        "review_id",
        "user_id",
        string="Approvals given by",
        readonly=True,
        help="Who gave the approvals of an 'all' step, themselves or as a substitute: one approval per person.",
    )
    submitter_id = fields.Many2one("res.users", readonly=True, index=True)
    pending_since = fields.Datetime(readonly=True)
    done_date = fields.Datetime("Decided on", readonly=True)
    done_by_id = fields.Many2one("res.users", "Decided by", readonly=True)
    reason_id = fields.Many2one("crm.review.reason", readonly=True, ondelete="restrict")
    note = fields.Text("Comment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    team_id = fields.Many2one("crm.team", "Sales team", readonly=True, ondelete="set null")
    next_reminder_at = fields.Datetime(
        "Next reminder",
        readonly=True,
        help="When the reviewers are reminded if the step is still pending.",
    )
    reminder_count = fields.Integer("Reminders sent", readonly=True)
    escalated = fields.Boolean(readonly=True)
    is_overdue = fields.Boolean("Overdue", compute="_compute_is_overdue", search="_search_is_overdue")
    # What a reviewer's inbox shows of the reviewed record, read from it (one read per model).
    partner_id = fields.Many2one("res.partner", "Customer", compute="_compute_record_summary")
    amount = fields.Monetary(compute="_compute_record_summary", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", compute="_compute_record_summary")
    can_decide = fields.Boolean(
        "To review by me",
        compute="_compute_can_decide",
        search="_search_can_decide",
        help="The step waits for the current user's decision (as a reviewer or a substitute).",
    )
    duration_hours = fields.Float(
        "Cycle time (h)",
        readonly=True,
        aggregator="avg",
        help="Hours between the step becoming pending and its decision.",
    )

    _record_index = models.Index("(res_model, res_id, is_current)")
    _reminder_index = models.Index("(next_reminder_at) WHERE state = 'pending' AND escalated IS NOT TRUE")

    @api.depends("state", "next_reminder_at", "reminder_count")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for line in self:
            line.is_overdue = line.state == "pending" and (
                line.reminder_count > 0 or bool(line.next_reminder_at and line.next_reminder_at <= now)
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field="is_overdue"))
        domain = Domain("state", "=", "pending") & (
            Domain("reminder_count", ">", 0) | Domain("next_reminder_at", "<=", fields.Datetime.now())
        )
        return domain if (operator == "=") == value else ~domain

    # ------------------------------------------------------------------
    # Access: review data follows its record (like mail.activity)
    # ------------------------------------------------------------------

    @api.model
    def _review_reads_all(self):
        """Superuser, sudo and review administrators read the review data of every record."""
        return self.env.su or self.env.user.has_group("crm_review.group_review_manager")

    @api.model
    def _review_readable_records_domain(self):
        """Rows (``res_model``, ``res_id``) of records the user may read: one subquery per model."""
        domains = []
        for model_name in self.env["crm.review.rule"]._reviewable_models():
            records = self.env[model_name]
            if records.has_access("read"):
                query = records._search([], active_test=False)
                domains.append(Domain("res_model", "=", model_name) & Domain("res_id", "in", query))
        return Domain.OR(domains)

    @api.model
    def _review_record_access(self, rows, operation, result):
        """``result`` of ``rows._check_access(operation)`` (lines or audit-trail rows), plus for reading
        the rows whose record the user may not read."""
        if operation != "read" or not rows or self._review_reads_all():
            return result
        unreadable = rows.browse()
        # The rows passed the access rules above: sudo() only reads which record each is about.
        for model_name, model_rows in (rows - result[0] if result else rows).sudo().grouped("res_model").items():
            if model_name not in self.env:
                unreadable |= model_rows
                continue
            records = self.env[model_name].browse(set(model_rows.mapped("res_id"))).exists()
            readable = set(records._filtered_access("read").ids)
            unreadable |= model_rows.filtered(lambda row, readable=readable: row.res_id not in readable)
        if not unreadable:
            return result
        if result:
            return result[0] | unreadable, result[1]

        def make_error():
            return AccessError(
                self.env._(
                    "You cannot see the review of records you may not read (%(model)s, ids %(ids)s).",
                    model=rows._description,
                    ids=unreadable.ids[:6],
                )
            )

        return unreadable, make_error

    @api.model
    def _review_summary_fields(self, model):
        """(customer field or "id", amount field or None) of a reviewed model: what its lines show of it.

        A customer under review is its own customer; other models name theirs in ``partner_id``, and
        their amount in a monetary ``amount_total`` (sale orders; contracts have none).
        """
        if model._name == "res.partner":
            partner_field = "id"
        else:
            field = model._fields.get("partner_id")
            partner_field = (
                "partner_id" if field and field.type == "many2one" and field.comodel_name == "res.partner" else None
            )
        field = model._fields.get("amount_total")
        amount_field = "amount_total" if field and field.type == "monetary" else None
        return partner_field, amount_field

    @api.depends("res_model", "res_id")
    def _compute_record_summary(self):
        self.partner_id = self.currency_id = False
        self.amount = 0.0
        for model_name, lines in self.grouped("res_model").items():
            if model_name not in self.env:
                continue
            Model = self.env[model_name].with_context(active_test=False)
            partner_field, amount_field = self._review_summary_fields(Model)
            fnames = [name for name in (partner_field, amount_field) if name and name != "id"]
            if amount_field:
                currency_field = Model._fields[amount_field].get_currency_field(Model)
                fnames.append(currency_field)
            if not partner_field and not amount_field:
                continue
            # Only what the user may read: one access check and one read for all the lines of the model.
            records = Model.browse(set(lines.mapped("res_id")))._filtered_access("read")
            records.fetch(fnames)
            readable = set(records.ids)
            for line in lines.filtered(lambda line, readable=readable: line.res_id in readable):
                record = records.browse(line.res_id)
                if partner_field:
                    line.partner_id = record if partner_field == "id" else record[partner_field]
                if amount_field:
                    line.amount = record[amount_field]
                    line.currency_id = record[currency_field]

    @api.depends("name", "step_id.name")
    @api.depends_context("lang")
    def _compute_step_label(self):
        # The user reads the lines, hence their steps' names, whatever the step's company: one read for all.
        steps = self.sudo().step_id
        steps.fetch(["name", "approver_type"])
        # A level of an authority chain is named after its person, when submitted.
        names = {step.id: step.name for step in steps if step.approver_type != "authority"}
        for line in self:
            line.step_label = names.get(line.step_id.id) or line.name

    def _search_step_label(self, operator, value):
        # Lines whose step is named so in the reader's language, or (step deleted) whose name as submitted is.
        # Only names are compared: sudo() finds the steps of every company, the lines stay the user's.
        steps = self.env["crm.review.step"].sudo()._search([("name", operator, value)])
        return Domain("step_id", "in", steps) | (Domain("step_id", "=", False) & Domain("name", operator, value))

    @api.depends("step_label")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line.step_label

    @api.depends("state", "waiting_reviewer_ids", "acted_by_ids")
    @api.depends_context("uid")
    def _compute_can_decide(self):
        pending = self.filtered(lambda line: line.state == "pending" and line.id)
        decidable = set()
        if pending:
            # The lines are the user's own to read; sudo() only keeps the search from re-applying it.
            domain = Domain("id", "in", pending.ids) & self._review_acting_domain(self.env.user)
            decidable = set(self.sudo()._search(domain))
        for line in self:
            line.can_decide = line.id in decidable

    def _search_can_decide(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field="can_decide"))
        domain = self._review_acting_domain(self.env.user)
        return domain if (operator == "=") == value else ~domain

    def action_open_record(self):
        """Open the reviewed record."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _review_record_of_pending_step(self):
        """The record of this step, if the step still waits for a decision (else a clear refusal).

        A decision taken from an outdated line (a second click, another reviewer was faster) must not
        decide the record's next step.
        """
        self.ensure_one()
        if self.state != "pending":
            raise UserError(self._review_no_longer_pending_text())
        return self.env[self.res_model].browse(self.res_id)

    def _review_no_longer_pending_text(self):
        self.ensure_one()
        return self.env._(
            "Step %(step)s of %(record)s is no longer waiting for a decision.",
            step=self._review_step_name(),
            record=self.res_name,
        )

    def action_approve(self):
        """Approve this step from the reviewer's inbox, as the record's own Approve button does."""
        # This row's step, not another parallel step of the record.
        return self._review_record_of_pending_step().with_context(crm_review_line_ids=self.ids).action_review_approve()

    def action_reject(self):
        """Open the reject dialog of this step's record."""
        return self._review_record_of_pending_step().with_context(crm_review_line_ids=self.ids).action_review_reject()

    # ------------------------------------------------------------------
    # What the mixin's actions read and check first
    # ------------------------------------------------------------------

    @api.model
    def _review_lines_of(self, records, lock=False):
        """Current lines of ``records`` (sudo), in route order, read in one batch.

        With ``lock``, the lines are locked for update first and then read: the
        values are the ones committed by whoever held the lock before (two
        reviewers deciding at the same moment: the second one waits, then sees
        the step decided). Archived reviewers are left out of ``reviewer_ids``
        by the ORM.
        """
        Review = self.sudo()
        if not records.ids:
            return Review.browse()
        if lock:
            Review.flush_model()
            rows = self.env.execute_query(
                SQL(
                    "SELECT id FROM crm_review WHERE res_model = %s AND res_id IN %s AND is_current"
                    " ORDER BY position, id FOR UPDATE",
                    records._name,
                    tuple(records.ids),
                )
            )
            lines = Review.browse([row[0] for row in rows])
            lines.invalidate_recordset()
            # A decision rewrites the waiting reviewers: read them now with the rest, not once per write.
            lines.fetch([*LINE_FIELDS, "waiting_reviewer_ids"])
            return lines
        return Review.search_fetch(
            [("res_model", "=", records._name), ("res_id", "in", records.ids), ("is_current", "=", True)],
            LINE_FIELDS,
            order="position, id",
        )

    @api.model
    def _review_check_ids(self, records):
        """Refuse ids that cannot be those of records (RPC callers may send anything), before any query."""
        if not all(
            isinstance(record_id, int) and not isinstance(record_id, bool) and 0 < record_id < 2**31
            for record_id in records._ids
        ):
            raise UserError(self.env._("Invalid record ids: %(ids)s", ids=", ".join(map(repr, records._ids[:10]))))

    @api.model
    def _review_check_exist(self, records, chain=None):
        """Refuse records that do not exist (deleted meanwhile, or ids made up by an RPC caller).

        :param chain: current lines of ``records`` read under lock: a record that has some exists
            (its lines are deleted with it), so only the others are looked up.
        """
        if chain is not None:
            with_lines = set(chain.mapped("res_id"))
            records = records.browse([record_id for record_id in records.ids if record_id not in with_lines])
        missing = records - records.exists() if records else records
        if missing:
            raise UserError(
                self.env._(
                    "%(model)s %(ids)s no longer exist (deleted?).",
                    model=records._description,
                    ids=", ".join(map(str, missing.ids[:10])),
                )
            )

    @api.model
    def _review_check_text(self, text, what):
        """A comment is text of a sensible length (RPC callers may send anything)."""
        if text in (None, False, ""):
            return False
        if not isinstance(text, str):
            raise UserError(self.env._("%(what)s must be text.", what=what))
        if len(text) > MAX_COMMENT_LENGTH:
            raise UserError(
                self.env._("%(what)s is too long: %(max)s characters at most.", what=what, max=MAX_COMMENT_LENGTH)
            )
        return text

    # ------------------------------------------------------------------
    # Who may decide
    # ------------------------------------------------------------------

    @api.depends("state", "approval_mode", "reviewer_ids", "approved_by_ids")
    def _compute_waiting_reviewer_ids(self):
        # A stored many2many is written when assigned: one assignment per set of
        # reviewers, not per line (a batch of 5,000 submissions writes once).
        by_reviewers = defaultdict(list)
        for line in self:
            by_reviewers[tuple(line._review_waiting_reviewers().ids)].append(line.id)
        for user_ids, line_ids in by_reviewers.items():
            self.browse(line_ids).waiting_reviewer_ids = self.env["res.users"].browse(user_ids)

    def _review_waiting_reviewers(self):
        """Reviewers of this pending line whose approval is still expected.

        Worked out from the lines as read (``waiting_reviewer_ids`` stores the
        same, for searches): deciding and the forms read no extra relation.
        """
        self.ensure_one()
        if self.state != "pending":
            return self.env["res.users"]
        if self.approval_mode == "all":
            return self.reviewer_ids - self.approved_by_ids
        return self.reviewer_ids

    def _review_acting_for(self, user, substituted):
        """The reviewer of this line that ``user`` decides for: themselves, or one they stand in for.

        This is the rule of who may decide. Nobody (an empty recordset) when the
        step is not pending, when ``user`` lost the Reviewer access (named
        reviewers too), when ``user`` submitted the record and the rule
        does not allow self-approval, when ``user`` already approved this step
        (four eyes: one approval per person, also as a substitute), or when
        ``user`` is neither a waiting reviewer nor the substitute of one (and
        substitutes only count where the company allows delegation).

        :param substituted: the users who named ``user`` as their substitute today
        """
        self.ensure_one()
        nobody = self.env["res.users"]
        if self.state != "pending" or not user._review_is_reviewer():
            return nobody
        rule_info = self.env["crm.review.rule"]._rule_info(self.rule_id.id)
        if self.submitter_id == user and not rule_info.allow_self_approval:
            return nobody
        if self.approval_mode == "all" and user in self.acted_by_ids:
            return nobody
        waiting = self._review_waiting_reviewers()
        if user in waiting:
            return user
        if substituted and self._review_delegation_allowed():
            # One approval counts for one reviewer, even for a substitute of several.
            stand_in = (waiting & substituted).sorted("id")[:1]
            if stand_in and (stand_in != self.submitter_id or rule_info.allow_self_approval):
                return stand_in
        return nobody

    def _review_delegation_allowed(self):
        """Substitutes may decide on this line (Settings › Reviews of its company).

        A line without company (a shared contact) follows the company the user
        works in, as its search twin in ``_review_acting_domain`` does.
        """
        self.ensure_one()
        return self.env["res.company"]._review_setting_by_record(self, "review_delegation")[self.id]

    @api.model
    def _review_fallback_reviewers(self, company, exclude=None):
        """Who decides when a step has nobody left: the review administrators of ``company``.

        Active internal users allowed in that company (every company when
        ``company`` is empty), never the superuser; ``exclude`` (a user) is left out.
        """
        admins = self.env.ref("crm_review.group_review_manager").sudo().all_user_ids
        admins = admins.filtered(lambda u: u.active and not u.share and u.id != api.SUPERUSER_ID)
        if company:
            admins = admins.filtered(lambda u: company in u.company_ids)
        return admins - exclude if exclude else admins

    def _review_step_spec(self):
        """The cached StepSpec of this line's step, in the reader's language (None once the step is gone)."""
        self.ensure_one()
        return self.env["crm.review.rule"]._step_spec(self.rule_id.id, self.step_id.id)

    def _review_step_name(self):
        """Name of the step in the reader's language (the rule's step while it exists), from the cached
        step specs: no read of the step."""
        self.ensure_one()
        spec = self._review_step_spec()
        # A level of an authority chain is named after its person, when submitted.
        return spec.name if spec and spec.approver_type != "authority" else self.name

    def _review_rejection_summary(self):
        """HTML sentence of this rejected line: step, reviewer, reason, how to fix it, comment (escaped)."""
        self.ensure_one()
        summary = Markup("%s <b>%s</b> %s %s: <b>%s</b>") % (
            self.env._("Rejected at step"),
            self._review_step_name(),
            self.env._("by"),
            self.done_by_id.sudo().name or "",
            self.reason_id.name or "",
        )
        if self.note:
            summary += Markup("<br/>%s") % self.note
        if self.reason_id.guidance:
            summary += Markup("<br/><i>%s</i> %s") % (self.env._("How to fix:"), self.reason_id.guidance)
        return summary

    @api.model
    def _review_acting_domain(self, user):
        """Lines waiting for ``user`` (the domain of ``_review_acting_for``, for searches).

        Reads ``waiting_reviewer_ids``, whose relation holds pending lines only:
        what it costs follows what is pending, not the review history.
        """
        # The ORM flushes the columns a search reads, not a computed many2many:
        # without this, the steps opened in this transaction would not be found.
        if not user._review_is_reviewer():
            return Domain.FALSE
        self.env["crm.review"].flush_model(["waiting_reviewer_ids", "acted_by_ids"])
        substituted = user._review_substituted_users()
        waiting_for = Domain("waiting_reviewer_ids", "in", user.ids)
        if substituted:
            delegating = self.env["res.company"]._review_setting_domain(self._name, "review_delegation")
            waiting_for |= Domain("waiting_reviewer_ids", "in", substituted.ids) & delegating
        return (
            Domain("state", "=", "pending")
            & waiting_for
            # Who approved already is kept on "all" steps only (one approval per person).
            & (Domain("approval_mode", "=", "any") | Domain("acted_by_ids", "not in", user.ids))
            & (Domain("submitter_id", "!=", user.id) | Domain("rule_id.allow_self_approval", "=", True))
        )

    @api.model
    def _review_pending_by_record(self, chain):
        """{record id: its steps waiting for a decision (several when parallel)} among ``chain`` (current
        lines, in route order).

        With ``crm_review_line_ids`` in the context (the step of an email link, of a to-do), only those
        steps: the context narrows the choice, the decision policy still says who may decide.
        """
        only = self.env.context.get("crm_review_line_ids")
        only = set(only) if isinstance(only, (list, tuple)) else None
        pending = defaultdict(list)
        for line in chain:
            if line.state == "pending" and (only is None or line.id in only):
                pending[line.res_id].append(line)
        return pending

    @api.model
    def _review_decision_policy(self, records, chain):
        """Who decides the current step of each record: the one place that says it, for every path
        (buttons, wizards, list actions, to-dos, the email page).

        :param chain: the current lines of ``records``
        :return: ({record id: (pending line, the reviewer the user decides for)},
                  {record: (exception class, why the user may not decide)})
        """
        pending = self._review_pending_by_record(chain)
        user = self.env.user
        substituted = user._review_substituted_users()
        allowed, refused = {}, {}
        for record in records:
            lines = pending.get(record.id, [])
            # Parallel steps: one decision decides one step, the first the user may decide.
            for line in lines:
                reviewer = line._review_acting_for(user, substituted)
                if reviewer:
                    allowed[record.id] = (line, reviewer)
                    break
            if record.id in allowed:
                continue
            # The loser of a race (or a late click) reads who decided, rather than why they may not.
            decided = self._review_decided_by_other_text(record, chain, user)
            if not lines:
                refused[record] = (UserError, decided or self._review_no_pending_step_text(record))
            else:
                open_lines = self.browse([line.id for line in lines]).with_prefetch(chain._prefetch_ids)
                refused[record] = (
                    AccessError,
                    decided or open_lines._review_refusal_reason(record, user, substituted),
                )
        return allowed, refused

    @api.model
    def _review_decidable(self, records, chain):
        """Pending lines of ``records`` (among ``chain``, their current lines) that the user may decide.

        Raises when a record is not readable in the user's current companies
        (deciding is a write, as any other), not under review, or when the user
        may not decide on its current step (``_review_decision_policy``).
        :return: (lines, {line id: the reviewer the user decides for})
        """
        records._review_check_may("decide")
        allowed, refused = self._review_decision_policy(records, chain)
        for error, message in refused.values():
            raise error(message)
        lines = self.sudo().browse([allowed[record.id][0].id for record in records])
        return lines, {line.id: reviewer for line, reviewer in allowed.values()}

    @api.model
    def _review_no_pending_step_text(self, record):
        return self.env._(
            "%(record)s has no step waiting for a decision (state: %(state)s).",
            record=record.display_name,
            state=record._review_state_label(),
        )

    @api.model
    def _review_decided_by_other_text(self, record, chain, user):
        """ "Step X of R was already approved by Y at 10:42": the last step of ``record`` that ``user`` could
        have decided, decided by someone else. None when there is none. Read from the lines at hand."""
        decided = [
            line
            for line in chain
            if line.res_id == record.id
            and line.state in ("approved", "rejected")
            and line.done_by_id != user
            and user in line.reviewer_ids
        ]
        if not decided:
            return None
        line = max(decided, key=lambda line: (line.done_date or fields.Datetime.now(), line.id))
        values = {
            "step": line._review_step_name(),
            "record": record.display_name,
            "user": line.done_by_id.sudo().name or "",
            # In the reader's time zone.
            "time": fields.Datetime.context_timestamp(line.with_user(user), line.done_date).strftime("%H:%M")
            if line.done_date
            else "",
        }
        if line.state == "approved":
            return self.env._("Step %(step)s of %(record)s was already approved by %(user)s at %(time)s.", **values)
        return self.env._("Step %(step)s of %(record)s was already rejected by %(user)s at %(time)s.", **values)

    def _review_refusal_reason(self, record, user, substituted):
        """Why ``user`` may not decide on these lines, the pending steps of ``record`` (several when parallel)."""
        first = self[:1]
        if first.submitter_id == user:
            return self.env._("You cannot decide on %(record)s: you submitted it.", record=record.display_name)
        if not user._review_is_reviewer():
            return self.env._(
                "You cannot decide on %(record)s: you do not have the Reviewer access (Sales › Reviews).",
                record=record.display_name,
            )
        approved = self.filtered(lambda line: line.approval_mode == "all" and user in line.acted_by_ids)[:1]
        if approved:
            return self.env._(
                "You already approved step %(step)s of %(record)s: each reviewer approves once.",
                step=approved._review_step_name(),
                record=record.display_name,
            )
        if len(self) > 1:
            return self.env._(
                "You are not a reviewer of the steps of %(record)s waiting for a decision: %(steps)s.",
                record=record.display_name,
                steps="; ".join(
                    f"{line._review_step_name()} ({line._review_waiting_reviewers()._review_names()})" for line in self
                ),
            )
        return self.env._(
            "You are not a reviewer of step %(step)s of %(record)s (reviewers: %(reviewers)s).",
            step=first._review_step_name(),
            record=record.display_name,
            reviewers=first._review_waiting_reviewers()._review_names(),
        )

    # ------------------------------------------------------------------
    # Planning a route: which steps, in which order, reviewed by whom
    # ------------------------------------------------------------------

    @api.model
    def _review_plan(self, records, submitter, previous=None, dry_run=False, rules=None):
        """The route of a submission of ``records`` by ``submitter``: {record id: [PlannedStep]}, in review order.

        The one planner: ``_review_submit`` writes its plan, Simulate shows it
        (``dry_run``). The reviewers of every step are fixed at submission, so
        the whole route is known from the start. A resubmission after a
        rejection keeps the approved steps that still apply to the record as it
        is now (continue mode) unless one of the rules asks to restart from the
        first step; the other steps are planned afresh (a step skipped before is
        reviewed if the fixed record now matches its condition). The first step
        left to decide is pending, with the steps parallel to it
        (``_review_stage_positions``).

        :param previous: current lines of the records (of their last submission)
        :param dry_run: refuse nothing: a record no rule applies to gets no step,
            a step nobody may review gets no reviewer (a submission refuses both)
        :param rules: only these rules, active or not (Simulate); by default the active rules
        """
        Rule = self.env["crm.review.rule"]
        steps_by_record = self._review_steps_of(records, rules, dry_run)
        previous_by_record = previous.grouped("res_id") if previous else {}
        no_line, nobody = self.sudo().browse(), self.env["res.users"]
        self._review_prefetch_named_reviewers(steps_by_record)
        authority = {}  # amounts, limits and rates of the batch, read once (``_review_plan_authority_chain``)
        plan = {}
        for record in records:
            steps = steps_by_record.get(record.id, [])
            kept = {}
            restart = any(Rule._rule_info(spec.rule_id).resubmit_mode == "restart" for spec, _applies in steps)
            if record.review_state == "rejected" and not restart:
                kept = {
                    line.step_id.id: line
                    for line in previous_by_record.get(record.id, no_line)
                    if line.state == "approved"
                }
            company = record.company_id if "company_id" in record._fields else self.env["res.company"]
            route, opened = [], None
            # An authority chain plans one line per level: the positions after its own move down.
            shift, chain_extra, stage = 0, 0, None
            for stage_position, (spec, applies) in zip(self._review_stage_positions(steps), steps, strict=True):
                if stage_position != stage:
                    shift, chain_extra, stage = shift + chain_extra, 0, stage_position
                position = stage_position + shift
                if not applies:
                    route.append(PlannedStep(spec, position, "skipped", nobody, False, no_line))
                elif spec.approver_type == "authority":
                    # Planned afresh at each submission (the amount may have changed): never carried.
                    levels = self._review_plan_authority_chain(
                        spec, record, submitter, company, (position, opened is not None), authority, dry_run
                    )
                    route += levels
                    if opened is None:
                        opened = next((level.position for level in levels if level.state == "pending"), None)
                    chain_extra = max(chain_extra, len(levels) - 1)
                elif spec.id in kept:
                    # An approval stands only for a step that still applies: the record may have changed since.
                    line = kept[spec.id]
                    route.append(PlannedStep(spec, position, "carried", line.reviewer_ids, False, line))
                else:
                    reviewers, fallback = self._review_step_reviewers(spec, record, submitter, company, dry_run)
                    # Every step left to decide at the first such position opens: parallel steps at once.
                    opened = opened or position
                    state = "pending" if position == opened else "waiting"
                    route.append(PlannedStep(spec, position, state, reviewers, fallback, no_line))
            plan[record.id] = route
        return plan

    @api.model
    def _review_stage_positions(self, steps):
        """Position of each of ``steps`` ([(StepSpec, applies)] in review order) in the route.

        Steps of one rule with the same sequence share a position: they are reviewed in parallel, and
        the next position opens when all of them are approved. Steps of different rules never share
        one: rules merge one after the other, as each rule's author ordered them.
        """
        positions, position, previous = [], 0, None
        for spec, _applies in steps:
            key = (spec.rule_id, spec.sequence)
            if key != previous:
                position, previous = position + 1, key
            positions.append(position)
        return positions

    @api.model
    def _review_prefetch_named_reviewers(self, steps_by_record):
        """Read at once the users the route's steps name (given users, groups' members) with what
        ``_review_step_reviewers`` checks of them (active, internal, companies): one read for the whole
        route, not one per step."""
        specs = {spec.id: spec for steps in steps_by_record.values() for spec, applies in steps if applies}
        Step = self.env["crm.review.step"]
        named = (
            self.env["res.users"]
            .sudo()
            .union(
                *(
                    Step._spec_reviewers(spec, None, None)
                    for spec in specs.values()
                    if spec.approver_type in ("users", "group")
                )
            )
        )
        named.mapped("active")
        named.mapped("company_ids")

    @api.model
    def _review_steps_of(self, records, rules=None, dry_run=False):
        """{record id: [(StepSpec, applies)]} in review order; refuses records no rule applies to
        (unless ``dry_run``). ``rules``: as in ``_review_plan``."""
        Rule = self.env["crm.review.rule"]
        Step = self.env["crm.review.step"]
        matches = Rule._rules_for(records.browse(records.ids), rules)
        specs = Rule._step_specs([rule.id for rule in matches])
        steps_by_record = defaultdict(list)
        for rule, matching in matches.items():
            for spec in specs[rule.id]:
                applies = set(Step._spec_applies_to(spec, matching).ids)
                for record_id in matching.ids:
                    steps_by_record[record_id].append((spec, record_id in applies))
        nothing = records.filtered(lambda r: not steps_by_record.get(r.id))
        if nothing and not dry_run:
            raise UserError(
                self.env._(
                    "No review rule applies to %(records)s: there is nothing to submit.",
                    records=", ".join(nothing.mapped("display_name")),
                )
            )
        for steps in steps_by_record.values():
            steps.sort(key=lambda item: item[0].order)
        return steps_by_record

    @api.model
    def _review_step_reviewers(self, spec, record, submitter, company, dry_run=False):
        """(reviewers, fallback) of step ``spec`` for ``record``: active internal users allowed in its company.

        Never the submitter unless the rule allows it. Nobody left: the review
        administrators of the company decide rather than the review stalling
        (``fallback``); nobody at all is an error naming the step, or in a dry
        run no reviewer.
        """
        users = self.env["crm.review.step"]._spec_reviewers(spec, record, submitter).sudo()
        users = users.filtered(lambda u: u.active and not u.share and (not company or company in u.company_ids))
        if not self.env["crm.review.rule"]._rule_info(spec.rule_id).allow_self_approval:
            users -= submitter
        if users:
            return users, False
        users = self._review_fallback_reviewers(company, exclude=submitter)
        if not users and not dry_run:
            raise UserError(
                self.env._(
                    "Nobody can review step %(step)s of %(record)s: set reviewers on the rule.",
                    step=spec.name,
                    record=record.sudo().display_name,
                )
            )
        return users, True

    @api.model
    def _review_plan_authority_chain(self, spec, record, submitter, company, start, authority, dry_run=False):
        """The levels of authority-chain step ``spec`` for ``record``: [PlannedStep], one per person.

        The chain starts at the submitter's manager (their "Approves above my
        authority", else their employee's manager, else the record's sales team
        leader, else the step's first approver) and climbs one manager at a time
        until someone's authority (``crm.review.authority``) covers the record's
        amount (``_review_authority_amounts``). A person without authority for
        the model, who may not review (archived, not in the company, no Reviewer
        access) or who submitted the record (unless the rule allows it) is a
        skipped level. A chain whose top does not cover the amount ends with the
        company's review administrators.

        :param start: (position of the first level, whether an earlier step of the route is open)
        :param authority: what the plan reads once for its whole batch (amounts, limits, rates), filled here
        """
        Authority = self.env["crm.review.authority"]
        amounts = authority.setdefault("amounts", {})
        if record.id not in amounts:
            # The amounts of every record being planned, in one batch.
            amounts.update(record.browse(record._prefetch_ids)._review_authority_amounts())
        if "rows" not in authority:
            authority.update(rows=Authority._authority_rows(record._name), rates={})
        amount, currency, date = amounts[record.id]
        company = company or self.env.company
        allow_self = self.env["crm.review.rule"]._rule_info(spec.rule_id).allow_self_approval
        person = (
            Authority._authority_next_manager(submitter, company)
            or self.env["crm.review.step"]._review_manager_of(record, submitter)
            or self.env["res.users"].browse(spec.authority_user_id)
        )
        nobody = self.env["res.users"]
        levels, seen, covered = [], set(), False
        while person and person.id not in seen and len(seen) < MAX_CHAIN_LEVELS and not covered:
            seen.add(person.id)
            user = person.sudo()
            row = None
            if person == submitter and not allow_self:
                why = self.env._("submitted the record")
            elif not (user.active and not user.share and company in user.company_ids and user._review_is_reviewer()):
                why = self.env._("may not review")
            else:
                row, covered = Authority._authority_best_row(
                    authority["rows"], person, company, amount, currency, date, authority["rates"]
                )
                why = not row and self.env._("no authority")
            if why:
                name = self.env._("Authority: %(user)s (%(why)s): skipped", user=user.name, why=why)
                levels.append((nobody, False, name))
            else:
                name = self.env._("Authority: %(user)s (%(limit)s)", user=user.name, limit=row._authority_limit_text())
                levels.append((person, False, name))
            person = Authority._authority_next_manager(person, company)
        if not covered:
            admins = self._review_fallback_reviewers(company, exclude=submitter)
            if not admins and not dry_run:
                raise UserError(
                    self.env._(
                        "Nobody can approve %(amount)s for %(record)s: no authority in the chain covers it and "
                        "%(company)s has no review administrator.",
                        amount=Authority._authority_amount_text(amount, currency),
                        record=record.sudo().display_name,
                        company=company.name,
                    )
                )
            name = self.env._(
                "Authority: review administrators (no authority in the chain covers %(amount)s)",
                amount=Authority._authority_amount_text(amount, currency),
            )
            levels.append((admins, True, name))
        position, opened = start
        planned, no_line = [], self.sudo().browse()
        for level, (reviewers, fallback, name) in enumerate(levels):
            state = "skipped" if not (reviewers or fallback) else "waiting" if opened else "pending"
            opened = opened or state != "skipped"
            planned.append(PlannedStep(spec, position + level, state, reviewers, fallback, no_line, name))
        return planned

    @api.model
    def _review_route_values(self, records, plan, names):
        """Values of the lines of a new submission of ``records`` following ``plan``, and the earlier
        lines carried over (renumbered into the new submission)."""
        submission = self._review_next_submission(records)
        now = fields.Datetime.now()
        submitter = self.env.user
        line_vals = []
        carried = self.sudo().browse()
        for record in records:
            company = record.company_id if "company_id" in record._fields else self.env["res.company"]
            team = record.team_id if "team_id" in record._fields else self.env["crm.team"]
            for step in plan[record.id]:
                if step.state == "carried":
                    step.carried.write({"position": step.position, "submission": submission[record.id]})
                    carried |= step.carried
                    continue
                spec = step.spec
                vals = {
                    "res_model": record._name,
                    "res_id": record.id,
                    "res_name": names[record.id],
                    "rule_id": spec.rule_id,
                    "step_id": spec.id,
                    "name": step.name or spec.name,
                    "position": step.position,
                    "submission": submission[record.id],
                    "state": step.state,
                    # One person per level of an authority chain (or its fallback: any administrator).
                    "approval_mode": "any" if spec.approver_type == "authority" else spec.approval_mode,
                    "comment_required": spec.comment_required,
                    "submitter_id": submitter.id,
                    "company_id": company.id,
                    "team_id": team.id,
                    "is_current": True,
                }
                if step.state != "skipped":
                    vals["reviewer_ids"] = [Command.set(step.reviewers.ids)]
                if step.state == "pending":
                    vals.update(self._review_pending_values(spec.rule_id, now))
                line_vals.append(vals)
        return line_vals, carried

    @api.model
    def _review_next_submission(self, records):
        """{record id: number of the new submission} (one read_group for records reviewed before)."""
        reviewed = records.filtered("review_state")
        counts = {}
        if reviewed:
            counts = dict(
                self.sudo()._read_group(
                    [("res_model", "=", records._name), ("res_id", "in", reviewed.ids)],
                    ["res_id"],
                    ["submission:max"],
                )
            )
        return {record.id: (counts.get(record.id) or 0) + 1 for record in records}

    # ------------------------------------------------------------------
    # Decisions (the mixin's actions call these after checking who may decide)
    # ------------------------------------------------------------------

    @api.model
    def _review_submit(self, records):
        """Create the route of a new submission of ``records`` (``_review_plan``) and open its first step."""
        names = {record.id: record.display_name for record in records}
        previous = self._review_lines_of(records.filtered("review_state"))
        plan = self._review_plan(records, self.env.user, previous)
        line_vals, carried = self._review_route_values(records, plan, names)
        closed = previous - carried
        rejected = records.filtered(lambda r: r.review_state == "rejected")
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        still_open = closed.filtered(lambda line: line.state in ("waiting", "pending"))
        old_todos = still_open._review_activities() | self.env["crm.review.notifier"]._find_todos(
            records._name, rejected.ids, ["fix"]
        )
        closed._review_close(remove_todos=False)
        new_lines = self.sudo().create(line_vals)
        pending = new_lines.filtered(lambda line: line.state == "pending")
        open_ids = set(pending.mapped("res_id"))
        records.filtered(lambda r: r.id in open_ids)._review_write_state("pending")
        records.filtered(lambda r: r.id not in open_ids)._review_write_state("approved")
        Log = self.env["crm.review.log"]
        Log._log(records, "submit", names=names)
        skipped = new_lines.filtered(lambda line: line.state == "skipped")
        while skipped:
            # One audit row per skipped step: a batch of rows per rank of skipped step within its record.
            first = skipped.browse([lines[0].id for lines in skipped.grouped("res_id").values()])
            Log._log(records.browse(first.mapped("res_id")), "skip", lines=first, names=names)
            skipped -= first
        # A to-do left on a record (a fix-and-resubmit, a step recalled) goes to the first reviewer.
        old_todos -= pending._review_schedule_activities(handover=old_todos)
        next_step = pending._review_waiting_sentences()
        self.env["crm.review.notifier"]._post(
            records,
            {
                record.id: Markup("%s<br/>%s")
                % (
                    self.env._("Submitted for review."),
                    next_step.get(record.id) or self.env._("The review is complete: approved."),
                )
                for record in records
            },
        )
        old_todos.unlink()
        return new_lines

    def _review_approve(self, records, acting_for, comment, chain, automatic=None):
        """Approve these pending lines (one per record of ``records``) as the current user.

        :param acting_for: {line id: the reviewer the user decides for (themselves or as a substitute)}
        :param chain: the current lines of ``records`` (``self`` among them)
        :param automatic: {line id: the line the user just approved}, for steps approved by that decision
            (the rule's "Same reviewer decides once")
        """
        automatic = automatic or {}
        now = fields.Datetime.now()
        user = self.env.user
        finished_ids = []
        partly = defaultdict(list)
        for line in self:
            reviewer = acting_for[line.id]
            if line.approval_mode == "all":
                approvers = line.approved_by_ids | reviewer
                line.write({"approved_by_ids": [Command.set(approvers.ids)], "acted_by_ids": [Command.link(user.id)]})
                if line.reviewer_ids - approvers:
                    # The step waits for the others: only the to-dos of this approval go.
                    partly[user | reviewer].append(line.id)
                    continue
            line._review_write_step(
                "approved",
                done_by_id=user.id,
                done_date=now,
                note=comment,
                duration_hours=line._review_hours_since_pending(now),
            )
            finished_ids.append(line.id)
        finished = self.browse(finished_ids)
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        done_todos = finished._review_own_activities(chain)
        for users, line_ids in partly.items():
            done_todos |= self.browse(line_ids)._review_own_activities(chain, users)
        advanced = records.browse(finished.mapped("res_id"))
        advanced_ids = set(advanced.ids)
        advancing = chain.filtered(lambda line: line.res_id in advanced_ids)
        was_pending = set(advancing.filtered(lambda line: line.state == "pending").ids)
        # The decided step's to-do goes to the next step's reviewer rather than being removed and made again.
        after, handed = advancing._review_activate_next(advanced, handover=done_todos)
        done_todos -= handed
        # Steps this decision opened whose rule lets the same reviewer decide once (read while in the cache).
        Rule = self.env["crm.review.rule"]
        opened = advancing.filtered(
            lambda line: line.state == "pending"
            and line.id not in was_pending
            and Rule._rule_info(line.rule_id.id).decide_once
        )
        substitute_for = self._review_substitute_for(acting_for)
        notes = {}
        for line in self:
            note = comment
            if line.id in automatic:
                note = line._review_decided_once_text(automatic[line.id])
                if comment:
                    note = f"{note}\n{comment}"
            notes[line.res_id] = note
        self.env["crm.review.log"]._log(
            records,
            "approve",
            lines=self,
            notes=notes,
            names={line.res_id: line.res_name for line in self},
            substitute_for=substitute_for,
        )
        bodies = {}
        for line in self:
            body = Markup("%s <b>%s</b>") % (self.env._("Approved step"), line._review_step_name())
            if line.id in automatic:
                body += Markup(" (%s)") % line._review_decided_once_text(automatic[line.id])
            if line.res_id in substitute_for:
                body += Markup(" %s") % self._review_substitute_sentence(acting_for[line.id])
            if comment:
                body += Markup("<br/>%s") % comment
            if line.res_id in after:
                body += Markup("<br/>%s") % after[line.res_id]
            bodies[line.res_id] = body
        self.env["crm.review.notifier"]._post(records, bodies)
        self._review_run_actions("approved", advanced)
        done_todos.unlink()
        if opened:
            self._review_decide_once(records, opened, acting_for, comment, chain)

    def _review_decide_once(self, records, opened, acting_for, comment, chain):
        """Approve the steps among ``opened`` (their rule says the same reviewer decides once) where the
        user who approved these lines is a reviewer and may decide them (``_review_acting_for``: never
        the submitter of a record the rule does not let them approve, once per person on an "all" step).

        Parallel steps opened together are approved one after the other; an approval that opens further
        steps continues there: a chain of such steps collapses in one decision.
        """
        user = self.env.user
        decided = {line.res_id: line for line in self if acting_for[line.id] == user}
        candidates = opened.filtered(lambda line: line.res_id in decided)
        nobody = self.env["res.users"]
        while candidates:
            auto = {}
            for line in candidates:
                if line.res_id not in auto and line._review_acting_for(user, nobody) == user:
                    auto[line.res_id] = line
            if not auto:
                return
            lines = self.browse([line.id for line in auto.values()])
            lines._review_approve(
                records.browse(list(auto)),
                dict.fromkeys(lines.ids, user),
                comment,
                chain,
                automatic={line.id: decided[line.res_id] for line in lines},
            )
            candidates -= lines

    def _review_decided_once_text(self, previous):
        """Why this step was approved without a click of its own: its reviewer approved ``previous``."""
        self.ensure_one()
        return self.env._(
            "approved automatically: %(user)s approved step %(step)s",
            user=previous.done_by_id.name or self.env.user.name,
            step=previous._review_step_name(),
        )

    def _review_own_activities(self, chain, users=None):
        """The to-dos of these lines (of all their reviewers, or only of ``users``) once decided.

        To-dos are kept per record and assignee: a reviewer who also waits on a parallel step of the
        record still pending keeps one to-do for it (preferably the one naming that step).
        """
        todos = self._review_activities(users)
        decided, res_ids = set(self.ids), set(self.mapped("res_id"))
        still = defaultdict(list)
        for line in chain:
            if line.state == "pending" and line.id not in decided and line.res_id in res_ids:
                for user in line._review_waiting_reviewers():
                    still[line.res_id, user.id].append(line._review_step_name())
        if not still:
            return todos
        keep = self.env["mail.activity"]
        for (res_id, user_id), names in still.items():
            theirs = todos.filtered(
                lambda todo, res_id=res_id, user_id=user_id: (todo.res_id, todo.user_id.id) == (res_id, user_id)
            )
            named = theirs.filtered(lambda todo, names=names: any(name in (todo.summary or "") for name in names))
            keep |= (named + (theirs - named))[: len(names)]
        return todos - keep

    def _review_reject(self, records, acting_for, reason, note, send_back, chain):
        """Reject these pending lines with ``reason`` and send the records back.

        :param chain: the current lines of ``records`` (``self`` among them)
        """
        now = fields.Datetime.now()
        substitute_for = self._review_substitute_for(acting_for)
        for line in self:
            line._review_write_step(
                "rejected",
                done_by_id=self.env.uid,
                done_date=now,
                reason_id=reason.id,
                note=note,
                duration_hours=line._review_hours_since_pending(now),
            )
        # A rejection in one of parallel steps stops the others: their to-dos go with the rejected one's.
        rejected_ids = set(self.mapped("res_id"))
        stopped = chain.filtered(lambda line: line.res_id in rejected_ids and line.state == "pending")
        stopped._review_write_step("cancelled", is_current=False)
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        done_todos = self._review_activities()
        to_previous = (
            self._review_send_back_to_previous(chain, records) if send_back == "previous" else records.browse()
        )
        to_submitter = records - to_previous
        chain.filtered(lambda line: line.res_id in to_submitter.ids and line.state == "waiting")._review_write_step(
            "cancelled", is_current=False
        )
        to_submitter._review_write_state("rejected")
        activated = {}
        if to_previous:
            activated, handed = self._review_lines_of(to_previous)._review_activate_next(
                to_previous, handover=done_todos
            )
            done_todos -= handed
        self.env["crm.review.log"]._log(
            records,
            "reject",
            lines=self,
            reason=reason,
            notes=dict.fromkeys(records.ids, note),
            names={line.res_id: line.res_name for line in self},
            substitute_for=substitute_for,
        )
        reason_name, guidance = reason.name, reason.guidance
        bodies = {}
        for line in self:
            body = Markup("%s <b>%s</b>: %s") % (self.env._("Rejected at step"), line._review_step_name(), reason_name)
            if line.res_id in substitute_for:
                body += Markup(" %s") % self._review_substitute_sentence(acting_for[line.id])
            if note:
                body += Markup("<br/>%s") % note
            stopped_names = [other._review_step_name() for other in stopped if other.res_id == line.res_id]
            if stopped_names:
                body += Markup("<br/>%s") % self.env._(
                    "Stopped with it: step %(steps)s.", steps=", ".join(stopped_names)
                )
            if line.res_id in activated:
                body += Markup("<br/>%s %s") % (self.env._("Sent back to the previous step."), activated[line.res_id])
            else:
                body += Markup("<br/>%s") % self.env._("Sent back to the submitter.")
                if guidance:
                    body += Markup("<br/><i>%s</i> %s") % (self.env._("How to fix:"), guidance)
            bodies[line.res_id] = body
        back_to_submitter = set(to_submitter.ids)
        # The rejected step's to-do becomes the submitter's "Fix and resubmit". To-dos before the note, as
        # for an approval: the note's author is read with the assignees (``_assign_todos``).
        done_todos -= self.filtered(lambda line: line.res_id in back_to_submitter)._review_schedule_fix_activities(
            reason, note, handover=done_todos
        )
        self.env["crm.review.notifier"]._post(records, bodies)
        self._review_check_reject_limit(records)
        self._review_run_actions("rejected", records)
        done_todos.unlink()

    @api.model
    def _review_recall(self, records):
        """Withdraw the pending submissions of ``records`` (their submitter or a review administrator)."""
        is_admin = self.env.user.has_group("crm_review.group_review_manager")
        lines = self._review_lines_of(records, lock=True)
        submitter = {line.res_id: line.submitter_id for line in lines}
        for record in records:
            if record.review_state != "pending":
                raise UserError(
                    self.env._("%(record)s is not under review: nothing to recall.", record=record.display_name)
                )
            if submitter.get(record.id) != self.env.user and not is_admin:
                raise AccessError(
                    self.env._(
                        "Only %(user)s, who submitted %(record)s, can recall it.",
                        user=submitter.get(record.id, self.env["res.users"]).sudo().name,
                        record=record.display_name,
                    )
                )
        lines._review_close()
        records._review_write_state("draft")
        self.env["crm.review.log"]._log(records, "recall")
        self.env["crm.review.notifier"]._post(
            records, dict.fromkeys(records.ids, self.env._("Review recalled: back to draft."))
        )

    @api.model
    def _review_reset_on_key_change(self, records, touched):
        """Send approved ``records`` whose key fields among ``touched`` changed back to draft (重新审核).

        Only records whose review can still change (``_review_resettable``): a
        confirmed order is past its review, whatever is edited on it afterwards.
        """
        approved = records._review_resettable().filtered(lambda r: r.review_state == "approved")
        if not approved:
            return
        key_fields = self.env["crm.review.rule"]._review_key_fields_by_record(approved)
        to_reset = approved.filtered(lambda r: touched & key_fields.get(r.id, set()))
        if not to_reset:
            return
        labels = {
            record.id: ", ".join(
                records._fields[name].get_description(self.env)["string"]
                for name in sorted(touched & key_fields[record.id])
            )
            for record in to_reset
        }
        self._review_lines_of(to_reset)._review_close()
        to_reset._review_write_state("draft")
        self.env["crm.review.log"]._log(to_reset, "reset", notes=labels)
        self.env["crm.review.notifier"]._post(
            to_reset,
            {
                rec_id: Markup("%s <b>%s</b>") % (self.env._("Changed after approval:"), label)
                + Markup("<br/>")
                + self.env._("A new review is needed.")
                for rec_id, label in labels.items()
            },
        )

    def _review_substitute_for(self, acting_for):
        """{record id: id of the reviewer} for the decisions the user takes as a substitute."""
        return {line.res_id: acting_for[line.id].id for line in self if acting_for[line.id] != self.env.user}

    @api.model
    def _review_substitute_sentence(self, reviewer):
        return self.env._("(as substitute for %(reviewer)s)", reviewer=reviewer.sudo().name)

    def _review_waiting_sentence(self):
        self.ensure_one()
        return self.env._(
            "Step %(step)s is waiting for %(reviewers)s.",
            step=self._review_step_name(),
            reviewers=self.reviewer_ids._review_names(),
        )

    def _review_waiting_sentences(self):
        """{record id: what these pending lines wait for, one sentence per step (parallel steps: several)}."""
        sentences = defaultdict(list)
        for line in self:
            sentences[line.res_id].append(line._review_waiting_sentence())
        return {res_id: " ".join(texts) for res_id, texts in sentences.items()}

    def _review_run_actions(self, outcome, records):
        """Run the server actions of these lines' steps (and rules) for ``outcome`` on ``records``.

        A step's action runs when that step is decided; a rule's action runs
        when the review is complete (approved) or when one of its steps rejects.
        """
        if not records:
            return
        field = "action_approved_id" if outcome == "approved" else "action_rejected_id"
        targets = defaultdict(set)
        record_ids = set(records.ids)
        Rule = self.env["crm.review.rule"]
        for line in self.filtered(lambda line: line.res_id in record_ids):
            # The step's action comes with its cached spec, as the rule's with its settings.
            spec = line._review_step_spec()
            if spec and getattr(spec, field):
                targets[self.env["ir.actions.server"].browse(getattr(spec, field))].add(line.res_id)
            # The rule's actions come with its cached settings: no read of the rule per decision.
            rule_action_id = getattr(Rule._rule_info(line.rule_id.id), field)
            if rule_action_id and (outcome == "rejected" or records.browse(line.res_id).review_state == "approved"):
                targets[self.env["ir.actions.server"].browse(rule_action_id)].add(line.res_id)
        # As the deciding user, not the superuser (the lines are read in sudo): Odoo checks that they may
        # run it (in its groups, else with write access to the records) and its code runs with their rights.
        as_user = self.env(su=False)
        for action, res_ids in targets.items():
            ids = sorted(res_ids)
            try:
                action.with_env(as_user).with_context(
                    active_model=records._name, active_ids=ids, active_id=ids[0]
                ).run()
            except AccessError as error:
                raise AccessError(
                    self.env._(
                        "The action %(action)s, run when a review step is decided, cannot run as you: %(error)s",
                        action=action.sudo().name,
                        error=error.args[0],
                    )
                ) from None

    def _review_write_step(self, state, **values):
        """Write lines changing state: the other decision columns are reset.

        Each line also says whether it stays in the current review (``is_current``, True unless given):
        a rejected step and the waiting steps it cancels then write the same columns, which the ORM
        flushes in one UPDATE.
        """
        vals = {
            "state": state,
            "is_current": True,
            "next_reminder_at": False,
            "done_by_id": False,
            "done_date": False,
            "note": False,
            "reason_id": False,
            "duration_hours": 0.0,
        }
        vals.update(values)
        self.write(vals)

    @api.model
    def _review_pending_values(self, rule_id, now):
        delay = self.env["crm.review.rule"]._rule_info(rule_id).reminder_after_hours
        return {
            "state": "pending",
            "pending_since": now,
            "next_reminder_at": now + timedelta(hours=delay) if delay else False,
        }

    def _review_activate_next(self, records, handover=None):
        """Make the first waiting steps of each record pending (all the parallel steps of the next
        position, with a to-do for each), or approve the record; nothing while a step is still pending.

        ``self`` holds the current lines of ``records``.
        :param handover: to-dos being removed, handed over to the new reviewers where they can be
            (``crm.review.notifier._create_todos``)
        :return: ({record id: sentence telling what happens next}, the to-dos assigned)
        """
        first = {}
        for line in self:
            if line.state in ("waiting", "pending"):
                first.setdefault(line.res_id, line.position)
        # The next position opens when no step is pending any more: parallel steps wait for each other.
        busy = self.filtered(lambda line: line.state == "pending")
        busy_ids = set(busy.mapped("res_id"))
        # With the chain's prefetch set: the steps of the decided and the next lines are read at once.
        to_activate = self.browse(
            [
                line.id
                for line in self
                if line.state == "waiting" and line.res_id not in busy_ids and line.position == first[line.res_id]
            ]
        ).with_prefetch(self._prefetch_ids)
        for line in to_activate.filtered(lambda line: not line.reviewer_ids):
            # Every reviewer fixed at submission has been archived since.
            fallback = self._review_fallback_reviewers(line.company_id, exclude=line.submitter_id)
            line.reviewer_ids = [Command.set(fallback.ids)]
        now = fields.Datetime.now()
        messages = {}
        for rule_id, lines in to_activate.grouped(lambda line: line.rule_id.id).items():
            lines.write(self._review_pending_values(rule_id, now))
        messages.update(to_activate._review_waiting_sentences())
        # A step decided while a parallel one is still open: say who the record still waits for.
        record_ids = set(records.ids)
        messages.update(busy.filtered(lambda line: line.res_id in record_ids)._review_waiting_sentences())
        todos = to_activate._review_schedule_activities(handover=handover)
        done = records.filtered(lambda r: r.id not in first)
        if done:
            done._review_write_state("approved")
            for record in done:
                messages[record.id] = self.env._("The review is complete: approved.")
        return messages, todos

    def _review_send_back_to_previous(self, chain, records):
        """Reopen the last approved step before each rejected line; return the records sent back.

        Parallel steps go back together: every approved step of the previous position is reopened, and
        the rejected step with the steps its rejection stopped (cancelled) is asked again after them.
        """
        to_previous = records.browse()
        vals_list = []
        for line in self:
            earlier = chain.filtered(
                lambda c, line=line: c.res_id == line.res_id and c.position < line.position and c.state == "approved"
            )
            if not earlier:
                continue
            position = max(earlier.mapped("position"))
            previous = earlier.filtered(lambda c, position=position: c.position == position)
            stopped = chain.filtered(
                lambda c, line=line: c.res_id == line.res_id and c.position == line.position and c.state == "cancelled"
            )
            (previous | line).write({"is_current": False})
            for old in previous | line | stopped:
                vals = old.copy_data()[0]
                vals.update(
                    state="waiting",
                    is_current=True,
                    reviewer_ids=[Command.set(old.reviewer_ids.ids)],
                    approved_by_ids=[Command.clear()],
                    acted_by_ids=[Command.clear()],
                    pending_since=False,
                    next_reminder_at=False,
                    done_by_id=False,
                    done_date=False,
                    note=False,
                    reason_id=False,
                    duration_hours=0.0,
                    reminder_count=0,
                    escalated=False,
                )
                vals_list.append(vals)
            to_previous |= records.browse(line.res_id)
        self.sudo().create(vals_list)
        return to_previous

    def _review_check_reject_limit(self, records):
        """Escalate records whose rule's rejection limit is reached (one read_group for all)."""
        Rule = self.env["crm.review.rule"]
        limited = self.filtered(lambda line: Rule._rule_info(line.rule_id.id).reject_limit)
        if not limited:
            return
        counts = {
            (res_id, rule.id): count
            for res_id, rule, count in self.sudo()._read_group(
                [
                    ("res_model", "=", records._name),
                    ("res_id", "in", limited.mapped("res_id")),
                    ("rule_id", "in", limited.rule_id.ids),
                    ("state", "=", "rejected"),
                ],
                ["res_id", "rule_id"],
                ["__count"],
            )
        }
        reached = {}
        for line in limited:
            count = counts.get((line.res_id, line.rule_id.id), 0)
            if count >= line.rule_id.reject_limit:
                reached[line] = count
        if not reached:
            return
        notifier = self.env["crm.review.notifier"]
        targets = notifier._escalation_targets(self.browse([line.id for line in reached]))

        def texts(line, env):
            note = line._review_reject_limit_text(reached[line], targets[line.id], env)
            return env._("Rejection limit reached"), note

        notifier._assign_todos(
            "escalation", [(line.res_model, line.res_id, targets[line.id], line) for line in reached], texts
        )
        # The chatter and the audit trail keep one text, in the language of whoever rejected.
        bodies = {
            line.res_id: line._review_reject_limit_text(count, targets[line.id], self.env)
            for line, count in reached.items()
        }
        escalated = records.browse(list(bodies))
        self.env["crm.review.log"]._log(escalated, "escalate", notes=bodies)
        notifier._post(escalated, bodies)

    def _review_reject_limit_text(self, count, targets, env):
        """Why this line's record was escalated after ``count`` rejections, to ``targets``, in ``env``'s language."""
        self.ensure_one()
        rule = self.rule_id.with_context(lang=env.lang)
        if not targets:
            return env._(
                "Rejected %(count)s times under rule %(rule)s (limit %(limit)s), with nobody to escalate to: no "
                "escalation user, no manager of its reviewers and no review administrator in %(company)s.",
                count=count,
                rule=rule.name,
                limit=rule.reject_limit,
                company=self.company_id.name or env._("any company"),
            )
        return env._(
            "Rejected %(count)s times under rule %(rule)s (limit %(limit)s): escalated to %(users)s.",
            count=count,
            rule=rule.name,
            limit=rule.reject_limit,
            users=targets._review_names(),
        )

    def _review_close(self, remove_todos=True):
        """Take lines out of the current review: open steps are cancelled, decisions kept.

        :param remove_todos: False when the caller removes the steps' to-dos itself
        """
        open_lines = self.filtered(lambda line: line.state in ("waiting", "pending"))
        if remove_todos:
            open_lines._review_remove_activities()
        open_lines.write({"state": "cancelled", "is_current": False})
        (self - open_lines).write({"is_current": False})

    def _review_hours_since_pending(self, now):
        self.ensure_one()
        if not self.pending_since:
            return 0.0
        return round((now - self.pending_since).total_seconds() / 3600.0, 2)

    def _review_remove_activities(self, users=None):
        """Remove the review to-dos of these steps (of all reviewers, or only of ``users``)."""
        self._review_activities(users).unlink()

    def _review_activities(self, users=None):
        """The review to-dos of these steps (of all reviewers, or only of ``users``)."""
        todos = self.env["mail.activity"]
        for model, lines in self.grouped("res_model").items():
            todos |= self.env["crm.review.notifier"]._find_todos(model, set(lines.mapped("res_id")), ["review"], users)
        return todos

    def _review_schedule_activities(self, handover=None):
        """One "Review" to-do per waiting reviewer of each pending line, created in one batch.

        ``handover``: to-dos being removed, handed over where they can be (``crm.review.notifier._create_todos``).

        Not for a step with more reviewers than its to-do limit (``todo_limit``):
        they find it in their To Review list and reminder digest.

        Due the day the step opens, in the reviewer's time zone: a step waiting
        for someone is work for today (Odoo's activity menu lists it), while
        the reminders follow the rule's delay (``next_reminder_at``). Reviewers
        who asked for an email get one from the notification job
        (``_cron_notify_new_steps``) within a minute (``_review_start_email_job``).
        """
        notifier = self.env["crm.review.notifier"]
        assignments = []
        new_steps = defaultdict(list)
        for line in self:
            waiting = line._review_waiting_reviewers()
            for user in waiting:
                new_steps[user].append(line.id)
            # A large group finds the step in its To Review list and digest: no to-do per member.
            spec = line._review_step_spec()
            limit = spec.todo_limit if spec else line.step_id.todo_limit
            if not limit or len(waiting) <= limit:
                assignments.append((line.res_model, line.res_id, waiting, line))

        def texts(line, env):
            return env._("Review: %(step)s", step=line.with_context(lang=env.lang)._review_step_name()), False

        todos = notifier._assign_todos("review", assignments, texts, handover=handover)
        to_email = [user for user in new_steps if user != self.env.user and user._review_wants_email()]
        if to_email:
            self.browse({line_id for user in to_email for line_id in new_steps[user]}).write({"notify_due": True})
            self._review_start_email_job()
        return todos

    @api.model
    def _review_start_email_job(self):
        """Have the job *email reviewers whose turn it is* run at the start of the next minute.

        The email arrives within a minute or two (the cron workers look for due jobs every minute), and
        what became someone's meanwhile goes in one email. One run serves every decision of that minute:
        a decision adds no run when one is planned already, and none wakes the cron workers (a run due
        now would open a new database connection after the commit to notify them).
        """
        # By its xmlid's id: the job is known to exist (``env.ref`` would check it with a query).
        job_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.ir_cron_review_new_steps")
        at = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        Trigger = self.env["ir.cron.trigger"].sudo()
        if not Trigger.search_count([("cron_id", "=", job_id), ("call_at", "=", at)], limit=1):
            self.env["ir.cron"].sudo().browse(job_id)._trigger(at)

    def _review_schedule_fix_activities(self, reason, note, handover=None):
        """A "Fix and resubmit" to-do for the submitter of each rejected line, with the reason's guidance.

        Due today in the submitter's time zone: the record waits for them. ``handover``: to-dos being
        removed, handed over where they can be (``crm.review.notifier._create_todos``).
        """
        assignments = [
            (line.res_model, line.res_id, line.submitter_id, line)
            for line in self
            if line.submitter_id.active and not line.submitter_id.share
        ]

        def texts(_line, env):
            reason_text = reason.with_context(lang=env.lang)
            body = Markup("<p><b>%s</b></p>") % reason_text.name
            if reason_text.guidance:
                body += Markup("<p>%s</p>") % reason_text.guidance
            if note:
                body += Markup("<p>%s</p>") % note
            return env._("Fix and resubmit"), body

        return self.env["crm.review.notifier"]._assign_todos("fix", assignments, texts, handover=handover)
