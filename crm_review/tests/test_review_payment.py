from odoo.tests import tagged

from odoo.addons.account_payment.tests.common import AccountPaymentCommon

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewPayment(AccountPaymentCommon, ReviewCommon):
    def _pay_online(self, order, reference):
        """A done online payment of the whole order, processed as the payment flow does."""
        self._create_transaction(
            flow="redirect",
            sale_order_ids=[order.id],
            state="done",
            amount=order.amount_total,
            currency_id=order.currency_id.id,
            reference=reference,
        )._post_process()

    def test_online_payment_of_unapproved_order_waits(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._pay_online(order, "RV-PAY-1")  # must not raise inside payment processing
        self.assertIn(order.state, ("draft", "sent"), "the order waits for its review")
        self.assertEqual(order.review_state, "pending")
        note = order.message_ids.filtered(lambda m: "RV-PAY-1" in (m.body or ""))
        self.assertTrue(note, "the reviewers are told in the chatter")
        self.assertIn(self.reviewer.partner_id, note.partner_ids)
        # Once approved, the order can be confirmed by hand.
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_online_payment_of_approved_order_confirms(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self._pay_online(order, "RV-PAY-2")
        self.assertEqual(order.state, "sale")
