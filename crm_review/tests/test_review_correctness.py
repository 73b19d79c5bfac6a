"""What the review decides, checked as the people who meet it: a salesperson who fixes and resubmits,
a salesperson working in two companies, edits after confirmation, and the to-dos a reviewer sees today.

Where it is cheap, the user acts over ``/xmlrpc/2`` with their own password, as a client would.
"""

import xmlrpc.client

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewCorrectness(HttpCase, ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Correctness Company B"})
        cls.seller_ab = new_test_user(
            cls.env,
            "rv_seller_ab",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            name="Abe Both",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )

    def rpc(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over /xmlrpc/2 as ``user`` (a test user's password is its login)."""
        self.env.flush_all()
        try:
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
            )
        finally:
            self.env.invalidate_all()

    def assertRpcRefused(self, message, user, model, method, *args, **kwargs):
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                self.rpc(user, model, method, *args, **kwargs)
        self.assertIn(message, caught.exception.faultString)

    def _approved_order(self, price=2000.0):
        order = self._order(price=price)
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        return order

    # ------------------------------------------------------------------
    # A resubmission plans again the steps the fixed record now needs
    # ------------------------------------------------------------------

    def test_resubmission_reviews_a_step_skipped_before(self):
        cfo = self.rule.step_ids.filtered(lambda step: step.name == "Controller")
        cfo.write({"name": "CFO", "domain": "[('amount_total', '>', 100000)]"})
        order = self._order(price=2000)
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(order.review_ids.sorted("position").mapped("state"), ["pending", "skipped"])
        self._reject(order, self.reviewer, note="Wrong price")
        # The salesperson fixes the price and resubmits over RPC ("continue" mode, the default).
        line = order.order_line
        # (1, id, values) is Command.update over the wire.
        fixed = {"order_line": [[1, line.id, {"price_unit": 230000}]]}
        self.rpc(self.salesman, "sale.order", "write", [order.id], fixed)
        self.assertGreater(order.amount_total, 100000)
        self.rpc(self.salesman, "sale.order", "action_review_submit", [order.id])
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.review_state, "pending", "an order over 100,000 waits for the CFO")
        self.assertEqual(order.with_user(self.reviewer2).review_step_label, "CFO (2/2)")
        self.assertRpcRefused("under review", self.salesman, "sale.order", "action_confirm", [order.id])
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.rpc(self.salesman, "sale.order", "action_confirm", [order.id])
        self.assertEqual(order.state, "sale")

    def test_resubmission_keeps_only_approvals_of_steps_that_still_apply(self):
        manager, controller = self.rule.step_ids.sorted("sequence")
        manager.domain = "[('amount_total', '<', 5000)]"
        order = self._order(price=2000)
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2)
        order.with_user(self.salesman).order_line.price_unit = 6000
        order.with_user(self.salesman).action_review_submit()
        current = order.review_ids.filtered("is_current").sorted("position")
        self.assertEqual(current.mapped("name"), ["Manager", "Controller"])
        self.assertEqual(current.mapped("state"), ["skipped", "pending"], "the manager's approval no longer applies")
        # And an approval that still applies stands: back under 5,000, the manager approved once more...
        self._reject(order, self.reviewer2)
        order.with_user(self.salesman).order_line.price_unit = 3000
        order.with_user(self.salesman).action_review_submit()
        current = order.review_ids.filtered("is_current").sorted("position")
        self.assertEqual(current.mapped("state"), ["pending", "waiting"])
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2)
        order.with_user(self.salesman).action_review_submit()
        current = order.review_ids.filtered("is_current").sorted("position")
        self.assertEqual(current.mapped("state"), ["approved", "pending"], "... and is kept by the next resubmission")
        self.assertEqual(current[0].done_by_id, self.reviewer)
