from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL

# Only ``_review_write_state`` holds this object; no RPC call can put it in a context.
_REVIEW_WRITE = object()

REVIEW_STATES = [
    ("draft", "To submit"),
    ("pending", "Under review"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]


class CrmReviewMixin(models.AbstractModel):
    """Makes a model reviewable: rules, ordered steps, decisions and history.

    Inheriting models declare ``_review_default_key_fields`` (fields whose change
    on an approved record needs a new review when the rule names none) and use
    the ``_review_*`` helpers in the hooks their framework calls (confirmation,
    invoicing...).
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

    # ------------------------------------------------------------------
    # Computes and searches (one query per batch, never per record)
    # ------------------------------------------------------------------

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

    def _review_lines(self, domain=None, lock=False):
        """Current review lines of the records, in one query (locked for update if asked)."""
        base = Domain("res_model", "=", self._name) & Domain("res_id", "in", self.ids) & Domain("is_current", "=", True)
        Review = self.env["crm.review"].sudo()
        fnames = ["res_id", "name", "state", "position", "submitter_id", "rule_id", "step_id", "approval_mode"]
        if not lock:
            return Review.search_fetch(base & Domain(domain or []), fnames, order="position, id")
        # Lock first, read after: the values read are the ones committed by
        # whoever held the lock before us.
        query = Review._search(base & Domain(domain or []), order="position, id")
        rows = self.env.execute_query(
            SQL("%s FOR UPDATE OF %s", query.select(SQL.identifier(Review._table, "id")), SQL.identifier(Review._table))
        )
        Review.invalidate_model()
        return Review.browse([row[0] for row in rows])

    @api.depends("review_state")
    @api.depends_context("uid")
    def _compute_review_status(self):
        user = self.env.user
        in_review = self.filtered(lambda r: r.review_state in ("pending", "approved", "rejected"))
        lines = in_review._review_lines() if in_review.ids else self.env["crm.review"]
        by_record = defaultdict(list)
        for line in lines:
            by_record[line.res_id].append(line)
        substituted = user._review_substituted_users()
        for record in self:
            chain = by_record.get(record.id, [])
            pending = [line for line in chain if line.state == "pending"]
            reviewers = self.env["res.users"].union(*[line.reviewer_ids for line in pending])
            record.review_reviewer_ids = reviewers
            record.review_submitter_id = chain[0].submitter_id if chain else False
            if pending:
                line = pending[0]
                record.review_step_label = self.env._(
                    "%(step)s (%(position)s/%(count)s)",
                    step=line.name,
                    position=chain.index(line) + 1,
                    count=len(chain),
                )
            else:
                record.review_step_label = False
            all_mode = pending and pending[0].approval_mode == "all"
            waiting_for = reviewers - pending[0].approved_by_ids if all_mode else reviewers
            record.review_to_me = bool(waiting_for & (user | substituted))
            record.review_can_decide = record.review_to_me
            record.review_submitted_by_me = bool(chain) and chain[0].submitter_id == user

    def _review_search_lines(self, operator, value, field_name, line_domain):
        """Records having a review line that matches ``line_domain``: one subquery, no query."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field=field_name))
        query = self.env["crm.review"].sudo()._search(Domain("res_model", "=", self._name) & line_domain)
        positive = (operator == "=") == value
        return Domain("id", "in" if positive else "not in", query.subselect("res_id"))

    def _review_me_and_substituted(self):
        return self.env.user | self.env.user._review_substituted_users()

    def _search_review_to_me(self, operator, value):
        users = self._review_me_and_substituted()
        return self._review_search_lines(
            operator,
            value,
            "review_to_me",
            Domain("state", "=", "pending")
            & Domain("reviewer_ids", "in", users.ids)
            & Domain("approved_by_ids", "not in", users.ids),
        )

    @api.depends_context("uid")
    def _compute_review_involves_me(self):
        involved = self.search(Domain("id", "in", self.ids) & self._search_review_involves_me("=", True))
        for record in self:
            record.review_involves_me = record in involved

    def _search_review_involves_me(self, operator, value):
        users = self._review_me_and_substituted()
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
            self.sudo().with_context(crm_review_write=_REVIEW_WRITE).write({"review_state": state})

    @api.model_create_multi
    def create(self, vals_list):
        if (
            any("review_state" in vals for vals in vals_list)
            and self.env.context.get("crm_review_write") is not _REVIEW_WRITE
        ):
            raise AccessError(self.env._("The review state is set by the review process, not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        if "review_state" in vals and self.env.context.get("crm_review_write") is not _REVIEW_WRITE:
            raise AccessError(self.env._("The review state is set by the review process, not by hand."))
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

    def _review_touched_key_fields(self, vals):
        """Key fields (of any rule of the model) among ``vals``: cheap, no query when none."""
        if self.env.context.get("crm_review_write") is _REVIEW_WRITE:
            return set()
        key_fields = self.env["crm.review.rule"]._key_fields_of_model(self._name)
        return set(vals) & key_fields

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
    # Helpers shared by every action
    # ------------------------------------------------------------------

    def _review_manager_of(self, submitter):
        """Who approves a "manager" step: the submitter's manager, else the sales team leader."""
        self.ensure_one()
        employee_field = submitter._fields.get("employee_id")
        if employee_field:
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

    def _review_post(self, bodies):
        """One internal note per record (never shown to customers, no email)."""
        if bodies:
            records = self.browse(list(bodies))
            records.sudo()._message_log_batch(bodies=bodies, author_id=self.env.user.partner_id.id)

    def _review_log(self, action, lines=None, reason=None, notes=None):
        """Append audit-trail rows, one per record (or per line when given)."""
        Log = self.env["crm.review.log"].sudo()
        line_of = {line.res_id: line for line in (lines or [])}
        notes = notes or {}
        has_company = "company_id" in self._fields
        Log.create(
            [
                Log._entry(
                    action,
                    self._name,
                    record.id,
                    record.display_name,
                    record.company_id.id if has_company else False,
                    line=line_of.get(record.id),
                    reason=reason,
                    note=notes.get(record.id),
                )
                for record in self.sudo()
            ]
        )

    def _review_users_label(self, users):
        return ", ".join(users.mapped("name")) or self.env._("nobody")

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
        return not_approved.filtered("review_required") if not_approved else not_approved

    # ------------------------------------------------------------------
    # Public actions
    # ------------------------------------------------------------------

    def action_review_submit(self):
        """Submit the records for review (or resubmit them after a rejection)."""
        if not self:
            return True
        self.check_access("read")
        if not self.env.user.has_group("crm_review.group_review_submitter"):
            raise AccessError(self.env._("Only review submitters can submit records for review."))
        for record in self:
            if record.review_state == "pending":
                raise UserError(self.env._("%(record)s is already under review.", record=record.display_name))
        steps_by_record = self._review_plan_steps()
        previous = self._review_lines()
        line_vals, carried = self._review_prepare_lines(steps_by_record, previous)
        (previous - carried)._review_close()
        new_lines = self.env["crm.review"].sudo().create(line_vals)
        self._review_write_state("pending")
        self._review_close_fix_activities()
        self._review_log("submit")
        skipped = new_lines.filtered(lambda line: line.state == "skipped")
        if skipped:
            self.browse(skipped.mapped("res_id"))._review_log("skip", lines=skipped)
        activated = self._review_activate_next()
        self._review_post(
            {
                record.id: Markup("%s<br/>%s") % (self.env._("Submitted for review."), activated.get(record.id, ""))
                for record in self
            }
        )
        return True

    def _review_plan_steps(self):
        """{record id: [(step, applies)]} in review order; refuses records no rule applies to."""
        steps_by_record = defaultdict(list)
        for rule, records in self.env["crm.review.rule"]._rules_for(self.browse(self.ids)).items():
            for step in rule.step_ids:
                applies = step._applies_to(records)
                for record in records:
                    steps_by_record[record.id].append((step, record in applies))
        nothing = self.filtered(lambda r: not steps_by_record.get(r.id))
        if nothing:
            raise UserError(
                self.env._(
                    "No review rule applies to %(records)s: there is nothing to submit.",
                    records=", ".join(nothing.mapped("display_name")),
                )
            )
        for steps in steps_by_record.values():
            steps.sort(key=lambda s: (s[0].sequence, s[0].rule_id.sequence, s[0].rule_id.id, s[0].id))
        return steps_by_record

    def _review_prepare_lines(self, steps_by_record, previous):
        """Values of the new review lines, and the earlier approvals carried over.

        A resubmission after a rejection keeps the approved steps (continue
        mode) unless one of the rules asks to restart from the first step.
        """
        previous_by_record = previous.grouped("res_id")
        submission = self._review_next_submission()
        line_vals = []
        carried = self.env["crm.review"].sudo()
        for record in self:
            steps = steps_by_record[record.id]
            keep = self.env["crm.review"].sudo()
            restart = any(step.rule_id.resubmit_mode == "restart" for step, _applies in steps)
            if record.review_state == "rejected" and not restart:
                keep = previous_by_record.get(record.id, keep).filtered(
                    lambda line: line.state in ("approved", "skipped")
                )
            kept = {line.step_id.id: line for line in keep}
            for position, (step, applies) in enumerate(steps, start=1):
                if step.id in kept:
                    kept[step.id].write({"position": position, "submission": submission[record.id]})
                    carried |= kept[step.id]
                    continue
                state = "waiting" if applies else "skipped"
                line_vals.append(record._review_line_vals(step, submission[record.id], position, state))
        return line_vals, carried

    def _review_next_submission(self):
        """{record id: number of the new submission} (one read_group)."""
        counts = dict(
            self.env["crm.review"]
            .sudo()
            ._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["submission:max"],
            )
        )
        return {record.id: (counts.get(record.id) or 0) + 1 for record in self}

    def _review_line_vals(self, step, submission, position, state):
        self.ensure_one()
        return {
            "res_model": self._name,
            "res_id": self.id,
            "rule_id": step.rule_id.id,
            "step_id": step.id,
            "name": step.name,
            "position": position,
            "submission": submission,
            "state": state,
            "approval_mode": step.approval_mode,
            "comment_required": step.comment_required,
            "submitter_id": self.env.uid,
            "company_id": self.company_id.id if "company_id" in self._fields else False,
            "team_id": self.team_id.id if "team_id" in self._fields else False,
            "is_current": True,
        }

    def _review_activate_next(self):
        """Make the first waiting step of each record pending, or approve the record.

        The reviewers are fixed here, when the step becomes pending.
        :return: {record id: sentence telling what happens next}
        """
        lines = self._review_lines(Domain("state", "in", ("waiting", "pending")))
        first = {}
        for line in lines:
            first.setdefault(line.res_id, line)
        done = self.filtered(lambda r: r.id not in first)
        to_activate = (
            self.env["crm.review"].sudo().browse([line.id for line in first.values() if line.state == "waiting"])
        )
        now = fields.Datetime.now()
        messages = {}
        # Lines sharing reviewers and delay are written together: one UPDATE per group.
        groups = defaultdict(lambda: self.env["crm.review"].sudo())
        shared = {}  # (step, submitter) -> reviewers, for steps that do not depend on the record
        for line in to_activate:
            key = (line.step_id.id, line.submitter_id.id)
            if line.step_id and line.step_id.approver_type in ("users", "group") and key in shared:
                reviewers = shared[key]
            else:
                reviewers = shared[key] = self.browse(line.res_id)._review_line_reviewers(line)
            delay = line.rule_id.reminder_after_hours
            groups[(tuple(reviewers.ids), delay)] |= line
            messages[line.res_id] = self.env._(
                "Step %(step)s is waiting for %(reviewers)s.",
                step=line.name,
                reviewers=self._review_users_label(reviewers),
            )
        for (reviewer_ids, delay), group in groups.items():
            group.write(
                {
                    "state": "pending",
                    "pending_since": now,
                    "reviewer_ids": [Command.set(list(reviewer_ids))],
                    "next_reminder_at": now + timedelta(hours=delay) if delay else False,
                }
            )
        to_activate._review_schedule_activities()
        if done:
            done._review_write_state("approved")
            for record in done:
                messages[record.id] = self.env._("The review is complete: approved.")
        return messages

    def _review_line_reviewers(self, line):
        """Reviewers of ``line`` for this record: never the submitter unless the rule allows it."""
        self.ensure_one()
        reviewers = line.step_id._resolve_reviewers(self, line.submitter_id) if line.step_id else line.reviewer_ids
        others = self.env["res.users"] if line.rule_id.allow_self_approval else line.submitter_id
        reviewers -= others
        if not reviewers:
            # Nobody left to ask: the review administrators decide rather than the review stalling.
            admins = self.env.ref("crm_review.group_review_manager").sudo().all_user_ids
            reviewers = admins.filtered(lambda u: not u.share) - others
        if not reviewers:
            raise UserError(
                self.env._(
                    "Nobody can review step %(step)s of %(record)s: set reviewers on the rule.",
                    step=line.name,
                    record=self.sudo().display_name,
                )
            )
        return reviewers

    def action_review_approve(self, comment=None):
        """Approve the current step of the records as the current user."""
        if not self:
            return True
        lines = self._review_decidable_lines()
        missing_comment = lines.filtered(lambda line: line.comment_required and not comment)
        if missing_comment:
            if len(self) == 1 and not self.env.context.get("crm_review_no_wizard"):
                return self._review_open_comment_wizard()
            raise UserError(self.env._("Step %(step)s needs a comment to be approved.", step=missing_comment[0].name))
        now = fields.Datetime.now()
        user = self.env.user
        acting = self._review_me_and_substituted()
        finished = self.env["crm.review"]
        for line in lines:
            values = {}
            if line.approval_mode == "all":
                approvers = line.approved_by_ids | (line.reviewer_ids & acting)
                values["approved_by_ids"] = [Command.set(approvers.ids)]
            if line.approval_mode == "any" or not (line.reviewer_ids - approvers):
                values.update(
                    state="approved",
                    done_by_id=user.id,
                    done_date=now,
                    note=comment or False,
                    duration_hours=line._review_hours_since_pending(now),
                )
                finished |= line
            line.write(values)
        (lines - finished)._review_done_activities(acting, close_others=False)
        finished._review_done_activities(acting, close_others=True)
        self._review_log("approve", lines=lines, notes=dict.fromkeys(self.ids, comment))
        after = self.browse(finished.mapped("res_id"))._review_activate_next()
        bodies = {}
        for line in lines:
            body = Markup("%s <b>%s</b>") % (self.env._("Approved step"), line.name)
            if comment:
                body += Markup("<br/>%s") % comment
            if line.res_id in after:
                body += Markup("<br/>%s") % after[line.res_id]
            bodies[line.res_id] = body
        self._review_post(bodies)
        return True

    def action_review_reject(self):
        """Open the reject wizard (reason, comment, where to send the record back)."""
        self._review_decidable_lines()
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

    def action_review_recall(self):
        """Withdraw a pending submission (submitter or review administrator)."""
        if not self:
            return True
        is_admin = self.env.user.has_group("crm_review.group_review_manager")
        lines = self._review_lines()
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
                        user=submitter.get(record.id, self.env["res.users"]).name,
                        record=record.display_name,
                    )
                )
        lines._review_close()
        self._review_write_state("draft")
        self._review_log("recall")
        self._review_post(dict.fromkeys(self.ids, self.env._("Review recalled: back to draft.")))
        return True

    # ------------------------------------------------------------------
    # Who may decide: the one function that says so
    # ------------------------------------------------------------------

    def _review_acting_for(self, line):
        """Reviewers of ``line`` the current user acts for (themselves or those they substitute)."""
        return line.reviewer_ids & self._review_me_and_substituted()

    def _review_decidable_lines(self):
        """Pending lines of the records that the current user may decide, locked.

        Raises when a record is not under review, the user is not a reviewer of
        its current step, or the user would approve their own submission.
        """
        # Two reviewers at the same moment: the row lock makes the second one
        # wait (or fail) and then see the step already decided.
        lines = self._review_lines(Domain("state", "=", "pending"), lock=True)
        by_record = {line.res_id: line for line in lines}
        for record in self:
            line = by_record.get(record.id)
            if not line:
                raise UserError(
                    self.env._(
                        "%(record)s has no step waiting for a decision (state: %(state)s).",
                        record=record.display_name,
                        state=dict(REVIEW_STATES).get(record.review_state, self.env._("not submitted")),
                    )
                )
            acting_for = self._review_acting_for(line)
            # Only "all" steps collect approvals before they finish.
            already = line.approved_by_ids if line.approval_mode == "all" else self.env["res.users"]
            if not acting_for or not (acting_for - already):
                raise AccessError(
                    self.env._(
                        "You are not a reviewer of step %(step)s of %(record)s (reviewers: %(reviewers)s).",
                        step=line.name,
                        record=record.display_name,
                        reviewers=self._review_users_label(line.reviewer_ids - line.approved_by_ids),
                    )
                )
            if line.submitter_id == self.env.user and not line.rule_id.allow_self_approval:
                raise AccessError(
                    self.env._("You cannot decide on %(record)s: you submitted it.", record=record.display_name)
                )
        return self.env["crm.review"].browse([by_record[record.id].id for record in self]).sudo()

    # ------------------------------------------------------------------
    # Rejection (called by the crm.review.reject wizard)
    # ------------------------------------------------------------------

    def _review_reject(self, reason, note=False, send_back="submitter"):
        """Reject the current step with a reason and send the records back."""
        if not reason or reason.reason_type != "reject":
            raise UserError(self.env._("Choose a rejection reason from the catalog."))
        lines = self._review_decidable_lines()
        now = fields.Datetime.now()
        user = self.env.user
        lines.write(
            {
                "state": "rejected",
                "done_by_id": user.id,
                "done_date": now,
                "reason_id": reason.id,
                "note": note or False,
            }
        )
        for line in lines:
            line.duration_hours = line._review_hours_since_pending(now)
        lines._review_unlink_activities()
        self._review_log("reject", lines=lines, reason=reason, notes=dict.fromkeys(self.ids, note))

        to_previous = self.browse()
        if send_back == "previous":
            chain = self._review_lines()
            for line in lines:
                earlier = chain.filtered(
                    lambda c, line=line: c.res_id == line.res_id
                    and c.position < line.position
                    and c.state == "approved"
                )
                if earlier:
                    previous = earlier.sorted("position")[-1]
                    again = previous | line
                    again.write({"is_current": False})
                    self.env["crm.review"].sudo().create(
                        [
                            dict(
                                self.browse(c.res_id)._review_line_vals(c.step_id, c.submission, c.position, "waiting"),
                                name=c.name,
                                rule_id=c.rule_id.id,
                                submitter_id=c.submitter_id.id,
                                approval_mode=c.approval_mode,
                                comment_required=c.comment_required,
                            )
                            for c in again
                        ]
                    )
                    to_previous |= self.browse(line.res_id)
        to_submitter = self - to_previous
        to_submitter._review_lines(Domain("state", "=", "waiting"))._review_close()
        to_submitter._review_write_state("rejected")
        activated = to_previous._review_activate_next() if to_previous else {}

        guidance = reason.guidance or ""
        bodies = {}
        for line in lines:
            body = Markup("%s <b>%s</b>: %s") % (self.env._("Rejected at step"), line.name, reason.name)
            if note:
                body += Markup("<br/>%s") % note
            if line.res_id in activated:
                body += Markup("<br/>%s %s") % (self.env._("Sent back to the previous step."), activated[line.res_id])
            else:
                body += Markup("<br/>%s") % self.env._("Sent back to the submitter.")
                if guidance:
                    body += Markup("<br/><i>%s</i> %s") % (self.env._("How to fix:"), guidance)
            bodies[line.res_id] = body
        self._review_post(bodies)
        to_submitter._review_schedule_fix_activities(lines, reason, note)
        self._review_check_reject_limit(lines)
        return True

    def _review_close_fix_activities(self):
        """A resubmission answers the "Fix and resubmit" to-dos."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_fix")
        self.env["mail.activity"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids), ("activity_type_id", "=", type_id)]
        ).unlink()

    def _review_schedule_fix_activities(self, lines, reason, note):
        line_of = {line.res_id: line for line in lines}
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_fix")
        body = Markup("<p><b>%s</b></p>") % reason.name
        if reason.guidance:
            body += Markup("<p>%s</p>") % reason.guidance
        if note:
            body += Markup("<p>%s</p>") % note
        self.env["mail.activity"]._review_create(
            [
                {
                    "res_model": self._name,
                    "res_id": record.id,
                    "activity_type_id": activity_type_id,
                    "user_id": line_of[record.id].submitter_id.id,
                    "summary": self.env._("Fix and resubmit"),
                    "note": body,
                }
                for record in self
                if record.id in line_of and line_of[record.id].submitter_id.active
            ]
        )

    def _review_check_reject_limit(self, lines):
        """Escalate records whose rule's rejection limit is reached."""
        limited = lines.filtered(lambda line: line.rule_id.reject_limit)
        if not limited:
            return
        counts = {
            (res_id, rule.id): count
            for res_id, rule, count in self.env["crm.review"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", limited.mapped("res_id")),
                    ("rule_id", "in", limited.rule_id.ids),
                    ("state", "=", "rejected"),
                ],
                ["res_id", "rule_id"],
                ["__count"],
            )
        }
        admins = (
            self.env.ref("crm_review.group_review_manager")
            .sudo()
            .all_user_ids.filtered(lambda u: not u.share and u.id != 1)
        )
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_escalation")
        vals, bodies = [], {}
        escalated = self.browse()
        for line in limited:
            count = counts.get((line.res_id, line.rule_id.id), 0)
            if count < line.rule_id.reject_limit:
                continue
            targets = line.rule_id.escalation_user_id or admins
            record = self.browse(line.res_id)
            escalated |= record
            bodies[record.id] = self.env._(
                "Rejected %(count)s times under rule %(rule)s (limit %(limit)s): escalated to %(users)s.",
                count=count,
                rule=line.rule_id.name,
                limit=line.rule_id.reject_limit,
                users=self._review_users_label(targets),
            )
            vals += [
                {
                    "res_model": self._name,
                    "res_id": record.id,
                    "activity_type_id": activity_type_id,
                    "user_id": target.id,
                    "summary": self.env._("Rejection limit reached"),
                    "note": bodies[record.id],
                }
                for target in targets
            ]
        if escalated:
            self.env["mail.activity"]._review_create(vals)
            escalated._review_log("escalate", notes=bodies)
            escalated._review_post(bodies)

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
            domain = [("res_model", "=", model), ("res_id", "in", ids)]
            self.env["crm.review.log"].sudo().with_context(crm_review_unlink_with_record=True).search(domain).unlink()
            self.env["crm.review"].sudo().search(domain).unlink()
            self.env["mail.activity"].sudo().search(domain).unlink()
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
