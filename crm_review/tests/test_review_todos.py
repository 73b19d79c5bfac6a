from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewTodos(ReviewCommon):
    """Review to-dos, the route fixed at submission, and the cached rule settings."""

    def _pending(self, order):
        return order.review_ids.filtered(lambda line: line.state == "pending")

    def test_todo_due_the_day_the_step_opens(self):
        self.rule.sudo().reminder_after_hours = 48
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        todo = self._review_activities(order)
        self.assertEqual(todo.user_id, self.reviewer)
        # Due today (Odoo's activity menu lists it); the reminders follow the rule.
        self.assertEqual(todo.date_deadline, fields.Date.context_today(todo))
        self.assertEqual(todo.state, "today")
        line = self._pending(order)
        self.assertEqual(line.next_reminder_at - line.pending_since, timedelta(hours=48))
        self.assertEqual(todo.res_name, order.display_name)

    def test_todo_due_today_without_reminders(self):
        self.rule.sudo().reminder_after_hours = 0
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        todo = self._review_activities(order)
        self.assertFalse(self._pending(order).next_reminder_at)
        self.assertEqual(todo.date_deadline, fields.Date.context_today(todo))

    def test_reviewers_follow_what_they_review(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(self._review_activities(order, self.reviewer))
        # As for any to-do Odoo creates: the assignee follows the record.
        self.assertIn(self.reviewer.partner_id, order.message_partner_ids)
        self.assertEqual(order.with_user(self.reviewer).review_reviewers_label, "Rita Reviewer")
        order.with_user(self.reviewer).action_review_approve()
        self.assertIn(self.reviewer2.partner_id, order.message_partner_ids)
        # Review notes stay internal: a follower customer gets no email of them.
        notes = order.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("mail.mt_note"))
        self.assertTrue(notes)
        self.assertFalse(notes.notification_ids.filtered(lambda n: n.notification_type == "email"))

    def test_decision_removes_every_todo_of_the_step(self):
        self.controllers.sudo().user_ids = [Command.link(self.director.id)]
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        todos = self._review_activities(order)
        self.assertEqual(todos.user_id, self.reviewer2 | self.director)
        self.assertEqual(order.with_user(self.director).review_reviewers_label, "Dora Director, Rob Reviewer")
        order.with_user(self.director).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertFalse(self._review_activities(order), "the other member's to-do goes with the decision")
        self.assertFalse(todos.exists())
        self.assertIn("Controller", self._last_note(order).body)

    def test_route_is_fixed_at_submission(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        controller_line = order.review_ids.filtered(lambda line: line.name == "Controller")
        self.assertEqual(controller_line.state, "waiting")
        self.assertEqual(controller_line.reviewer_ids, self.reviewer2, "the Review tab shows who comes next")
        # Joining the group later does not change a route already planned...
        self.controllers.sudo().user_ids = [Command.link(self.director.id)]
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2)
        # ... but it does for the next submission.
        other = self._order()
        other.with_user(self.salesman).action_review_submit()
        self.assertEqual(
            other.review_ids.filtered(lambda line: line.name == "Controller").reviewer_ids,
            self.reviewer2 | self.director,
        )

    def test_archived_reviewer_leaves_the_route(self):
        self.controllers.sudo().user_ids = [Command.link(self.director.id)]
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.director.sudo().active = False
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2)
        self.assertEqual(order.with_user(self.reviewer2).review_reviewer_ids, self.reviewer2)

    def test_rule_changes_apply_to_the_next_submission(self):
        first = self._order()
        first.with_user(self.salesman).action_review_submit()
        manager_step = self.rule.step_ids.filtered(lambda step: step.name == "Manager")
        manager_step.sudo().user_ids = [Command.set(self.director.ids)]
        self.rule.sudo().allow_self_approval = True
        second = self._order()
        second.with_user(self.salesman).action_review_submit()
        self.assertEqual(self._pending(first).reviewer_ids, self.reviewer, "a review in progress keeps its route")
        self.assertEqual(self._pending(second).reviewer_ids, self.director)
        self.env["crm.review.step"].sudo().create(
            {"rule_id": self.rule.id, "name": "Legal", "sequence": 30, "user_ids": [Command.set(self.reviewer.ids)]}
        )
        third = self._order()
        third.with_user(self.salesman).action_review_submit()
        self.assertEqual(third.review_ids.sorted("position").mapped("name"), ["Manager", "Controller", "Legal"])

    def test_reason_changes_show_in_the_next_rejection(self):
        reason = self.reject_reason.sudo()
        old_guidance = reason.guidance
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        # A first rejection reads the reason, as a running server has read it before.
        self._reject(order, self.reviewer)
        self.assertIn(old_guidance, self._last_note(order).body)
        reason.guidance = "Attach the signed purchase order."
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        self.assertIn("Attach the signed purchase order.", self._last_note(order).body)
        self.assertNotIn(old_guidance, self._last_note(order).body)
        fix = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix")
        self.assertEqual(fix.user_id, self.salesman)
        self.assertIn("Attach the signed purchase order.", str(fix.note))
        self.assertEqual(fix.date_deadline, fields.Date.context_today(fix), "the record waits for the submitter today")

    def test_the_decided_steps_todo_goes_to_whoever_acts_next(self):
        """One reviewer after another: the to-do is handed over (mail.activity.write), not removed and made again."""
        self.reviewer2.tz = "Asia/Shanghai"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        todo = self._review_activities(order)
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self._review_activities(order), todo, "one to-do, handed over")
        self.assertEqual(todo.user_id, self.reviewer2)
        self.assertEqual(todo.summary, "Review: Controller")
        self.assertEqual(todo.user_tz, "Asia/Shanghai")
        self.assertEqual(todo.date_deadline, fields.Date.context_today(todo.with_context(tz="Asia/Shanghai")))
        self.assertIn(self.reviewer2.partner_id, order.message_partner_ids, "mail made the new assignee a follower")
        # Rejected: the step's to-do becomes the submitter's "Fix and resubmit", with the reason's guidance.
        self._reject(order, self.reviewer2)
        fix = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix")
        self.assertEqual(fix, todo)
        self.assertEqual((fix.user_id, fix.summary), (self.salesman, "Fix and resubmit"))
        self.assertIn(self.reject_reason.guidance, str(fix.note))
        self.assertFalse(self._review_activities(order))
        # Resubmitted: it goes back to the reviewer of the rejected step (the approval before it stands).
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(self._review_activities(order), todo)
        self.assertEqual((todo.user_id, todo.summary, todo.note), (self.reviewer2, "Review: Controller", False))
        self.assertFalse(self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix"))

    def test_a_step_of_several_reviewers_gets_one_todo_handed_over_and_the_others_made(self):
        self.controllers.sudo().user_ids = [Command.link(self.director.id)]
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        todo = self._review_activities(order)
        order.with_user(self.reviewer).action_review_approve()
        todos = self._review_activities(order)
        self.assertEqual(todos.user_id, self.reviewer2 | self.director)
        self.assertIn(todo, todos)
        self.assertEqual(set(todos.mapped("summary")), {"Review: Controller"})
        # Sent back to the previous step: one to-do for its reviewer, the other one goes.
        self._reject(order, self.director, send_back="previous")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer)
        self.assertEqual(len(self._review_activities(order)), 1)
        self.assertEqual(len(todos.exists()), 1)

    def test_step_names_follow_a_translation_edited_in_the_dialog(self):
        """Step names are cached with the rule's steps: a translation edited without write() renews them."""
        self.env["res.lang"]._activate_lang("fr_FR")
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        line = self._pending(order).with_context(lang="fr_FR")
        self.assertEqual(line._review_step_name(), "Manager")
        self.rule.step_ids[0].update_field_translations("name", {"fr_FR": "Responsable"})
        self.assertEqual(line._review_step_name(), "Responsable")

    def _load_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_review"], ["zh_CN"], overwrite=True)
        self.rule.step_ids[0].with_context(lang="zh_CN").name = "经理审批"

    def test_todos_in_the_assignees_language(self):
        self._load_chinese()
        self.salesman.lang = "zh_CN"
        # A Chinese salesperson submits, working in Chinese: the English reviewer reads English.
        order = self._order()
        order.with_user(self.salesman).with_context(lang="zh_CN").action_review_submit()
        self.assertEqual(self._review_activities(order).summary, "Review: Manager")
        # An English reviewer rejects: the Chinese salesperson reads Chinese.
        self._reject(order, self.reviewer)
        fix = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix")
        self.assertEqual(fix.summary, "修改后重新提交")
        # An English salesperson submits: the Chinese reviewer reads Chinese.
        self.reviewer.lang = "zh_CN"
        other = self._order()
        other.with_user(self.salesman).with_context(lang="en_US").action_review_submit()
        self.assertEqual(self._review_activities(other).summary, "审核：经理审批")

    def test_rejection_limit_escalates_in_the_escalated_users_language(self):
        self._load_chinese()
        self.director.lang = "zh_CN"
        self.rule.sudo().write({"reject_limit": 1, "escalation_user_id": self.director.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        todo = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_escalation")
        self.assertEqual(todo.user_id, self.director)
        self.assertEqual(todo.summary, "已达驳回次数上限")
        self.assertIn("已升级至 Dora Director", todo.note)
        # The chatter keeps the language of whoever rejected.
        self.assertIn("escalated to Dora Director", self._last_note(order).body)


@tagged("post_install", "-at_install")
class TestReviewQueryCounts(ReviewCommon):
    """A decision costs a bounded number of queries (caches warm, as on a running server)."""

    def _submitted_orders(self, count):
        orders = self.env["sale.order"].concat(*(self._order() for _index in range(count)))
        for order in orders:
            order.with_user(self.salesman).action_review_submit()
        return orders

    def _request(self, call):
        """``call`` as one request of a running server, with what its commit runs afterwards: the ORM
        flush and the pre-commit hooks (mail's bus notifications are inserted there, as the request's user,
        whose defaults Odoo then keeps in its cache)."""
        call()
        self.env.flush_all()
        self.env.cr.flush()

    def test_submit_approve_reject_query_counts(self):
        # The engine's own cost: reviewers who asked for the digest only (no "assigned to you" email).
        (self.reviewer | self.reviewer2).review_notification = "digest"
        orders = self._submitted_orders(7)
        # The same calls once first, each as a request: the per-user caches are filled, as on a running server.
        self._request(lambda: orders[0].with_user(self.reviewer).action_review_approve())
        self._request(lambda: orders[0].with_user(self.reviewer2).action_review_approve())
        self._request(lambda: self._reject(orders[1], self.reviewer))
        self._request(lambda: orders[2].with_user(self.salesman).action_review_recall())
        self._request(lambda: orders[2].with_user(self.salesman).action_review_submit())
        approved, rejected, resubmitted, finished = orders[3:]
        self._request(lambda: finished.with_user(self.reviewer).action_review_approve())
        self._request(lambda: resubmitted.with_user(self.salesman).action_review_recall())
        self.env.invalidate_all()
        # Through mail's public APIs: the decided step's to-do handed to the next reviewer by
        # mail.activity.write() (mail makes them a follower: three queries, and two inserts for a new
        # follower; the activity counters are told on the bus), one note by _message_log_batch. The
        # engine: the lines locked and read with their reviewers (four queries), the record's access
        # rules in one count, the to-dos found with what handing them over reads, the audit row, the
        # lines and the waiting reviewers kept for "to review by me" (a delete and an insert).
        todo = self._review_activities(approved)
        with self.assertQueryCount(22):
            approved.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self._review_activities(approved), todo, "the step's to-do, handed over")
        self.assertEqual(todo.user_id, self.reviewer2)
        self.env.invalidate_all()
        # The wizard (its row, the user read by its defaults), the reason, and the rejected step's to-do
        # handed to the submitter as their "Fix and resubmit". The rejected step and the one it cancels
        # are written by one UPDATE.
        with self.assertQueryCount(22):
            self._reject(rejected, self.reviewer)
        self.assertEqual(rejected.review_state, "rejected")
        self.env.invalidate_all()
        # The last step: its to-do goes (mail's unlink: five queries).
        with self.assertQueryCount(20):
            finished.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(finished.review_state, "approved")
        self.assertFalse(self._review_activities(finished))
        self.env.invalidate_all()
        with self.assertQueryCount(22):  # a resubmission also reads the earlier submissions
            resubmitted.with_user(self.salesman).action_review_submit()
        self.assertEqual(resubmitted.review_state, "pending")

    def test_a_bigger_list_costs_no_more_queries(self):
        """A list submitted at once: reviewers get one email listing it, read in one batch whatever its size."""
        self.assertTrue(self.reviewer._review_wants_email())
        Review = self.env["crm.review"]
        self._submitted_orders(1)  # the per-user caches are filled, as on a running server
        Review._cron_notify_new_steps()
        counts = {}
        for size in (3, 12):
            orders = self.env["sale.order"].concat(*(self._order() for _index in range(size)))
            # Each order its own customer, as in real lists: the email names them.
            customers = self.env["res.partner"].create([{"name": f"Customer {size}-{i}"} for i in range(size)])
            for order, customer in zip(orders, customers, strict=True):
                order.partner_id = customer
            orders.with_user(self.salesman).action_review_submit()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Review._cron_notify_new_steps()
            counts[size] = self.cr.sql_log_count - before
            email = self.env["mail.mail"].search([("recipient_ids", "in", self.reviewer.partner_id.ids)], limit=1)
            self.assertIn(customers[-1].name, email.body_html)
        self.assertLessEqual(counts[12], counts[3], f"queries by list size: {counts}")

    def test_batch_decisions_cost_the_same_for_more_records(self):
        """Submitting or approving a list costs no query per record: 4 or 16 orders, the same count."""
        (self.reviewer | self.reviewer2).review_notification = "digest"
        warm = self.env["sale.order"].concat(self._order(), self._order())
        warm.with_user(self.salesman).action_review_submit()  # per-user caches, as on a running server
        warm.with_user(self.reviewer).action_review_approve()
        counts = {}
        for size in (4, 16):
            orders = self.env["sale.order"].concat(*(self._order() for _index in range(size)))
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            orders.with_user(self.salesman).action_review_submit()
            self.env.flush_all()
            submitted = self.cr.sql_log_count - before
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            orders.with_user(self.reviewer).action_review_approve()
            self.env.flush_all()
            counts[size] = (submitted, self.cr.sql_log_count - before)
            self.assertEqual(set(orders.mapped("review_state")), {"pending"})
            todos = self.env["mail.activity"].search([("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)])
            self.assertEqual(todos.user_id, self.reviewer2, "the next step's reviewer has the to-dos")
            self.assertEqual(len(todos), size)
        self.assertEqual(counts[16], counts[4], f"(submit, approve) queries by list size: {counts}")

    def test_form_review_block_query_count(self):
        """What the form's review banner and buttons read, for a reviewer (the record itself read first)."""
        banner = [
            "review_state",
            "review_required",
            "review_can_decide",
            "review_submitted_by_me",
            "review_step_label",
            "review_reviewers_label",
            "review_ids",
        ]
        *opened_before, order = self._submitted_orders(3).with_user(self.reviewer)
        for other in opened_before:  # the per-user caches are filled, as on a running server
            self.env.invalidate_all()
            other.read(["name", "partner_id", "amount_total", "state"])
            other.read(banner)
        self.env.invalidate_all()
        order.read(["name", "partner_id", "amount_total", "state"])
        # The step's name comes with the rule's cached steps: no read of the step.
        with self.assertQueryCount(8):
            values = order.read(banner)[0]
        self.assertTrue(values["review_can_decide"])
        self.assertEqual(values["review_reviewers_label"], "Rita Reviewer")


@tagged("post_install", "-at_install")
class TestReviewLargeGroups(ReviewCommon):
    """A step of a large group: its members find it in their To Review list, not in a to-do each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department = [
            new_test_user(
                cls.env, f"rv_dept_{index}", groups="crm_review.group_review_reviewer", name=f"Dept member {index}"
            )
            for index in range(18)
        ]
        cls.controllers.user_ids = [Command.set([user.id for user in cls.department])]

    def _order_at_the_group_step(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        return order

    def test_large_group_gets_no_todo_each(self):
        group_step = self.rule.step_ids[1]
        self.assertEqual(group_step.todo_limit, 10, "the default")
        order = self._order_at_the_group_step()
        self.assertFalse(self._review_activities(order), "18 members > 10: no to-do each")
        member = self.department[7].with_user(self.department[7])
        self.assertIn(order, self.env["sale.order"].with_user(member).search([("review_to_me", "=", True)]))
        order.with_user(member).action_review_approve()
        self.assertEqual(order.review_state, "approved")

    def test_group_within_the_limit_gets_a_todo_each(self):
        self.rule.step_ids[1].todo_limit = 0  # no limit
        order = self._order_at_the_group_step()
        self.assertEqual(
            sorted(self._review_activities(order).user_id.ids), sorted(user.id for user in self.department)
        )
        order.with_user(self.department[0]).action_review_approve()
        self.assertFalse(self._review_activities(order), "the decision removed every member's to-do")

    def test_a_decision_costs_the_same_whatever_the_group_size(self):
        counts = {}
        # The first run fills the caches; the two after it are compared.
        for size in (2, 18, 3):
            self.controllers.user_ids = [Command.set([user.id for user in self.department[:size]])]
            self.rule.step_ids[1].todo_limit = 2
            order = self._order_at_the_group_step()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            order.with_user(self.department[0]).action_review_approve()
            self.env.flush_all()
            counts[size] = self.cr.sql_log_count - before
            self.assertEqual(order.review_state, "approved")
        self.assertEqual(counts[3], counts[18], f"queries of one approval by group size: {counts}")
        self.assertLessEqual(counts[18], counts[2], "a large group costs no more than a small one")

    def test_todo_limit_is_bounded(self):
        with self.assertRaisesRegex(ValidationError, "between 0"):
            self.rule.step_ids[1].todo_limit = -1
