from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """An order paid online before its review is approved waits for approval.

        Payment processing must never fail on a review: the payment is kept,
        the order stays a quotation, and its reviewers are told.
        """
        waiting = self.env["payment.transaction"]
        for tx in self:
            orders = tx.sale_order_ids.filtered(lambda so: so.state in ("draft", "sent"))
            if orders and (
                orders._review_blocking_records() or orders.partner_id.commercial_partner_id._review_blocking_records()
            ):
                waiting |= tx
        confirmed = super(PaymentTransaction, self - waiting)._check_amount_and_confirm_order()
        for tx in waiting:
            for order in tx.sale_order_ids:
                order._review_notify_payment_waiting(tx)
        return confirmed
