from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from ..tools.email_reply import DECIDED_BY_EMAIL

TODO_TYPES = {
    "review": "crm_review.mail_activity_type_review",
    "fix": "crm_review.mail_activity_type_review_fix",
    "escalation": "crm_review.mail_activity_type_review_escalation",
    # The plain to-dos of reminder rules.
    "todo": "mail.mail_activity_data_todo",
}


# What mail.activity's unlink() and write() read of the to-dos (counters of their assignees), and handing
# them over (their record): read with the search that finds them.
TODO_FIELDS = ["res_model", "res_id", "activity_type_id", "user_id", "active", "date_deadline"]


class CrmReviewNotifier(models.AbstractModel):
    """Tells people about reviews: internal notes in the chatter and review to-dos.

    Notes go through ``mail.thread._message_log_batch`` and to-dos through
    ``mail.activity``'s own create and unlink, so the chatter, the activity
    counters and other apps' overrides stay live. The engine calls these after
    its own checks, hence the ``sudo()``.
    """

    _name = "crm.review.notifier"
    _description = "Review Notes and To-dos"

    @api.model
    def _post(self, records, bodies, author=None):
        """One internal note per record: never shown to customers, no email, no notification.

        :param bodies: {record id: body (Markup or text, escaped)}
        :param author: res.users writing the notes (default: the current user)
        """
        if not bodies:
            return self.env["mail.message"]
        author = author or self.env.user
        if self.env.context.get("crm_review_by_email") is DECIDED_BY_EMAIL:
            # A decision taken by answering a review email: its note says so.
            sentence = Markup("<br/><i>%s</i>") % self.env._("Decided by email reply.")
            bodies = {res_id: Markup("%s") % body + sentence for res_id, body in bodies.items()}
        targets = records.browse([res_id for res_id in bodies if res_id in records.ids])
        return targets.sudo()._message_log_batch(
            bodies={res_id: bodies[res_id] for res_id in targets.ids},
            author_id=author.partner_id.id,
        )

    @api.model
    def _type_id(self, kind):
        return self.env["ir.model.data"]._xmlid_to_res_id(TODO_TYPES[kind])

    @api.model
    def _assign_todos(self, kind, assignments, texts, handover=None):
        """To-dos of ``kind``, each written in its assignee's language and due today in their time zone.

        The one place to-dos are made: callers say about what and to whom, and how
        the text reads in a given language, never which language it is.

        :param assignments: [(res_model, res_id, users, subject)]; ``subject`` (a review line,
            a record...) is handed to ``texts``
        :param texts: ``texts(subject, env) -> (summary, note or False)``, ``env`` in the
            assignee's language and time zone; called once per subject, language and time zone
        :param handover: to-dos the caller is about to remove (see ``_create_todos``)
        :return: the to-dos assigned, created or handed over
        """
        if not assignments:
            return self.env["mail.activity"]
        type_id = self._type_id(kind)
        # The assignees' language and time zone are read with the current user's partner, who writes the
        # note that comes with the to-dos (``_post``): one read of the partners for both.
        people = self.env["res.users"].union(*(users for _model, _id, users, _subject in assignments))
        (people | self.env.user).partner_id.mapped("lang")
        written, due, vals_list = {}, {}, []
        for index, (res_model, res_id, users, subject) in enumerate(assignments):
            for user in users:
                # A user without time zone reads UTC in the web client's emails too.
                lang, tz = user.lang or "en_US", user.tz or "UTC"
                if (index, lang, tz) not in written:
                    env = self.env(context=dict(self.env.context, lang=lang, tz=tz))
                    written[index, lang, tz] = texts(subject, env)
                if user not in due:
                    due[user] = self._due_date(0, user)
                summary, note = written[index, lang, tz]
                vals_list.append(
                    {
                        "res_model": res_model,
                        "res_id": res_id,
                        "activity_type_id": type_id,
                        "user_id": user.id,
                        "summary": summary,
                        "note": note,
                        "date_deadline": due[user],
                        # Mail stores the assignee's time zone with the to-do: given here, it is inserted
                        # with the row rather than written by a second query.
                        "user_tz": user.tz or False,
                    }
                )
        return self._create_todos(vals_list, handover)

    @api.model
    def _escalation_targets(self, lines):
        """{line id: users an escalation of the line goes to}: the one escalation policy.

        The rule's escalation user, else the managers of the step's reviewers
        (needs the Employees app), else the review administrators
        (``crm.review._review_fallback_reviewers``); managers and administrators
        allowed in the line's company only, as others cannot open the record.
        Nobody only when that company has none of them.
        """
        Review = self.env["crm.review"]
        has_managers = "employee_id" in self.env["res.users"]._fields
        fallback, targets = {}, {}
        for line in lines.sudo():
            if line.rule_id.escalation_user_id:
                targets[line.id] = line.rule_id.escalation_user_id
                continue
            company = line.company_id
            managers = line.reviewer_ids.employee_id.parent_id.user_id if has_managers else self.env["res.users"]
            managers = managers.filtered(
                lambda u, company=company: u.active and (not company or company in u.company_ids)
            )
            if not managers and company not in fallback:
                fallback[company] = Review._review_fallback_reviewers(company)
            targets[line.id] = managers or fallback[company]
        return targets

    @api.model
    def _create_todos(self, vals_list, handover=None):
        """Create to-dos in one batch, whatever the assignee may read, without Odoo's email per to-do.

        A to-do of ``handover`` (to-dos the caller is about to remove, read with ``_find_todos``) on a
        record that gets a new one is handed over instead: ``mail.activity.write()`` gives it its new
        assignee, type, summary, note and due date. Mail does for it what it does for a new to-do (the
        assignee follows the record, the activity counters are told) and the unlink and the create
        are saved. The to-do keeps its creation date and author (those of the first to-do of the
        review), and the files attached to it. The caller removes the to-dos of ``handover`` not
        returned.

        :param vals_list: values of ``mail.activity`` with ``res_model`` (name) and ``res_id``
        :return: the to-dos created and those handed over
        """
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        handed = Activity.browse()
        if handover and vals_list:
            free = defaultdict(list)
            for todo in handover:
                free[todo.res_model, todo.res_id].append(todo.id)
            # One write per set of values (a list decided at once hands its to-dos to one reviewer in one call).
            writes, to_create = defaultdict(list), []
            for vals in vals_list:
                todo_ids = free.get((vals["res_model"], vals["res_id"]))
                if not todo_ids:
                    to_create.append(vals)
                    continue
                key = (vals["activity_type_id"], vals["user_id"], vals["summary"], vals["note"], vals["date_deadline"])
                writes[key].append(todo_ids.pop(0))
            for (type_id, user_id, summary, note, deadline), todo_ids in writes.items():
                todos = Activity.browse(todo_ids)
                todos.write(
                    {
                        "activity_type_id": type_id,
                        "user_id": user_id,
                        "summary": summary,
                        "note": note,
                        "date_deadline": deadline,
                    }
                )
                handed |= todos
            vals_list = to_create
        if not vals_list:
            return handed
        # The records' names, read at once per model and given with the values: mail would otherwise
        # compute them after the insert and write them with a second query.
        res_ids = defaultdict(set)
        for vals in vals_list:
            res_ids[vals["res_model"]].add(vals["res_id"])
        names = {}
        for model, ids in res_ids.items():
            names.update({(model, record.id): record.display_name for record in self.env[model].sudo().browse(ids)})
        model_ids = {}
        for vals in vals_list:
            # By id: the ORM computes the name (``res_model``, precomputed and read-only) from it anyway.
            model = vals.pop("res_model")
            if model not in model_ids:
                model_ids[model] = self.env["ir.model"]._get_id(model)
            vals["res_model_id"] = model_ids[model]
            vals.setdefault("res_name", names[model, vals["res_id"]])
        return handed | Activity.create(vals_list)

    @api.model
    def _find_todos(self, res_model, res_ids, kinds, users=None):
        """The to-dos of ``kinds`` on these records (of every assignee, or only of ``users``).

        Read with what removing them or handing them over reads (record, assignee, due date), in the
        same query.
        """
        if not res_ids:
            return self.env["mail.activity"]
        domain = [
            ("res_model", "=", res_model),
            ("res_id", "in", list(res_ids)),
            ("activity_type_id", "in", [self._type_id(kind) for kind in kinds]),
        ]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        return self.env["mail.activity"].sudo().search_fetch(domain, TODO_FIELDS)

    @api.model
    def _due_date(self, hours, user=None):
        """Due date of a to-do ``hours`` from now, in the assignee's time zone (today for 0)."""
        moment = fields.Datetime.now() + timedelta(hours=hours or 0)
        record = self.with_context(tz=user.tz) if user and user.tz else self
        return fields.Date.context_today(record, moment)
