from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL, clean_context
from odoo.tools.mail import formataddr, generate_tracking_message_id

from .crm_review_rule import IN_MEMORY_MATCH

# Columns of crm.review read with the lines (their reviewers come along in the same query).
LINE_FIELDS = (
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
)


class UserInfo(NamedTuple):
    """What the engine needs of a user for labels, to-dos and messages."""

    name: str
    tz: str
    partner_id: int
    email: str
    usable: bool  # active internal user
    active: bool


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

    def _review_lines(self, lock=False, users_info=None):
        """Current review lines of the records with their reviewers, in one query.

        With ``users_info`` (a dict), the UserInfo of the lines' reviewers and
        submitters and of the current user come along in the same query.
        With ``lock``, the lines are locked for update and read in the same
        statement: the values are the ones committed by whoever held the lock
        before us (two reviewers deciding at the same moment: the second one
        waits, then sees the step decided).
        """
        # Inactive reviewers are left out by the query: no need to filter them again on each access.
        Review = self.env["crm.review"].sudo().with_context(active_test=False)
        if not self.ids:
            return Review
        Review.flush_model()
        self._review_flush_users()
        users = SQL()
        if users_info is not None:
            users = SQL(
                ", (SELECT json_agg(json_build_array(u.id, p.name, p.tz, p.id, p.email, u.active AND NOT u.share,"
                " u.active)) FROM res_users u JOIN res_partner p ON p.id = u.partner_id WHERE u.id = ANY("
                " ARRAY(SELECT rel.user_id FROM crm_review_reviewer_rel rel WHERE rel.review_id = r.id)"
                " || ARRAY[%s, r.submitter_id]))",
                self.env.uid,
            )
        rows = self.env.execute_query(
            SQL(
                "SELECT r.id, %s,"
                " ARRAY(SELECT rel.user_id FROM crm_review_reviewer_rel rel JOIN res_users u ON u.id = rel.user_id"
                " WHERE rel.review_id = r.id AND u.active ORDER BY rel.user_id),"
                " ARRAY(SELECT rel.user_id FROM crm_review_approved_by_rel rel WHERE rel.review_id = r.id"
                " ORDER BY rel.user_id)%s"
                " FROM crm_review r WHERE r.res_model = %s AND r.res_id IN %s AND r.is_current"
                " ORDER BY r.position, r.id%s",
                SQL(", ").join(SQL.identifier("r", name) for name in LINE_FIELDS),
                users,
                self._name,
                tuple(self.ids),
                SQL(" FOR UPDATE OF r") if lock else SQL(),
            )
        )
        if users_info is not None:
            users_info.update(self._review_remember_users({tuple(user) for row in rows for user in row[-1] or ()}))
            rows = [row[:-1] for row in rows]
        lines = Review.browse([row[0] for row in rows])
        if lock:
            lines.invalidate_recordset()
        columns = list(zip(*rows, strict=True)) if rows else []
        fields_ = [Review._fields[name] for name in (*LINE_FIELDS, "reviewer_ids", "approved_by_ids")]
        for index, field in enumerate(fields_, 1):
            values = columns[index] if columns else ()
            if field.type == "many2many":
                values = [tuple(ids) for ids in values]
            field._insert_cache(lines, values)
        return lines

    @api.depends("review_state")
    @api.depends_context("uid")
    def _compute_review_status(self):
        user = self.env.user
        in_review = self.filtered(lambda r: r.review_state in ("pending", "approved", "rejected"))
        # A form (or a few records) shows the reviewers' names next: read them with the lines.
        users_info = {} if len(in_review) <= IN_MEMORY_MATCH else None
        lines = in_review._review_lines(users_info=users_info) if in_review.ids else self.env["crm.review"]
        by_record = defaultdict(list)
        for line in lines:
            by_record[line.res_id].append(line)
        substituted = user._review_substituted_users()
        for record in self:
            chain = by_record.get(record.id, [])
            pending = [line for line in chain if line.state == "pending"]
            reviewers = self.env["res.users"].union(*[line.reviewer_ids for line in pending])
            record.review_reviewer_ids = reviewers
            record.review_reviewers_label = bool(pending) and self._review_users_label(reviewers, users_info)
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

    def _review_post(self, bodies, author=None):
        """One internal note per record (never shown to customers, no email, no notification).

        :param author: UserInfo of the current user, when already read
        """
        if not bodies:
            return
        if author is None:
            author = self._review_users_info([self.env.uid])[self.env.uid]
        base = {
            "author_id": author.partner_id,
            "email_from": formataddr((author.name, author.email)) if author.email else False,
            "model": self._name,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "email_add_signature": False,
            # An internal note is never emailed: no reply address to work out.
            "reply_to": False,
            "record_alias_domain_id": False,
            "record_company_id": False,
        }
        # The values are complete and clean: created as mail.thread's _message_create would, without its checks.
        self.env["mail.message"].sudo().with_context(clean_context(self.env.context)).create(
            [
                dict(
                    base,
                    res_id=record_id,
                    body=escape(body),
                    message_id=generate_tracking_message_id("message-notify"),
                )
                for record_id, body in bodies.items()
            ]
        )

    def _review_log(self, action, lines=None, reason=None, notes=None, names=None):
        """Append audit-trail rows, one per record (or per line when given).

        :param names: {record id: display name}, when already known (saves reading the records)
        """
        Log = self.env["crm.review.log"].sudo()
        line_of = {line.res_id: line for line in (lines or [])}
        notes = notes or {}
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
                )
            )
        Log.create(vals_list)

    def _review_users_info(self, user_ids):
        """{user id: UserInfo} in one query (names, time zones and partners of reviewers and authors)."""
        return self._review_users_and_members(user_ids, ())[0]

    def _review_users_and_members(self, user_ids, group_ids):
        """({user id: UserInfo}, {group id: member ids}) in one query.

        The members of a group include those of the groups implying it; they
        come with their UserInfo, as do the users of ``user_ids``.
        """
        user_ids = tuple({uid for uid in user_ids if uid}) or (0,)
        closure = {}
        if group_ids:
            definitions = self.env["res.groups"]._get_group_definitions()
            closure = {gid: {gid, *definitions.get_subset_ids([gid])} for gid in group_ids}
        all_gids = tuple({gid for gids in closure.values() for gid in gids}) or (0,)
        if user_ids == (0,) and all_gids == (0,):
            return {}, {}
        self._review_flush_users()
        self.env["res.users"].flush_model(["group_ids"])
        rows = self.env.execute_query(
            SQL(
                "SELECT u.id, p.name, p.tz, p.id, p.email, u.active AND NOT u.share, u.active,"
                " ARRAY(SELECT r.gid FROM res_groups_users_rel r WHERE r.uid = u.id AND r.gid IN %s)"
                " FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
                " WHERE u.id IN %s OR u.id IN (SELECT r.uid FROM res_groups_users_rel r WHERE r.gid IN %s)",
                all_gids,
                user_ids,
                all_gids,
            )
        )
        info = self._review_remember_users([row[:-1] for row in rows])
        members = {gid: {row[0] for row in rows if row[5] and gids & set(row[-1])} for gid, gids in closure.items()}
        return info, members

    def _review_flush_users(self):
        self.env["res.users"].flush_model(["active", "share", "partner_id"])
        self.env["res.partner"].flush_model(["name", "tz", "email"])

    def _review_remember_users(self, rows):
        """{user id: UserInfo} from rows (id, name, tz, partner id, email, usable, active).

        The names and time zones are also handed to the ORM cache, so that the
        to-dos created next and the reviewers' names shown next are not read again.
        """
        info = {row[0]: UserInfo(*row[1:]) for row in rows}
        if info:
            users = self.env["res.users"].browse(list(info))
            users._fields["name"]._insert_cache(users, [user.name for user in info.values()])
            users._fields["tz"]._insert_cache(users, [user.tz or False for user in info.values()])
            users._fields["partner_id"]._insert_cache(users, [user.partner_id for user in info.values()])
            users._fields["active"]._insert_cache(users, [user.active for user in info.values()])
        return info

    def _review_users_label(self, users, users_info=None):
        """Names of ``users`` (a recordset), sorted; from ``users_info`` when it has them all."""
        if users_info is not None and all(uid in users_info for uid in users.ids):
            names = sorted(users_info[uid].name for uid in users.ids)
        else:
            names = sorted(users.mapped("name"))
        return ", ".join(names) or self.env._("nobody")

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
        # Access check and the values rules and messages read, in one query.
        self.fetch(None)
        if not self.env.user.has_group("crm_review.group_review_submitter"):
            raise AccessError(self.env._("Only review submitters can submit records for review."))
        for record in self:
            if record.review_state == "pending":
                raise UserError(self.env._("%(record)s is already under review.", record=record.display_name))
        names = {record.id: record.display_name for record in self}
        steps_by_record = self._review_plan_steps()
        reviewed_before = self.filtered("review_state")
        previous = reviewed_before._review_lines() if reviewed_before else self.env["crm.review"].sudo()
        line_vals, carried, users_info = self._review_prepare_lines(steps_by_record, previous, names)
        (previous - carried)._review_close()
        new_lines = self.env["crm.review"].sudo().create(line_vals)
        open_ids = set(new_lines.filtered(lambda line: line.state == "pending").mapped("res_id"))
        rejected = reviewed_before.filtered(lambda r: r.review_state == "rejected")
        self.filtered(lambda r: r.id in open_ids)._review_write_state("pending")
        done = self.filtered(lambda r: r.id not in open_ids)
        done._review_write_state("approved")
        rejected._review_close_fix_activities()
        self._review_log("submit", names=names)
        skipped = new_lines.filtered(lambda line: line.state == "skipped")
        if skipped:
            self.browse(skipped.mapped("res_id"))._review_log("skip", lines=skipped, names=names)
        pending = new_lines.filtered(lambda line: line.state == "pending")
        pending._review_schedule_activities()
        next_step = {line.res_id: self._review_waiting_sentence(line, users_info) for line in pending}
        self._review_post(
            {
                record.id: Markup("%s<br/>%s")
                % (
                    self.env._("Submitted for review."),
                    next_step.get(record.id) or self.env._("The review is complete: approved."),
                )
                for record in self
            },
            author=users_info[self.env.uid],
        )
        return True

    def _review_waiting_sentence(self, line, users_info):
        return self.env._(
            "Step %(step)s is waiting for %(reviewers)s.",
            step=line.name,
            reviewers=self._review_users_label(line.reviewer_ids, users_info),
        )

    def _review_plan_steps(self):
        """{record id: [(StepSpec, applies)]} in review order; refuses records no rule applies to."""
        Rule = self.env["crm.review.rule"]
        Step = self.env["crm.review.step"]
        rules = Rule._rules_for(self.browse(self.ids))
        specs = Rule._step_specs([rule.id for rule in rules])
        steps_by_record = defaultdict(list)
        for rule, records in rules.items():
            for spec in specs[rule.id]:
                applies = set(Step._spec_applies_to(spec, records).ids)
                for record_id in records.ids:
                    steps_by_record[record_id].append((spec, record_id in applies))
        nothing = self.filtered(lambda r: not steps_by_record.get(r.id))
        if nothing:
            raise UserError(
                self.env._(
                    "No review rule applies to %(records)s: there is nothing to submit.",
                    records=", ".join(nothing.mapped("display_name")),
                )
            )
        for steps in steps_by_record.values():
            steps.sort(key=lambda item: item[0].order)
        return steps_by_record

    def _review_prepare_lines(self, steps_by_record, previous, names):
        """Values of the new review lines, the earlier approvals carried over, and the reviewers' UserInfo.

        The reviewers of every step are fixed at submission, so the whole route
        is known from the start. A resubmission after a rejection keeps the
        approved steps (continue mode) unless one of the rules asks to restart
        from the first step. The first step left to decide is pending at once.
        """
        Rule = self.env["crm.review.rule"]
        previous_by_record = previous.grouped("res_id")
        submission = self._review_next_submission()
        reviewers, users_info = self._review_plan_reviewers(steps_by_record)
        now = fields.Datetime.now()
        line_vals = []
        carried = self.env["crm.review"].sudo()
        for record in self:
            steps = steps_by_record[record.id]
            keep = self.env["crm.review"].sudo()
            restart = any(Rule._rule_info(spec.rule_id).resubmit_mode == "restart" for spec, _applies in steps)
            if record.review_state == "rejected" and not restart:
                keep = previous_by_record.get(record.id, keep).filtered(
                    lambda line: line.state in ("approved", "skipped")
                )
            kept = {line.step_id.id: line for line in keep}
            opened = False
            for position, (spec, applies) in enumerate(steps, start=1):
                if spec.id in kept:
                    kept[spec.id].write({"position": position, "submission": submission[record.id]})
                    carried |= kept[spec.id]
                    continue
                vals = record._review_line_vals(spec, submission[record.id], position, names[record.id])
                if not applies:
                    vals["state"] = "skipped"
                    line_vals.append(vals)
                    continue
                user_ids = [
                    uid for uid in reviewers[record.id, spec.id] if uid in users_info and users_info[uid].usable
                ]
                vals["reviewer_ids"] = [Command.set(record._review_without_submitter(user_ids, spec, users_info))]
                if not opened:
                    opened = True
                    vals.update(self._review_pending_values(spec.rule_id, now))
                line_vals.append(vals)
        return line_vals, carried, users_info

    def _review_plan_reviewers(self, steps_by_record):
        """Reviewers of the applying steps and their UserInfo.

        Users and groups of every step are read in one query; steps naming a
        user field or the manager are resolved per record.
        :return: ({(record id, step id): reviewer ids}, {user id: UserInfo})
        """
        Step = self.env["crm.review.step"]
        specs = {spec.id: spec for steps in steps_by_record.values() for spec, applies in steps if applies}
        by_record = {}
        for record in self:
            for spec, applies in steps_by_record[record.id]:
                if applies and spec.approver_type in ("field", "manager"):
                    by_record[record.id, spec.id] = tuple(Step._spec_reviewers(spec, record, self.env.user).ids)
        user_ids = {self.env.uid, *(uid for ids in by_record.values() for uid in ids)}
        user_ids.update(uid for spec in specs.values() if spec.approver_type == "users" for uid in spec.user_ids)
        group_ids = {spec.group_id for spec in specs.values() if spec.approver_type == "group"}
        users_info, members = self._review_users_and_members(user_ids, group_ids)
        result = {}
        for record in self:
            for spec, applies in steps_by_record[record.id]:
                if not applies:
                    continue
                if spec.approver_type == "users":
                    result[record.id, spec.id] = spec.user_ids
                elif spec.approver_type == "group":
                    result[record.id, spec.id] = tuple(sorted(members.get(spec.group_id, ())))
                else:
                    result[record.id, spec.id] = by_record[record.id, spec.id]
        return result, users_info

    def _review_without_submitter(self, user_ids, spec, users_info):
        """Reviewers of a step: never the submitter unless the rule allows it.

        Nobody left to ask: the review administrators decide rather than the
        review stalling; nobody at all is an error naming the step.
        """
        self.ensure_one()
        if not self.env["crm.review.rule"]._rule_info(spec.rule_id).allow_self_approval:
            user_ids = [uid for uid in user_ids if uid != self.env.uid]
        if not user_ids:
            admins = self.env.ref("crm_review.group_review_manager").sudo().all_user_ids
            admins = admins.filtered(lambda u: u.active and not u.share and u.id != self.env.uid)
            users_info.update(self._review_users_info(admins.ids))
            user_ids = admins.ids
        if not user_ids:
            raise UserError(
                self.env._(
                    "Nobody can review step %(step)s of %(record)s: set reviewers on the rule.",
                    step=spec.name,
                    record=self.sudo().display_name,
                )
            )
        return user_ids

    def _review_pending_values(self, rule_id, now):
        delay = self.env["crm.review.rule"]._rule_info(rule_id).reminder_after_hours
        return {
            "state": "pending",
            "pending_since": now,
            "next_reminder_at": now + timedelta(hours=delay) if delay else False,
        }

    def _review_next_submission(self):
        """{record id: number of the new submission} (one read_group for records reviewed before)."""
        reviewed = self.filtered("review_state")
        counts = {}
        if reviewed:
            counts = dict(
                self.env["crm.review"]
                .sudo()
                ._read_group(
                    [("res_model", "=", self._name), ("res_id", "in", reviewed.ids)],
                    ["res_id"],
                    ["submission:max"],
                )
            )
        return {record.id: (counts.get(record.id) or 0) + 1 for record in self}

    def _review_line_vals(self, spec, submission, position, res_name):
        self.ensure_one()
        return {
            "res_model": self._name,
            "res_id": self.id,
            "res_name": res_name,
            "rule_id": spec.rule_id,
            "step_id": spec.id,
            "name": spec.name,
            "position": position,
            "submission": submission,
            "state": "waiting",
            "approval_mode": spec.approval_mode,
            "comment_required": spec.comment_required,
            "submitter_id": self.env.uid,
            "company_id": self.company_id.id if "company_id" in self._fields else False,
            "team_id": self.team_id.id if "team_id" in self._fields else False,
            "is_current": True,
        }

    @api.model
    def _review_write_step(self, line, state, **values):
        """Write a line changing state, always on the same columns.

        The ORM groups the rows of an UPDATE by the columns that changed: the
        columns a value leaves unchanged are marked changed too, so that the
        lines decided and activated in one call are written by one UPDATE.
        """
        vals = {
            "state": state,
            "is_current": line.is_current,
            "pending_since": line.pending_since,
            "next_reminder_at": False,
            "done_by_id": False,
            "done_date": False,
            "note": False,
            "reason_id": False,
            "duration_hours": 0.0,
        }
        vals.update(values)
        line.write(vals)
        for fname in vals:
            field = line._fields[fname]
            field._update_cache(line, field._get_cache(line.env)[line.id], dirty=True)

    def _review_activate_next(self, chain=None, users_info=None):
        """Make the first waiting step of each record pending, or approve the record.

        :param chain: current lines of the records, when already read
        :param users_info: {user id: UserInfo} already read (completed here)
        :return: ({record id: sentence telling what happens next}, {user id: UserInfo})
        """
        users_info = {} if users_info is None else users_info
        if chain is None:
            chain = self._review_lines(users_info=users_info)
        ids = set(self.ids)
        first = {}
        for line in chain:
            if line.res_id in ids and line.state in ("waiting", "pending"):
                first.setdefault(line.res_id, line)
        to_activate = (
            self.env["crm.review"].sudo().browse([line.id for line in first.values() if line.state == "waiting"])
        )
        no_reviewer = to_activate.filtered(lambda line: not line.reviewer_ids)
        if no_reviewer:
            # Every reviewer fixed at submission has been archived since.
            admins = self.env.ref("crm_review.group_review_manager").sudo().all_user_ids
            no_reviewer.write({"reviewer_ids": [Command.set(admins.filtered(lambda u: not u.share).ids)]})
        users_info.update(self._review_users_info({self.env.uid, *to_activate.reviewer_ids.ids} - set(users_info)))
        now = fields.Datetime.now()
        messages = {}
        for line in to_activate:
            self._review_write_step(line, **self._review_pending_values(line.rule_id.id, now))
            messages[line.res_id] = self._review_waiting_sentence(line, users_info)
        to_activate._review_schedule_activities()
        done = self.filtered(lambda r: r.id not in first)
        if done:
            done._review_write_state("approved")
            for record in done:
                messages[record.id] = self.env._("The review is complete: approved.")
        return messages, users_info

    def action_review_approve(self, comment=None):
        """Approve the current step of the records as the current user."""
        if not self:
            return True
        users_info = {}
        chain = self._review_lines(lock=True, users_info=users_info)
        lines = self._review_decidable_lines(chain)
        missing_comment = lines.filtered(lambda line: line.comment_required and not comment)
        if missing_comment:
            if len(self) == 1 and not self.env.context.get("crm_review_no_wizard"):
                return self._review_open_comment_wizard()
            raise UserError(self.env._("Step %(step)s needs a comment to be approved.", step=missing_comment[0].name))
        now = fields.Datetime.now()
        acting = self._review_me_and_substituted()
        finished = self.env["crm.review"].sudo()
        for line in lines:
            if line.approval_mode == "all":
                approvers = line.approved_by_ids | (line.reviewer_ids & acting)
                line.write({"approved_by_ids": [Command.set(approvers.ids)]})
                if line.reviewer_ids - approvers:
                    continue
            self._review_write_step(
                line,
                "approved",
                done_by_id=self.env.uid,
                done_date=now,
                note=comment or False,
                duration_hours=line._review_hours_since_pending(now),
            )
            finished |= line
        (lines - finished)._review_remove_activities(acting)
        finished._review_remove_activities()
        after, users_info = self.browse(finished.mapped("res_id"))._review_activate_next(chain, users_info)
        names = {line.res_id: line.res_name for line in lines}
        self._review_log("approve", lines=lines, notes=dict.fromkeys(self.ids, comment), names=names)
        bodies = {}
        for line in lines:
            body = Markup("%s <b>%s</b>") % (self.env._("Approved step"), line.name)
            if comment:
                body += Markup("<br/>%s") % comment
            if line.res_id in after:
                body += Markup("<br/>%s") % after[line.res_id]
            bodies[line.res_id] = body
        self._review_post(bodies, author=users_info.get(self.env.uid))
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

    def _review_decidable_lines(self, chain):
        """Pending lines (among ``chain``, the current lines) that the current user may decide.

        Raises when a record is not under review, the user is not a reviewer of
        its current step, or the user would approve their own submission.
        """
        by_record = {}
        for line in chain:
            if line.state == "pending":
                by_record.setdefault(line.res_id, line)
        acting = self._review_me_and_substituted()
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
            acting_for = line.reviewer_ids & acting
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
            rule_info = self.env["crm.review.rule"]._rule_info(line.rule_id.id)
            if line.submitter_id.id == self.env.uid and not rule_info.allow_self_approval:
                raise AccessError(
                    self.env._("You cannot decide on %(record)s: you submitted it.", record=record.display_name)
                )
        return self.env["crm.review"].sudo().browse([by_record[record.id].id for record in self])

    # ------------------------------------------------------------------
    # Rejection (called by the crm.review.reject wizard)
    # ------------------------------------------------------------------

    def _review_reject(self, reason, note=False, send_back="submitter"):
        """Reject the current step with a reason and send the records back."""
        reason_info = reason._info() if reason else None
        if not reason_info or reason_info.reason_type != "reject":
            raise UserError(self.env._("Choose a rejection reason from the catalog."))
        users_info = {}
        chain = self._review_lines(lock=True, users_info=users_info)
        lines = self._review_decidable_lines(chain)
        now = fields.Datetime.now()
        for line in lines:
            self._review_write_step(
                line,
                "rejected",
                done_by_id=self.env.uid,
                done_date=now,
                reason_id=reason.id,
                note=note or False,
                duration_hours=line._review_hours_since_pending(now),
            )
        lines._review_remove_activities()
        to_previous = self._review_send_back_to_previous(chain, lines) if send_back == "previous" else self.browse()
        to_submitter = self - to_previous
        submitter_ids = set(to_submitter.ids)
        for line in chain:
            if line.res_id in submitter_ids and line.state == "waiting":
                self._review_write_step(line, "cancelled", is_current=False)
        to_submitter._review_write_state("rejected")
        activated = to_previous._review_activate_next(users_info=users_info)[0] if to_previous else {}
        users_info.update(self._review_users_info({self.env.uid, *lines.submitter_id.ids} - set(users_info)))
        names = {line.res_id: line.res_name for line in lines}
        self._review_log("reject", lines=lines, reason=reason, notes=dict.fromkeys(self.ids, note), names=names)

        guidance = reason_info.guidance
        bodies = {}
        for line in lines:
            body = Markup("%s <b>%s</b>: %s") % (self.env._("Rejected at step"), line.name, reason_info.name)
            if note:
                body += Markup("<br/>%s") % note
            if line.res_id in activated:
                body += Markup("<br/>%s %s") % (self.env._("Sent back to the previous step."), activated[line.res_id])
            else:
                body += Markup("<br/>%s") % self.env._("Sent back to the submitter.")
                if guidance:
                    body += Markup("<br/><i>%s</i> %s") % (self.env._("How to fix:"), guidance)
            bodies[line.res_id] = body
        self._review_post(bodies, author=users_info[self.env.uid])
        to_submitter._review_schedule_fix_activities(lines, reason, note, users_info)
        self._review_check_reject_limit(lines)
        return True

    def _review_send_back_to_previous(self, chain, lines):
        """Reopen the last approved step before each rejected one; return the records sent back."""
        to_previous = self.browse()
        vals_list = []
        for line in lines:
            earlier = [
                c for c in chain if c.res_id == line.res_id and c.position < line.position and c.state == "approved"
            ]
            if not earlier:
                continue
            previous = max(earlier, key=lambda c: c.position)
            for old in (previous, line):
                old.write({"is_current": False})
                vals_list.append(
                    {
                        "res_model": old.res_model,
                        "res_id": old.res_id,
                        "res_name": old.res_name,
                        "rule_id": old.rule_id.id,
                        "step_id": old.step_id.id,
                        "name": old.name,
                        "position": old.position,
                        "submission": old.submission,
                        "state": "waiting",
                        "approval_mode": old.approval_mode,
                        "comment_required": old.comment_required,
                        "submitter_id": old.submitter_id.id,
                        "company_id": old.company_id.id,
                        "team_id": old.team_id.id,
                        "is_current": True,
                        "reviewer_ids": [Command.set(old.reviewer_ids.ids)],
                    }
                )
            to_previous |= self.browse(line.res_id)
        self.env["crm.review"].sudo().create(vals_list)
        return to_previous

    def _review_close_fix_activities(self):
        """A resubmission answers the "Fix and resubmit" to-dos."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_fix")
        self.env["mail.activity"]._review_remove(self._name, self.ids, [type_id])

    def _review_schedule_fix_activities(self, lines, reason, note, users_info):
        line_of = {line.res_id: line for line in lines}
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review_fix")
        reason_info = reason._info()
        body = Markup("<p><b>%s</b></p>") % reason_info.name
        if reason_info.guidance:
            body += Markup("<p>%s</p>") % reason_info.guidance
        if note:
            body += Markup("<p>%s</p>") % note
        now = fields.Datetime.now()
        vals_list = []
        for record in self:
            line = line_of.get(record.id)
            submitter = users_info.get(line.submitter_id.id) if line else None
            if not submitter or not submitter.usable:
                continue
            # Due, like the review to-dos, after the rule's reminder delay.
            delay = self.env["crm.review.rule"]._rule_info(line.rule_id.id).reminder_after_hours
            vals_list.append(
                {
                    "date_deadline": fields.Date.context_today(self, now + timedelta(hours=delay)),
                    "res_model": self._name,
                    "res_id": record.id,
                    "res_name": line.res_name,
                    "activity_type_id": activity_type_id,
                    "user_id": line.submitter_id.id,
                    "summary": self.env._("Fix and resubmit"),
                    "note": body,
                }
            )
        self.env["mail.activity"]._review_create(vals_list)

    def _review_check_reject_limit(self, lines):
        """Escalate records whose rule's rejection limit is reached."""
        Rule = self.env["crm.review.rule"]
        limited = lines.filtered(lambda line: Rule._rule_info(line.rule_id.id).reject_limit)
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
