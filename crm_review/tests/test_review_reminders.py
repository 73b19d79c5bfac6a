from datetime import date, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewReminders(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # These reviewers read the reminder digest only: no email when a step becomes theirs.
        (cls.reviewer | cls.reviewer2 | cls.director).review_notification = "digest"

    def _overdue_orders(self, count=3, hours=30):
        orders = self.env["sale.order"]
        for _i in range(count):
            orders |= self._order()
        orders.with_user(self.salesman).action_review_submit()
        lines = orders.review_ids.filtered(lambda r: r.state == "pending")
        lines.write(
            {
                "pending_since": fields.Datetime.now() - timedelta(hours=hours),
                "next_reminder_at": fields.Datetime.now() - timedelta(hours=hours - 24),
            }
        )
        return orders, lines

    def _run_cron(self):
        with self.enter_registry_test_mode():
            self.env.ref("crm_review.ir_cron_review_reminders").method_direct_trigger()
        self.env.invalidate_all()

    def _digests(self, user):
        return self.env["mail.mail"].sudo().search(
            [("subject", "=", "Reviews waiting for you"), ("recipient_ids", "in", user.partner_id.ids)]
        ) | self.env["mail.mail"].sudo().search(
            [("subject", "=", "Reviews waiting for you"), ("email_to", "ilike", user.email)]
        )

    def test_one_digest_per_reviewer_and_no_repeat(self):
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders()
        self._run_cron()
        digests = self._digests(self.reviewer)
        self.assertEqual(len(digests), 1, "one digest for three overdue reviews")
        for order in orders:
            self.assertIn(order.name, digests.body_html)
        for line in lines:
            self.assertIn(f"/crm_review/approve/{line.id}?user_id={self.reviewer.id}&", digests.body_html)
        self.assertEqual(set(lines.mapped("reminder_count")), {1})
        self.assertTrue(all(line.next_reminder_at > fields.Datetime.now() for line in lines))
        self.assertEqual(self._log_actions(orders[0])[0], "remind")
        # Running again in the same period sends nothing.
        self._run_cron()
        self.assertEqual(len(self._digests(self.reviewer)), 1)
        self.assertEqual(set(lines.mapped("reminder_count")), {1})

    def test_finished_reviews_are_not_reminded(self):
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders(count=1)
        orders.with_user(self.reviewer).action_review_approve()
        self._run_cron()
        self.assertFalse(self._digests(self.reviewer))
        self.assertEqual(lines.reminder_count, 0)

    def test_escalation_after_max_reminders(self):
        self.rule.write({"reminder_max": 1, "escalation_user_id": self.director.id})
        orders, lines = self._overdue_orders(count=1)
        self._run_cron()
        self.assertEqual(lines.reminder_count, 1)
        lines.write({"next_reminder_at": fields.Datetime.now() - timedelta(minutes=1)})
        self._run_cron()
        self.assertTrue(lines.escalated)
        escalation = self._review_activities(orders, xmlid="crm_review.mail_activity_type_review_escalation")
        self.assertEqual(escalation.user_id, self.director)
        self.assertIn("escalated", self._last_note(orders).body)
        self.assertTrue(lines.is_overdue)
        self.assertIn(lines, self.env["crm.review"].search([("is_overdue", "=", True)]))
        # Escalated steps are not reminded again.
        lines.write({"next_reminder_at": fields.Datetime.now() - timedelta(minutes=1)})
        self._run_cron()
        self.assertEqual(lines.reminder_count, 1)

    def test_no_reminder_when_switched_off(self):
        self.rule.reminder_after_hours = 0
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertFalse(order.review_ids.filtered(lambda r: r.state == "pending").next_reminder_at)

    def test_cron_runs_in_committed_batches(self):
        self.reviewer.email = "rita@example.com"
        _orders, lines = self._overdue_orders(count=3)
        cron = self.env.ref("crm_review.ir_cron_review_reminders")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        lines.invalidate_recordset()
        self.assertEqual(set(lines.mapped("reminder_count")), {1})

    def test_one_digest_per_run_across_batches(self):
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders(count=3)
        cron = self.env.ref("crm_review.ir_cron_review_reminders")
        cron.code = "model._cron_send_reminders(batch_size=1)"
        self._run_cron()
        digests = self._digests(self.reviewer)
        self.assertEqual(len(digests), 1, "one digest for the run, not one per batch")
        for order in orders:
            self.assertIn(order.name, digests.body_html)
        self.assertEqual(set(lines.mapped("reminder_count")), {1})
        self.assertFalse(any(lines.mapped("reminder_digest_due")))

    def test_a_run_out_of_time_sends_one_digest_when_it_finishes(self):
        """The scheduler stops a job after its time budget and calls it again: one digest in all."""
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders(count=3)
        IrCron = type(self.env["ir.cron"])

        def out_of_time(cron, processed=0, remaining=None, deactivate=False):
            return 0 if processed else 60.0  # no time left once a batch is done

        with patch.object(IrCron, "_commit_progress", out_of_time):
            for _call in range(4):  # called again while steps remain, as Odoo's scheduler does
                self.env["crm.review"]._cron_send_reminders(batch_size=1)
                self.assertLessEqual(len(self._digests(self.reviewer)), 1)
        digests = self._digests(self.reviewer)
        self.assertEqual(len(digests), 1, "one digest, sent by the call that finished the steps")
        for order in orders:
            self.assertIn(order.name, digests.body_html)
        self.assertEqual(set(lines.mapped("reminder_count")), {1})

    def test_interrupted_run_loses_nothing_and_repeats_nothing(self):
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders(count=2)
        # A run marked these lines and stopped before its digests.
        lines._send_reminders(fields.Datetime.now())
        self.assertFalse(self._digests(self.reviewer))
        self._run_cron()
        digests = self._digests(self.reviewer)
        self.assertEqual(len(digests), 1)
        for order in orders:
            self.assertIn(order.name, digests.body_html)
        self.assertEqual(set(lines.mapped("reminder_count")), {1}, "not reminded twice for the same period")
        self._run_cron()
        self.assertEqual(len(self._digests(self.reviewer)), 1)

    def test_digest_shows_since_in_the_reviewers_time_zone(self):
        self.reviewer.write({"email": "rita@example.com", "tz": "Asia/Shanghai", "lang": "en_US"})
        _orders, lines = self._overdue_orders(count=1)
        lines.write({"pending_since": "2026-01-05 02:30:00"})
        self._run_cron()
        self.assertIn("10:30:00", self._digests(self.reviewer).body_html, "02:30 UTC is 10:30 in Shanghai")

    def test_digest_lists_the_most_overdue_first_and_counts_the_rest(self):
        self.reviewer.email = "rita@example.com"
        orders, lines = self._overdue_orders(count=3)
        oldest = lines.filtered(lambda line: line.res_id == orders[2].id)
        oldest.pending_since = fields.Datetime.now() - timedelta(days=9)
        with patch("odoo.addons.crm_review.models.crm_review_reminder.DIGEST_MAX_LINES", 2):
            self.env["crm.review"]._send_reminder_digests({self.reviewer: lines})
        body = self._digests(self.reviewer).body_html
        self.assertIn(orders[2].name, body, "the most overdue is listed")
        self.assertEqual(sum(order.name in body for order in orders), 2, "a screenful, not everything")
        self.assertIn("1</t> more", body.replace("1 more", "1</t> more"))

    def _escalate_at(self, moment):
        """Submit an order and escalate its first step at ``moment`` (UTC); its line."""
        self.rule.write({"reminder_max": 1})
        with freeze_time(moment):
            orders, lines = self._overdue_orders(count=1)
            lines.write({"pending_since": "2026-01-05 02:30:00", "reminder_count": 1})
            self._run_cron()
        self.assertTrue(lines.escalated)
        return orders, lines

    def test_escalation_in_the_escalated_users_language_and_time_zone(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_review"], ["zh_CN"], overwrite=True)
        self.rule.step_ids[0].with_context(lang="zh_CN").name = "经理审批"
        self.director.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
        self.rule.escalation_user_id = self.director
        # 17:30 UTC on March 9 is already March 10 in Shanghai.
        orders, _lines = self._escalate_at("2026-03-09 17:30:00")
        todo = self._review_activities(orders, xmlid="crm_review.mail_activity_type_review_escalation")
        self.assertEqual(todo.user_id, self.director)
        self.assertEqual(todo.summary, "审核超时：经理审批")
        self.assertIn("已升级至 Dora Director", todo.note)
        self.assertIn("10:30", todo.note, "02:30 UTC is 10:30 in Shanghai")
        self.assertEqual(todo.date_deadline, date(2026, 3, 10), "due on the director's day")

    def test_escalation_with_nobody_to_escalate_to_says_so(self):
        self.rule.escalation_user_id = False
        nobody = self.env["res.users"]
        with patch.object(type(self.env["crm.review"]), "_review_fallback_reviewers", return_value=nobody):
            orders, _lines = self._escalate_at("2026-03-09 10:00:00")
        note = self._last_note(orders).body
        self.assertIn("nobody to escalate to", note)
        self.assertIn(self.env.company.name, note)
        self.assertNotIn("escalated to .", note)
        self.assertFalse(self._review_activities(orders, xmlid="crm_review.mail_activity_type_review_escalation"))
