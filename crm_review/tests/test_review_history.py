from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewAnalysisDates(ReviewCommon):
    """The analysis dates a submission when its first step opened, and its decision when it was taken."""

    def test_submission_is_dated_when_its_first_step_opened(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        first, second = order.sudo().review_ids.sorted("position")
        # The step had opened 30 hours before (as a demo dates it, or an import).
        opened = fields.Datetime.now() - timedelta(hours=30)
        first.write({"pending_since": opened})
        self.env.flush_all()  # the analysis is an SQL view of the lines
        Report = self.env["crm.review.report"].with_user(self.review_admin)
        row = Report.search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(row.submitted_on, opened)
        self.assertEqual(row.decided_on, second.done_date)
        self.assertAlmostEqual(row.cycle_hours, 30.0, delta=0.1)


@tagged("post_install", "-at_install")
class TestReviewDemoHistory(TransactionCase):
    """The demo shows reviews submitted and decided over the past days, and an order to submit."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("crm_review.demo_order_pending", raise_if_not_found=False):
            self.skipTest("Needs the demo data.")

    def test_demo_orders_in_every_review_state(self):
        ref = self.env.ref
        self.assertEqual(ref("crm_review.demo_order_pending").review_state, "pending")
        self.assertEqual(ref("crm_review.demo_order_approved").review_state, "approved")
        self.assertEqual(ref("crm_review.demo_order_rejected").review_state, "rejected")
        # Approved, then changed: to submit again.
        changed = ref("crm_review.demo_order_changed")
        self.assertEqual(changed.review_state, "draft")
        self.assertTrue(changed.review_required)
        self.assertEqual(changed.review_log_ids[:1].action, "reset")
        # Never submitted.
        new = ref("crm_review.demo_order_draft")
        self.assertFalse(new.review_state)
        self.assertTrue(new.review_required)

    def test_review_analysis_shows_cycle_times(self):
        now = fields.Datetime.now()
        Report = self.env["crm.review.report"]
        decided = Report.search([("state", "in", ("approved", "rejected"))])
        self.assertGreaterEqual(len(decided), 5)
        # Hours to a couple of days, different from one submission to the next.
        for row in decided:
            self.assertGreaterEqual(row.cycle_hours, 1.0, row.res_name)
            self.assertLessEqual(row.cycle_hours, 72.0, row.res_name)
            self.assertLess(row.decided_on, now - timedelta(hours=1), row.res_name)
        self.assertGreaterEqual(len({round(hours) for hours in decided.mapped("cycle_hours")}), 4)
        self.assertGreaterEqual(len({row.submitted_on.date() for row in Report.search([])}), 4, "over several days")
        # The analysis's pivot, by rule: an average above zero for every rule that decided something.
        for rule, hours in Report._read_group(
            [("state", "in", ("approved", "rejected"))], ["rule_id"], ["cycle_hours:avg"]
        ):
            self.assertGreater(hours, 1.0, rule.name)
        # Per step too (Step Analysis), and the steps still waiting have waited for hours.
        Review = self.env["crm.review"]
        for line in Review.search([("state", "in", ("approved", "rejected"))]):
            self.assertGreaterEqual(line.duration_hours, 1.0, line.res_name)
            self.assertEqual(line.done_date - line.pending_since, timedelta(hours=line.duration_hours))
        for line in Review.search([("state", "=", "pending")]):
            self.assertLess(line.pending_since, now - timedelta(hours=12), line.res_name)
