from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

# Fields of crm.review the engine reads with the lines (one fetch for a whole batch).
LINE_FIELDS = [
    "res_model",
    "res_id",
    "res_name",
    "name",
    "state",
    "position",
    "submission",
    "is_current",
    "submitter_id",
    "rule_id",
    "step_id",
    "approval_mode",
    "comment_required",
    "pending_since",
    "company_id",
    "team_id",
    "reviewer_ids",
    "approved_by_ids",
]

# Only ``_review_write_state`` holds this object; no RPC call can put it in a context.
_REVIEW_WRITE = object()
# Held by the contacts merge: the surviving partner keeps its own review state.
REVIEW_KEEP_STATE = object()

# Computed from the review lines: read again after a decision that leaves the state as it is.
REVIEW_STATUS_FIELDS = [
    "review_reviewer_ids",
    "review_step_label",
    "review_reviewers_label",
    "review_submitter_id",
    "review_can_decide",
    "review_to_me",
    "review_submitted_by_me",
    "review_involves_me",
    "review_last_rejection",
]

# A review comment is a few lines of text, not a document.
MAX_COMMENT_LENGTH = 10000

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
        required = self.browse()
        if self.ids:
            for records in self.env["crm.review.rule"]._rules_for(self.browse(self.ids)).values():
                required |= records
        for record in self:
            record.review_required = record.id in required.ids

    def _search_review_required(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field="review_required"))
        specs = self.env["crm.review.rule"]._active_rule_specs(self._name)
        domain = Domain.OR(domain for _rule_id, domain in specs) if specs else Domain.FALSE
        return domain if (operator == "=") == value else ~domain

    def _review_lines(self, lock=False):
        """Current review lines of the records (sudo), in route order, read in one batch.

        With ``lock``, the lines are locked for update first and then read: the
        values are the ones committed by whoever held the lock before (two
        reviewers deciding at the same moment: the second one waits, then sees
        the step decided). Archived reviewers are left out of ``reviewer_ids``
        by the ORM.
        """
        Review = self.env["crm.review"].sudo()
        if not self.ids:
            return Review
        if lock:
            Review.flush_model()
            rows = self.env.execute_query(
                SQL(
                    "SELECT id FROM crm_review WHERE res_model = %s AND res_id IN %s AND is_current"
                    " ORDER BY position, id FOR UPDATE",
                    self._name,
                    tuple(self.ids),
                )
            )
            lines = Review.browse([row[0] for row in rows])
            lines.invalidate_recordset()
        else:
            lines = Review.search(
                [("res_model", "=", self._name), ("res_id", "in", self.ids), ("is_current", "=", True)],
                order="position, id",
            )
        lines.fetch(LINE_FIELDS)
        return lines

    @api.depends("review_state")
    @api.depends_context("uid")
    def _compute_review_status(self):
        user = self.env.user
        in_review = self.filtered("review_state")
        lines = in_review._review_lines() if in_review.ids else self.env["crm.review"].sudo()
        by_record = lines.grouped("res_id")
        # Names of every reviewer and step of the batch in one read each (labels below).
        lines.reviewer_ids.fetch(["name"])
        lines.step_id.fetch(["name"])
        substituted = user._review_substituted_users()
        for record in self:
            chain = by_record.get(record.id, lines.browse())
            line = chain.filtered(lambda line: line.state == "pending")[:1]
            record.review_reviewer_ids = line.reviewer_ids
            record.review_reviewers_label = bool(line) and self._review_users_label(line.reviewer_ids)
            record.review_submitter_id = chain[:1].submitter_id
            if line:
                steps = chain.filtered(lambda step: step.state != "skipped")
                record.review_step_label = self.env._(
                    "%(step)s (%(position)s/%(count)s)",
                    step=line._review_step_name(),
                    position=list(steps).index(line) + 1,
                    count=len(steps),
                )
            else:
                record.review_step_label = False
            record.review_can_decide = bool(line) and bool(line._review_acting_for(user, substituted))
            record.review_to_me = record.review_can_decide
            record.review_submitted_by_me = bool(chain) and chain[0].submitter_id == user
            rejected = chain.filtered(lambda line: line.state == "rejected")[-1:]
            record.review_last_rejection = rejected._review_rejection_summary() if rejected else False

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
        self._review_check_computed_fields(vals)
        touched = self._review_touched_key_fields(vals)
        if touched:
            self._review_check_key_fields_editable(touched)
        result = super().write(vals)
        if touched:
            self._review_reset_on_key_change(touched)
        return result

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals.pop("review_state", None)
        return vals_list

    # ------------------------------------------------------------------
    # Key fields: a change on an approved record needs a new review
    # ------------------------------------------------------------------

    def _review_check_computed_fields(self, vals):
        """Refuse setting by hand a computed field that rules read (an order total, say).

        The ORM stores what a client writes in a computed field without inverse:
        a forged total would take a record out of review or change what was approved.
        """
        if self.env.su:
            return
        Rule = self.env["crm.review.rule"]
        read_by_rules = Rule._condition_fields_of_model(self._name) | Rule._key_fields_of_model(self._name)
        forged = [
            name
            for name in vals
            if name in read_by_rules
            and (field := self._fields.get(name))
            and field.compute
            and field.store
            and not field.inverse
        ]
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s cannot be set by hand: computed from the record, it decides its review.",
                    fields=", ".join(self._fields[name].get_description(self.env)["string"] for name in forged),
                )
            )

    def _review_touched_key_fields(self, vals):
        """Key fields (of any rule of the model) among ``vals``: cheap, no query when none."""
        if self.env.context.get("crm_review_write") is _REVIEW_WRITE:
            return set()
        key_fields = self.env["crm.review.rule"]._key_fields_of_model(self._name)
        return self._review_changed_fields(set(vals) & key_fields, vals)

    def _review_changed_fields(self, names, vals):
        """Those of ``names`` whose value in ``vals`` differs from a record's (lines always count)."""
        changed = set()
        for name in names:
            field = self._fields[name]
            if field.type in ("one2many", "many2many"):
                changed.add(name)
                continue
            for record in self:
                if field.convert_to_record(field.convert_to_cache(vals[name], record), record) != record[name]:
                    changed.add(name)
                    break
        return changed

    def _review_key_fields_by_record(self):
        """{record id: key field names} from the rules of each record's current review."""
        lines = self._review_lines()
        rules_by_record = defaultdict(lambda: self.env["crm.review.rule"].sudo())
        for line in lines:
            rules_by_record[line.res_id] |= line.rule_id
        result = {}
        for record_id, rules in rules_by_record.items():
            names = set()
            for rule in rules:
                names |= set(rule.key_field_ids.mapped("name") or self._review_default_key_fields)
            result[record_id] = names
        return result

    def _review_check_key_fields_editable(self, touched):
        pending = self.filtered(lambda r: r.review_state == "pending")
        if not pending:
            return
        key_fields = pending._review_key_fields_by_record()
        for record in pending:
            blocked = touched & key_fields.get(record.id, set())
            if blocked:
                raise UserError(
                    self.env._(
                        "%(record)s is under review: %(fields)s cannot be changed until the review is "
                        "finished. Recall the submission first.",
                        record=record.display_name,
                        fields=", ".join(self._fields[f].get_description(self.env)["string"] for f in sorted(blocked)),
                    )
                )

    def _review_check_lines_editable(self, lines_field):
        """Lines (``lines_field``, a one2many) are key content: frozen while the record is under review."""
        if lines_field in self.env["crm.review.rule"]._key_fields_of_model(self._name):
            self._review_check_key_fields_editable({lines_field})

    def _review_on_lines_changed(self, lines_field):
        """A line change on an approved record needs a new review."""
        approved = self.filtered(lambda r: r.review_state == "approved")
        if approved and lines_field in self.env["crm.review.rule"]._key_fields_of_model(self._name):
            approved._review_reset_on_key_change({lines_field})

    def _review_reset_on_key_change(self, touched):
        """Send approved records whose key fields changed back to draft (重新审核)."""
        approved = self.filtered(lambda r: r.review_state == "approved")
        if not approved:
            return
        key_fields = approved._review_key_fields_by_record()
        to_reset = approved.filtered(lambda r: touched & key_fields.get(r.id, set()))
        if not to_reset:
            return
        labels = {
            record.id: ", ".join(
                self._fields[f].get_description(self.env)["string"] for f in sorted(touched & key_fields[record.id])
            )
            for record in to_reset
        }
        to_reset._review_lines()._review_close()
        to_reset._review_write_state("draft")
        to_reset._review_log("reset", notes=labels)
        to_reset._review_post(
            {
                rec_id: Markup("%s <b>%s</b>") % (self.env._("Changed after approval:"), label)
                + Markup("<br/>")
                + self.env._("A new review is needed.")
                for rec_id, label in labels.items()
            }
        )

    # ------------------------------------------------------------------
    # Helpers shared by the actions
    # ------------------------------------------------------------------

    def _review_manager_of(self, submitter):
        """Who approves a "manager" step: the submitter's manager, else the sales team leader."""
        self.ensure_one()
        if "employee_id" in submitter._fields:
            manager = submitter.sudo().employee_id.parent_id.user_id
            if manager:
                return manager
        if "team_id" in self._fields and self.sudo().team_id.user_id:
            return self.sudo().team_id.user_id
        team = (
            self.env["crm.team"]
            .sudo()
            .search(["|", ("member_ids", "in", submitter.ids), ("user_id", "=", submitter.id)], limit=1)
        )
        return team.user_id

    def _review_post(self, bodies, author=None):
        """One internal note per record (see ``crm.review.notifier._post``)."""
        return self.env["crm.review.notifier"]._post(self, bodies, author=author)

    def _review_log(self, action, lines=None, reason=None, notes=None, names=None, substitute_for=None):
        """Append audit-trail rows, one per record (or per line when given).

        :param names: {record id: display name}, when already known (saves reading the records)
        :param substitute_for: {record id: id of the reviewer the user decided for as a substitute}
        """
        Log = self.env["crm.review.log"].sudo()
        line_of = {line.res_id: line for line in (lines or [])}
        notes = notes or {}
        substitute_for = substitute_for or {}
        if names is None:
            names = {record.id: record.display_name for record in self.sudo()}
        has_company = "company_id" in self._fields
        vals_list = []
        for record in self:
            line = line_of.get(record.id)
            if line:
                company_id = line.company_id.id
            else:
                company_id = record.sudo().company_id.id if has_company else False
            vals_list.append(
                Log._entry(
                    action,
                    self._name,
                    record.id,
                    names.get(record.id),
                    company_id,
                    line=line,
                    reason=reason,
                    note=notes.get(record.id),
                    substitute_for_id=substitute_for.get(record.id),
                )
            )
        return Log.create(vals_list)

    @api.model
    def _review_users_label(self, users):
        """Names of ``users`` (a recordset), sorted."""
        return ", ".join(sorted(users.sudo().mapped("name"))) or self.env._("nobody")

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
                reviewers=self._review_users_label(self.review_reviewer_ids),
            )
        if self.review_state == "rejected":
            return self.env._(
                "%(record)s was rejected in review; fix it and submit it again.", record=self.display_name
            )
        return self.env._("%(record)s has not been submitted for review.", record=self.display_name)

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

    def action_review_submit(self):
        """Submit the records for review (or resubmit them after a rejection)."""
        if not self:
            return True
        self._review_check_ids()
        self.check_access("read")
        if not self.env.user.has_group("crm_review.group_review_submitter"):
            raise AccessError(self.env._("Only review submitters can submit records for review."))
        for record in self:
            if record.review_state == "pending":
                raise UserError(self.env._("%(record)s is already under review.", record=record.display_name))
        self.env["crm.review"]._review_submit(self)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def action_review_approve(self, comment=None):
        """Approve the current step of the records as the current user."""
        if not self:
            return True
        self._review_check_ids()
        comment = self._review_check_text(comment, self.env._("The comment"))
        chain = self._review_lines(lock=True)
        lines, acting_for = self._review_decidable_lines(chain)
        missing_comment = lines.filtered(lambda line: line.comment_required and not comment)
        if missing_comment:
            if len(self) == 1 and not self.env.context.get("crm_review_no_wizard"):
                return self._review_open_comment_wizard()
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
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject"),
            "res_model": "crm.review.reject",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_res_model": self._name,
                "default_res_ids": str(self.ids),
            },
        }

    def _review_reject(self, reason, note=False, send_back="submitter"):
        """Reject the current step with a reason and send the records back (the reject wizard's work)."""
        self._review_check_ids()
        note = self._review_check_text(note, self.env._("The comment"))
        if send_back not in ("submitter", "previous"):
            raise UserError(
                self.env._(
                    "Send the record back to the submitter or to the previous step, not %(where)r.", where=send_back
                )
            )
        reason = reason.sudo().exists() if reason else reason
        if not reason or reason.reason_type != "reject" or not reason.active:
            raise UserError(self.env._("Choose an active rejection reason from the catalog."))
        lines, acting_for = self._review_decidable_lines(self._review_lines(lock=True))
        lines._review_reject(self, acting_for, reason, note or False, send_back)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def action_review_recall(self):
        """Withdraw a pending submission (submitter or review administrator)."""
        if not self:
            return True
        self._review_check_ids()
        self.check_access("read")
        is_admin = self.env.user.has_group("crm_review.group_review_manager")
        lines = self._review_lines(lock=True)
        submitter = {line.res_id: line.submitter_id for line in lines}
        for record in self:
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
        self._review_write_state("draft")
        self._review_log("recall")
        self._review_post(dict.fromkeys(self.ids, self.env._("Review recalled: back to draft.")))
        self.invalidate_recordset(REVIEW_STATUS_FIELDS)
        return True

    def _review_bulk(self, action):
        """Run ``action`` ("submit" or "approve") on the records the user may, and say why not on the others.

        Lists call this: one refusal does not stop the others.
        :return: (records done, {record: why it was refused})
        """
        refused = {}
        readable = self._filtered_access("read")
        for record in self - readable:
            refused[record] = self.env._("You cannot read %(record)s.", record=record.sudo().display_name)
        records = readable
        if action == "approve":
            pending = self._review_pending_by_record(records._review_lines())
            user = self.env.user
            substituted = user._review_substituted_users()
            for record in records:
                line = pending.get(record.id)
                if not line:
                    refused[record] = record._review_no_pending_step_text()
                elif not line._review_acting_for(user, substituted):
                    refused[record] = record._review_refusal_reason(line, user, substituted)
                elif line.comment_required:
                    refused[record] = self.env._(
                        "Step %(step)s of %(record)s needs a comment: approve it from the record.",
                        step=line._review_step_name(),
                        record=record.display_name,
                    )
        elif action == "submit":
            required = self.browse()
            for matching in self.env["crm.review.rule"]._rules_for(records).values():
                required |= matching
            for record in records:
                if record.review_state == "pending":
                    refused[record] = self.env._("%(record)s is already under review.", record=record.display_name)
                elif record not in required:
                    refused[record] = self.env._(
                        "No review rule applies to %(records)s: there is nothing to submit.",
                        records=record.display_name,
                    )
        else:
            raise UserError(self.env._("Unknown review action: %(action)s", action=action))
        done = records.filtered(lambda r: r not in refused)
        if done:
            method = "action_review_approve" if action == "approve" else "action_review_submit"
            getattr(done.with_context(crm_review_no_wizard=True), method)()
        return done, refused

    # ------------------------------------------------------------------
    # Who may decide (the rule itself is crm.review._review_acting_for)
    # ------------------------------------------------------------------

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

    def _review_check_ids(self):
        """Refuse ids that are not those of existing records (RPC callers may send anything)."""
        if not all(
            isinstance(record_id, int) and not isinstance(record_id, bool) and 0 < record_id < 2**31
            for record_id in self._ids
        ):
            raise UserError(self.env._("Invalid record ids: %(ids)s", ids=", ".join(map(repr, self._ids[:10]))))
        missing = self - self.exists()
        if missing:
            raise UserError(
                self.env._(
                    "%(model)s %(ids)s no longer exist (deleted?).",
                    model=self._description,
                    ids=", ".join(map(str, missing.ids[:10])),
                )
            )

    def _review_decidable_lines(self, chain):
        """Pending lines (among ``chain``, the current lines) that the current user may decide.

        Raises when a record is not readable in the user's current companies
        (deciding is a write, as any other), not under review, or when the user
        may not decide on its current step.
        :return: (lines, {line id: the reviewer the user decides for})
        """
        self.check_access("read")
        pending = self._review_pending_by_record(chain)
        user = self.env.user
        substituted = user._review_substituted_users()
        acting_for = {}
        for record in self:
            line = pending.get(record.id)
            if not line:
                raise UserError(record._review_no_pending_step_text())
            reviewer = line._review_acting_for(user, substituted)
            if not reviewer:
                raise AccessError(record._review_refusal_reason(line, user, substituted))
            acting_for[line.id] = reviewer
        lines = self.env["crm.review"].sudo().browse([pending[record.id].id for record in self])
        return lines, acting_for

    @api.model
    def _review_pending_by_record(self, chain):
        """{record id: its step waiting for a decision} among ``chain`` (current lines, in route order)."""
        pending = {}
        for line in chain:
            if line.state == "pending":
                pending.setdefault(line.res_id, line)
        return pending

    def _review_no_pending_step_text(self):
        self.ensure_one()
        return self.env._(
            "%(record)s has no step waiting for a decision (state: %(state)s).",
            record=self.display_name,
            state=self._review_state_label(),
        )

    def _review_refusal_reason(self, line, user, substituted):
        """Why ``user`` may not decide on ``line`` (the current step of ``self``)."""
        self.ensure_one()
        if line.submitter_id == user:
            return self.env._("You cannot decide on %(record)s: you submitted it.", record=self.display_name)
        if line.approval_mode == "all" and user in line.acted_by_ids:
            return self.env._(
                "You already approved step %(step)s of %(record)s: each reviewer approves once.",
                step=line._review_step_name(),
                record=self.display_name,
            )
        return self.env._(
            "You are not a reviewer of step %(step)s of %(record)s (reviewers: %(reviewers)s).",
            step=line._review_step_name(),
            record=self.display_name,
            reviewers=self._review_users_label(line._review_waiting_reviewers()),
        )

    def _review_open_comment_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Approve"),
            "res_model": "crm.review.approve",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_res_model": self._name, "default_res_ids": str(self.ids)},
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
