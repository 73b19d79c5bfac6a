"""What the review decides, checked as the people who meet it: a salesperson who fixes and resubmits,
a salesperson working in two companies, edits after confirmation, and the to-dos a reviewer sees today.

Where it is cheap, the user acts over ``/xmlrpc/2`` with their own password, as a client would.
"""

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ReviewCommon, RpcMixin


@tagged("post_install", "-at_install")
class TestReviewCorrectness(RpcMixin, HttpCase, ReviewCommon):
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

    # ------------------------------------------------------------------
    # Settings › Reviews of the record's company, not of the session's
    # ------------------------------------------------------------------

    def _order_in(self, company):
        return (
            self.env["sale.order"]
            .with_user(self.seller_ab)
            .with_company(company)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1, "price_unit": 2000})
                    ],
                }
            )
        )

    def _switch_sale_review(self, company_a, company_b):
        self.company_a.review_sale_enabled = company_a
        self.company_b.review_sale_enabled = company_b
        order_a, order_b = self._order_in(self.company_a), self._order_in(self.company_b)
        # Company A is the current company, B the other one selected.
        in_a_and_b = (
            self.env["sale.order"]
            .with_user(self.seller_ab)
            .with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
        )
        return order_a.with_env(in_a_and_b.env), order_b.with_env(in_a_and_b.env)

    def test_sale_review_off_in_the_current_company_on_in_the_orders(self):
        order_a, order_b = self._switch_sale_review(company_a=False, company_b=True)
        self.assertTrue(order_b.review_required)
        self.assertFalse(order_a.review_required)
        Order = order_a.browse()
        both = [("id", "in", (order_a | order_b).ids)]
        self.assertEqual(Order.search([*both, ("review_required", "=", True)]), order_b)
        self.assertEqual(Order.search([*both, ("review_required", "=", False)]), order_a)
        context = {"allowed_company_ids": [self.company_a.id, self.company_b.id]}
        self.assertRpcRefused(
            "has not been submitted", self.seller_ab, "sale.order", "action_confirm", [order_b.id], context=context
        )
        self.assertEqual(order_b.state, "draft")
        self.rpc(self.seller_ab, "sale.order", "action_confirm", [order_a.id], context=context)
        self.assertEqual(order_a.state, "sale")

    def test_sale_review_on_in_the_current_company_off_in_the_orders(self):
        order_a, order_b = self._switch_sale_review(company_a=True, company_b=False)
        self.assertTrue(order_a.review_required)
        self.assertFalse(order_b.review_required)
        Order = order_a.browse()
        both = [("id", "in", (order_a | order_b).ids)]
        self.assertEqual(Order.search([*both, ("review_required", "=", True)]), order_a)
        self.assertEqual(Order.search([*both, ("review_required", "=", False)]), order_b)
        with self.assertRaisesRegex(UserError, "has not been submitted"):
            order_a.action_confirm()
        order_b.action_confirm()
        self.assertEqual(order_b.state, "sale", "company B does not review its orders")

    def test_shared_contact_follows_the_current_company_switch(self):
        self.env["crm.review.rule"].create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [Command.create({"name": "Credit", "user_ids": [Command.set(self.reviewer.ids)]})],
            }
        )
        self.company_a.review_partner_enabled = False
        shared, of_b = self.env["res.partner"].create(
            [
                {"name": "Shared Co", "is_company": True, "company_id": False},
                {"name": "B Co", "is_company": True, "company_id": self.company_b.id},
            ]
        )
        Partner = self.env["res.partner"].with_user(self.seller_ab)
        in_a = Partner.with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
        in_b = Partner.with_context(allowed_company_ids=[self.company_b.id, self.company_a.id])
        both = [("id", "in", (shared | of_b).ids), ("review_required", "=", True)]
        self.assertEqual(in_a.search(both), of_b, "from company A: B's contact only")
        self.assertEqual(in_b.search(both), shared | of_b, "from company B: the shared contact too")
        self.assertEqual([p.review_required for p in in_a.browse((shared | of_b).ids)], [False, True])
        self.assertEqual([p.review_required for p in in_b.browse((shared | of_b).ids)], [True, True])

    # ------------------------------------------------------------------
    # After confirmation the review is over
    # ------------------------------------------------------------------

    def test_editing_a_confirmed_order_keeps_its_approval(self):
        order = self._approved_order()
        order.with_user(self.salesman).action_confirm()
        # The order form saves its lines through the order: (0, 0, values) is Command.create over the wire.
        new_line = {"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 3000}
        self.rpc(self.salesman, "sale.order", "write", [order.id], {"order_line": [[0, 0, new_line]]})
        first = order.order_line[0]
        order.with_user(self.salesman).write({"order_line": [Command.update(first.id, {"product_uom_qty": 4})]})
        first.with_user(self.salesman).price_unit = 2500
        self.assertEqual(len(order.order_line), 2)
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(order.review_ids.filtered("is_current").mapped("state"), ["approved", "approved"])
        self.assertNotIn("reset", self._log_actions(order))
        self.assertFalse(order._review_blocking_records(), "no new review is needed")

    def test_editing_an_approved_quotation_through_the_order_needs_a_new_review(self):
        order = self._approved_order()
        new_line = {"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 3000}
        self.rpc(self.salesman, "sale.order", "write", [order.id], {"order_line": [[0, 0, new_line]]})
        self.assertEqual(order.review_state, "draft")
        self.assertEqual(self._log_actions(order)[0], "reset")

    def test_a_cancelled_order_changed_meanwhile_needs_a_new_review(self):
        order = self._approved_order()
        order.with_user(self.salesman)._action_cancel()
        order.order_line.with_user(self.salesman).price_unit = 90000
        self.assertEqual(order.review_state, "draft", "it can become a quotation again")
        order.with_user(self.salesman).action_draft()
        self.assertRpcRefused("has not been submitted", self.salesman, "sale.order", "action_confirm", [order.id])

    # ------------------------------------------------------------------
    # A step waiting for someone is work for today
    # ------------------------------------------------------------------

    def test_review_and_fix_todos_are_due_today(self):
        self.rule.reminder_after_hours = 48
        # Far east of the server: "tomorrow" for the server clock is often already today there.
        (self.reviewer | self.salesman).tz = "Pacific/Kiritimati"
        order = self._order()
        self.rpc(self.salesman, "sale.order", "action_review_submit", [order.id])
        todo = self._review_activities(order, self.reviewer)
        today = fields.Date.context_today(self.reviewer.with_context(tz="Pacific/Kiritimati"))
        self.assertEqual(todo.date_deadline, today)
        [values] = self.rpc(self.reviewer, "mail.activity", "read", [todo.id], ["state", "date_deadline"])
        self.assertEqual(values["state"], "today", "the activity menu lists it under Today")
        line = order.review_ids.filtered(lambda line: line.state == "pending")
        hours = (line.next_reminder_at - line.pending_since).total_seconds() / 3600
        self.assertEqual(hours, 48, "the reminders still follow the rule")
        self._reject(order, self.reviewer)
        fix = self._review_activities(order, self.salesman, xmlid="crm_review.mail_activity_type_review_fix")
        self.assertEqual(fix.date_deadline, today)
        [values] = self.rpc(self.salesman, "mail.activity", "read", [fix.id], ["state"])
        self.assertEqual(values["state"], "today")
