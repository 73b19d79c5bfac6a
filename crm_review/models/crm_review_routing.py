from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command, Domain

from .crm_review_mixin import REVIEW_STATUS_FIELDS

# Computed from the review lines, as REVIEW_STATUS_FIELDS: read again after a forward or a revoke.
ROUTING_FIELDS = ["review_can_forward", "review_can_revoke"]


class CrmReview(models.Model):
    """Routing of a step: forward it to someone else, revoke one's own decision.

    Kept apart from the engine (``crm_review.py``), as the reminders are: what routing adds to a line.
    """

    _inherit = "crm.review"  # pylint: disable=consider-merging-classes-inherited

    def action_forward(self):
        """Open the forward dialog of this step (the reviewer's inbox)."""
        self.ensure_one()
        record = self._review_record_of_pending_step()
        action = record._review_open_wizard("crm.review.forward", self.env._("Forward"))
        action["context"]["default_review_id"] = self.id
        return action

    # ------------------------------------------------------------------
    # Forward
    # ------------------------------------------------------------------

    @api.model
    def _review_forward_target(self, user):
        """The user a step is forwarded to, from what a caller sent (an id or a user); refuses anything else."""
        if not user:
            raise UserError(self.env._("Choose who to forward the step to."))
        if isinstance(user, models.BaseModel):
            if user._name != "res.users" or len(user) != 1:
                raise UserError(self.env._("Forward the step to one user."))
            user = user.id
        if not isinstance(user, int) or isinstance(user, bool) or not 0 < user < 2**31:
            raise UserError(self.env._("Forward the step to one user, not %(value)r.", value=user))
        # Only whether the user exists and may review is read here; eligibility is checked per step.
        target = self.env["res.users"].sudo().with_context(active_test=False).browse(user).exists()
        if not target:
            raise UserError(self.env._("User %(id)s does not exist.", id=user))
        return target.with_env(self.env)

    def _review_forward_refusal(self, target, user):
        """Why this pending line may not be forwarded to ``target`` by ``user``, or None."""
        self.ensure_one()
        values = {
            "step": self._review_step_name(),
            "record": self.res_name,
            "user": target.sudo().name,
        }
        spec = self._review_step_spec()
        if spec and not spec.allow_forward:
            return self.env._("Step %(step)s of %(record)s cannot be forwarded: its rule does not allow it.", **values)
        candidate = target.sudo()
        if candidate.share or not candidate.active:
            return self.env._("%(user)s cannot review %(record)s: only active internal users review.", **values)
        if not candidate._review_is_reviewer():
            return self.env._(
                "%(user)s cannot review %(record)s: they do not have the Reviewer access (Sales › Reviews).", **values
            )
        if self.company_id and self.company_id not in candidate.company_ids:
            return self.env._(
                "%(user)s cannot review %(record)s: they are not allowed in its company, %(company)s.",
                company=self.company_id.sudo().name,
                **values,
            )
        if target == user:
            return self.env._("You cannot forward step %(step)s of %(record)s to yourself.", **values)
        rule_info = self.env["crm.review.rule"]._rule_info(self.rule_id.id)
        if target == self.submitter_id and not rule_info.allow_self_approval:
            return self.env._("%(user)s cannot review %(record)s: they submitted it.", **values)
        if target in self._review_waiting_reviewers():
            return self.env._("%(user)s already reviews step %(step)s of %(record)s.", **values)
        if self.approval_mode == "all" and target in (self.approved_by_ids | self.acted_by_ids):
            return self.env._(
                "%(user)s already approved step %(step)s of %(record)s: each reviewer approves once.", **values
            )
        return None

    def _review_forward_keeps(self):
        """The forwarder keeps deciding on this line (its step's option; an 'all' step never)."""
        self.ensure_one()
        spec = self._review_step_spec()
        return self.approval_mode == "any" and bool(spec) and spec.forward_mode == "keep"

    def _review_forward(self, records, acting_for, target, note):
        """Forward these pending lines (of ``records``) to ``target``, as the current user.

        The user decides for ``acting_for[line.id]`` (themselves or as a substitute): that reviewer's
        place goes to ``target`` unless the step lets the forwarder keep deciding (``forward_mode``).
        """
        user = self.env.user
        for line in self:
            refusal = line._review_forward_refusal(target, user)
            if refusal:
                raise UserError(refusal)
        notifier = self.env["crm.review.notifier"]
        by_reviewers = defaultdict(list)
        giving_up = defaultdict(list)
        for line in self:
            reviewer = acting_for[line.id]
            if line._review_forward_keeps():
                reviewers = line.reviewer_ids | target
            else:
                reviewers = (line.reviewer_ids - reviewer) | target
                giving_up[reviewer].append(line.id)
            by_reviewers[tuple(reviewers.ids)].append(line.id)
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        old_todos = self.env["mail.activity"]
        for reviewer, line_ids in giving_up.items():
            old_todos |= self.browse(line_ids)._review_activities(reviewer)
        # One write per set of reviewers (a list forwarded at once writes once).
        for user_ids, line_ids in by_reviewers.items():
            self.browse(line_ids).write({"reviewer_ids": [Command.set(list(user_ids))]})
        assignments = []
        for line in self:
            spec = line._review_step_spec()
            limit = spec.todo_limit if spec else line.step_id.todo_limit
            if not limit or len(line._review_waiting_reviewers()) <= limit:
                assignments.append((line.res_model, line.res_id, target, line))
        forwarder = user.name

        def texts(line, env):
            summary = env._("Review: %(step)s", step=line.with_context(lang=env.lang)._review_step_name())
            body = Markup("<p>%s</p>") % env._("Forwarded to you by %(user)s.", user=forwarder)
            if note:
                body += Markup("<p>%s</p>") % note
            return summary, body

        todos = notifier._assign_todos("review", assignments, texts, handover=old_todos)
        old_todos -= todos
        substitute_for = {line.id: acting_for[line.id].id for line in self if acting_for[line.id] != user}
        self.env["crm.review.log"]._log_lines(
            "forward", self, notes=dict.fromkeys(self.ids, note), to_user=target, substitute_for=substitute_for
        )
        bodies = defaultdict(lambda: Markup())
        for line in self:
            body = Markup("%s <b>%s</b> %s <b>%s</b>") % (
                self.env._("Forwarded step"),
                line._review_step_name(),
                self.env._("to"),
                target.sudo().name,
            )
            if line.id in substitute_for:
                body += Markup(" %s") % self._review_substitute_sentence(acting_for[line.id])
            if line._review_forward_keeps():
                body += Markup("<br/>%s") % self.env._("%(user)s decides too.", user=acting_for[line.id].sudo().name)
            if note:
                body += Markup("<br/>%s") % note
            bodies[line.res_id] += body if not bodies[line.res_id] else Markup("<br/>") + body
        notifier._post(records, dict(bodies))
        if target._review_wants_email():
            todos.filtered(lambda todo: todo.user_id == target).action_notify()
        old_todos.unlink()

    # ------------------------------------------------------------------
    # Revoke one's own decision
    # ------------------------------------------------------------------

    @api.model
    def _review_revocable(self, records, chain):
        """Decisions of the current user on ``records`` that they may still revoke.

        The user's last decision on each record (among ``chain``, its current lines), while the rule
        allows revoking, within its time limit, while no later step was decided and the record can
        still go back under review (an order confirmed since cannot).
        :return: ({record id: the decided line}, {record: (exception class, why not)})
        """
        user = self.env.user
        Rule = self.env["crm.review.rule"]
        now = fields.Datetime.now()
        by_record = chain.grouped("res_id")
        is_reviewer = user._review_is_reviewer()
        allowed, refused = {}, {}
        for record in records:
            lines = by_record.get(record.id, chain.browse())
            mine = lines.filtered(lambda line: line.state in ("approved", "rejected") and line.done_by_id == user)
            if not mine:
                refused[record] = (
                    UserError,
                    self.env._("You have no decision on %(record)s that can be revoked.", record=record.display_name),
                )
                continue
            line = max(mine, key=lambda line: (line.done_date or now, line.id))
            values = {"step": line._review_step_name(), "record": record.display_name}
            info = Rule._rule_info(line.rule_id.id)
            later = lines.filtered(
                lambda other, line=line: other.position > line.position
                and (other.state in ("approved", "rejected") or other.approved_by_ids)
            )
            if not is_reviewer:
                refused[record] = (
                    AccessError,
                    self.env._(
                        "You cannot revoke your decision on %(record)s: you no longer have the Reviewer access.",
                        **values,
                    ),
                )
            elif not info.allow_revoke:
                refused[record] = (
                    UserError,
                    self.env._(
                        "Your decision on step %(step)s of %(record)s cannot be revoked: its rule does not allow it.",
                        **values,
                    ),
                )
            elif info.revoke_hours and line.done_date and line.done_date + timedelta(hours=info.revoke_hours) < now:
                refused[record] = (
                    UserError,
                    self.env._(
                        "Your decision on step %(step)s of %(record)s can no longer be revoked: decisions may be "
                        "revoked within %(hours)s hours.",
                        hours=info.revoke_hours,
                        **values,
                    ),
                )
            elif later:
                refused[record] = (
                    UserError,
                    self.env._(
                        "Your decision on step %(step)s of %(record)s can no longer be revoked: step %(next)s was "
                        "decided since.",
                        next=later[0]._review_step_name(),
                        **values,
                    ),
                )
            elif line.state == "rejected" and record.review_state != "rejected":
                refused[record] = (UserError, line._review_no_longer_pending_text())
            elif line.state == "approved" and record.review_state not in ("pending", "approved"):
                # A step reviewed in parallel rejected the record since (or it was recalled).
                refused[record] = (UserError, line._review_no_longer_pending_text())
            elif record.review_state == "approved" and not record._review_resettable():
                refused[record] = (
                    UserError,
                    self.env._(
                        "The approval of %(record)s cannot be revoked: the record went ahead since (an order "
                        "confirmed, for instance). Cancel it first.",
                        **values,
                    ),
                )
            else:
                allowed[record.id] = line
        return allowed, refused

    def _review_revoke(self, records, chain, note):
        """Revoke these decided lines (one per record of ``records``): each step waits for a decision again.

        An approval sends the step it opened back to waiting (its to-dos go back to the step revoked);
        a rejection brings back the steps it cancelled and takes the fix-and-resubmit to-do away.
        The decision stays in the audit trail, with a row saying it was revoked.
        """
        user = self.env.user
        now = fields.Datetime.now()
        notifier = self.env["crm.review.notifier"]
        position = {line.res_id: line.position for line in self}
        approved = self.filtered(lambda line: line.state == "approved")
        rejected = self - approved
        reopened = chain.filtered(
            lambda line: line.res_id in position and line.position > position[line.res_id] and line.state == "pending"
        )
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        old_todos = reopened._review_activities() | notifier._find_todos(
            records._name, set(rejected.mapped("res_id")), ["fix"]
        )
        cancelled = self.browse()
        if rejected:
            # The waiting steps the rejection cancelled: of the same submission, after the rejected step.
            submission = {line.res_id: line.submission for line in rejected}
            cancelled = self.sudo().search(
                [
                    ("res_model", "=", records._name),
                    ("res_id", "in", list(submission)),
                    ("submission", "in", list(set(submission.values()))),
                    ("state", "=", "cancelled"),
                    ("is_current", "=", False),
                ]
            )
            # Steps reviewed in parallel with the rejected one (the same position) were stopped with it.
            cancelled = cancelled.filtered(
                lambda line: line.submission == submission[line.res_id] and line.position >= position[line.res_id]
            )
        stopped = cancelled.filtered(lambda line: line.position == position[line.res_id])
        cancelled -= stopped
        # On an "all" step only the revoking user's own approval goes (the others' stay).
        undo = self._review_revoked_approvals(approved.filtered(lambda line: line.approval_mode == "all"))
        (reopened | cancelled)._review_write_step("waiting", pending_since=False)
        for line in self | stopped:
            vals = {}
            if line.id in undo:
                vals = {
                    "approved_by_ids": [Command.unlink(undo[line.id].id)],
                    "acted_by_ids": [Command.unlink(user.id)],
                }
            vals.update(self._review_pending_values(line.rule_id.id, now))
            line._review_write_step(vals.pop("state"), **vals)
        records.filtered(lambda record: record.review_state != "pending")._review_write_state("pending")
        handed = (self | stopped)._review_schedule_activities(handover=old_todos)
        old_todos -= handed
        labels = {
            "approved": self.env._("Approval revoked."),
            "rejected": self.env._("Rejection revoked."),
        }
        notes = {}
        for line in self:
            notes[line.id] = labels["approved" if line in approved else "rejected"] + (f" {note}" if note else "")
        self.env["crm.review.log"]._log_lines("revoke", self, notes=notes)
        bodies = {}
        for line in self:
            text = (
                self.env._("Revoked the approval of step")
                if line in approved
                else self.env._("Revoked the rejection of step")
            )
            body = Markup("%s <b>%s</b>") % (text, line._review_step_name())
            if note:
                body += Markup("<br/>%s") % note
            body += Markup("<br/>%s") % line._review_waiting_sentence()
            bodies[line.res_id] = body
        notifier._post(records, bodies)
        old_todos.unlink()

    def _review_revoked_approvals(self, lines):
        """{line id: the reviewer the user approved for} of approved "all" lines (from the audit trail)."""
        if not lines:
            return {}
        user = self.env.user
        rows = (
            self.env["crm.review.log"]
            .sudo()
            .search_fetch(
                Domain("review_id", "in", lines.ids)
                & Domain("action", "=", "approve")
                & Domain("user_id", "=", user.id),
                ["review_id", "substitute_for_id"],
                order="id desc",
            )
        )
        result = {}
        for row in rows:
            result.setdefault(row.review_id.id, row.substitute_for_id or user)
        for line in lines:
            result.setdefault(line.id, user)
        return result

    # ------------------------------------------------------------------
    # Replace a reviewer everywhere (a review administrator)
    # ------------------------------------------------------------------

    @api.model
    def _review_reassign_check(self, old, new):
        """Refuse replacing ``old`` by ``new`` as a whole (who may, who by): a clear error, or nothing."""
        if not self.env.user.has_group("crm_review.group_review_manager"):
            raise AccessError(self.env._("Only review administrators can replace a reviewer."))
        if not old or not new:
            raise UserError(self.env._("Choose the reviewer to replace and who replaces them."))
        if old == new:
            raise UserError(self.env._("Choose someone else than %(user)s to replace them.", user=old.sudo().name))
        candidate = new.sudo()
        if candidate.share or not candidate.active or not candidate._review_is_reviewer():
            raise UserError(
                self.env._(
                    "%(user)s cannot review: only active internal users with the Reviewer access review.",
                    user=candidate.name,
                )
            )

    @api.model
    def _review_reassign_candidates(self, old):
        """Open steps (pending or waiting) that ``old`` reviews, among those the user may read."""
        return self.search(
            [("is_current", "=", True), ("state", "in", ["pending", "waiting"]), ("reviewer_ids", "in", old.ids)],
            order="res_model, res_id, position, id",
        )

    def _review_reassign_plan(self, old, new):
        """Which of these open steps ``new`` can take over from ``old``: (lines, {line: why not})."""
        refused = {}
        candidate = new.sudo()
        Rule = self.env["crm.review.rule"]
        for line in self.sudo():
            values = {"user": candidate.name, "old": old.sudo().name}
            if line.company_id and line.company_id not in candidate.company_ids:
                refused[line] = self.env._(
                    "%(user)s is not allowed in %(company)s.", company=line.company_id.name, **values
                )
            elif line.submitter_id == new and not Rule._rule_info(line.rule_id.id).allow_self_approval:
                refused[line] = self.env._("%(user)s submitted the record.", **values)
            elif line.approval_mode == "all" and old in line.approved_by_ids:
                refused[line] = self.env._("%(old)s approved the step already: the approval stands.", **values)
            elif line.approval_mode == "all" and new in (line.approved_by_ids | line.acted_by_ids):
                refused[line] = self.env._("%(user)s approved the step already.", **values)
        return self.sudo() - self.browse([line.id for line in refused]).sudo(), refused

    @api.model
    def _review_reassign_steps(self, old, new):
        """Rule steps naming ``old`` (that the user may read): (steps to change, {step: why not})."""
        steps = self.env["crm.review.step"].search([("approver_type", "=", "users"), ("user_ids", "in", old.ids)])
        refused = {}
        for step in steps:
            company = step.rule_id.company_id
            if company and company not in new.sudo().company_ids:
                refused[step] = self.env._(
                    "%(user)s is not allowed in %(company)s.", user=new.sudo().name, company=company.name
                )
        return steps - steps.browse([step.id for step in refused]), refused

    @api.model
    def _review_reassign(self, old, new, note=False, steps_too=False):
        """Replace reviewer ``old`` by ``new`` on every open step the user may read (and the rules' steps).

        :return: (lines replaced, rule steps changed)
        """
        self._review_reassign_check(old, new)
        note = self._review_check_text(note, self.env._("The comment"))
        found = self._review_reassign_candidates(old)
        # Under the lock of the records' lines, as a decision: read again as committed.
        locked = self.sudo().browse()
        for model_name, lines in found.grouped("res_model").items():
            locked |= self._review_lines_of(self.env[model_name].browse(set(lines.mapped("res_id"))), lock=True)
        lines = locked.filtered(lambda line: line.id in set(found.ids) and line.state in ("pending", "waiting"))
        lines = lines.filtered(lambda line: old in line.reviewer_ids)
        lines, _refused = lines.with_env(self.env)._review_reassign_plan(old, new)
        pending = lines.filtered(lambda line: line.state == "pending")
        # Found now, removed last: an unlink empties the ORM cache, and the steps are read again otherwise.
        old_todos = pending._review_activities(old)
        # Where the new reviewer reviews already, the old one only leaves (their to-do goes, no second one).
        reviewing = {line.id for line in pending if new in line.reviewer_ids}
        by_reviewers = defaultdict(list)
        for line in lines:
            by_reviewers[tuple(((line.reviewer_ids - old) | new).ids)].append(line.id)
        for user_ids, line_ids in by_reviewers.items():
            self.sudo().browse(line_ids).write({"reviewer_ids": [Command.set(list(user_ids))]})
        assignments = []
        for line in pending.filtered(lambda line: line.id not in reviewing):
            spec = line._review_step_spec()
            limit = spec.todo_limit if spec else line.step_id.todo_limit
            if not limit or len(line._review_waiting_reviewers()) <= limit:
                assignments.append((line.res_model, line.res_id, new, line))

        def texts(line, env):
            return env._("Review: %(step)s", step=line.with_context(lang=env.lang)._review_step_name()), False

        handed = self.env["crm.review.notifier"]._assign_todos("review", assignments, texts, handover=old_todos)
        old_todos -= handed
        replaced = self.env._("Replaces %(user)s.", user=old.sudo().name)
        self.env["crm.review.log"]._log_lines(
            "reassign", lines, notes=dict.fromkeys(lines.ids, f"{replaced} {note}" if note else replaced), to_user=new
        )
        for model_name, model_lines in lines.grouped("res_model").items():
            bodies = defaultdict(list)
            for line in model_lines:
                bodies[line.res_id].append(
                    Markup("%s <b>%s</b>: %s → <b>%s</b>")
                    % (
                        self.env._("Reviewer replaced on step"),
                        line._review_step_name(),
                        old.sudo().name,
                        new.sudo().name,
                    )
                )
            records = self.env[model_name].browse(list(bodies))
            self.env["crm.review.notifier"]._post(
                records,
                {
                    res_id: Markup("<br/>").join(texts) + (Markup("<br/>%s") % note if note else "")
                    for res_id, texts in bodies.items()
                },
            )
        steps = self.env["crm.review.step"]
        if steps_too:
            steps, _refused_steps = self._review_reassign_steps(old, new)
            steps.write({"user_ids": [Command.unlink(old.id), Command.link(new.id)]})
        old_todos.unlink()
        return lines, steps


class CrmReviewMixin(models.AbstractModel):
    _inherit = "crm.review.mixin"

    review_can_forward = fields.Boolean(compute="_compute_review_routing")
    review_can_revoke = fields.Boolean(compute="_compute_review_routing")

    @api.depends("review_state")
    @api.depends_context("uid")
    def _compute_review_routing(self):
        self.review_can_forward = self.review_can_revoke = False
        in_review = self.filtered("review_state")
        if not in_review.ids:
            return
        Review = self.env["crm.review"]
        chain = in_review._review_lines()
        # Who may forward is who may decide now: the decision policy says it.
        allowed, _refused = Review._review_decision_policy(in_review, chain)
        revocable, _refused = Review._review_revocable(in_review, chain)
        for record in in_review:
            entry = allowed.get(record.id)
            spec = entry[0]._review_step_spec() if entry else None
            record.review_can_forward = bool(entry) and (spec.allow_forward if spec else True)
            record.review_can_revoke = record.id in revocable

    def action_review_forward(self, user_id=None, comment=None):
        """Forward the current step to ``user_id`` with a comment; without a user, open the forward dialog."""
        if not self:
            return True
        if user_id is None:
            return self._review_open_wizard("crm.review.forward", self.env._("Forward"))
        self._review_forward(user_id, comment)
        return True

    def _review_forward(self, user, note=False, review_ids=None):
        """Forward the current step of the records (or only the steps ``review_ids``) to ``user``.

        Only who may decide the step now may forward it (``crm.review._review_decidable``).
        """
        Review = self.env["crm.review"]
        Review._review_check_ids(self)
        note = Review._review_check_text(note, self.env._("The comment"))
        target = Review._review_forward_target(user)
        chain = self._review_lines(lock=True)
        Review._review_check_exist(self, chain)
        lines, acting_for = Review._review_decidable(self, chain)
        if review_ids:
            wanted = chain.filtered(lambda line: line.id in set(review_ids))
            missing = wanted - lines
            if missing or len(wanted) != len(set(review_ids)):
                step = missing[:1] or lines.browse()
                raise UserError(
                    step._review_no_longer_pending_text()
                    if step
                    else self.env._("The step to forward is no longer one of the current review.")
                )
            lines = wanted
        lines._review_forward(self, acting_for, target, note or False)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS + ROUTING_FIELDS)
        return True

    def action_review_revoke(self, comment=None):
        """Withdraw the current user's own last decision on the records: the step waits for a decision again."""
        if not self:
            return True
        Review = self.env["crm.review"]
        Review._review_check_ids(self)
        comment = Review._review_check_text(comment, self.env._("The comment"))
        if not self.env.user._review_is_reviewer():
            raise AccessError(
                self.env._("You cannot revoke a review decision: you no longer have the Reviewer access.")
            )
        chain = self._review_lines(lock=True)
        Review._review_check_exist(self, chain)
        self._review_check_may("decide")
        allowed, refused = Review._review_revocable(self, chain)
        for error, message in refused.values():
            raise error(message)
        lines = Review.sudo().browse([allowed[record.id].id for record in self])
        lines._review_revoke(self, chain, comment or False)
        self.invalidate_recordset(REVIEW_STATUS_FIELDS + ROUTING_FIELDS)
        return True
