from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "crm.review.mixin"]

    _review_default_key_fields = ("order_line", "partner_id", "pricelist_id", "payment_term_id")
    _review_authority_date_field = "date_order"

    review_sending_blocked = fields.Boolean(
        "Sending blocked by review",
        compute="_compute_review_sending_blocked",
        help="A rule that applies keeps the quotation from the customer until it is approved.",
    )
    cancel_reason_id = fields.Many2one(
        "crm.review.reason",
        string="Cancel reason",
        copy=False,
        readonly=True,
        domain=[("reason_type", "=", "cancel")],
    )
    cancel_note = fields.Text("Cancel comment", copy=False, readonly=True)

    @api.depends(
        "partner_id",
        "amount_total",
        "order_line",
        "pricelist_id",
        "payment_term_id",
        "company_id",
        "user_id",
        "team_id",
        "client_order_ref",
    )
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_review_required(self):
        # A quotation being written says, before it is saved, that it will need review (conditions
        # read any field: these are the ones rules on orders are written on).
        return super()._compute_review_required()

    @api.depends("review_required", "review_state")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_review_sending_blocked(self):
        to_check = self.filtered(lambda o: o.review_required and o.review_state != "approved")
        rules = self.env["crm.review.rule"]._rules_for(to_check) if to_check else {}
        blocked = {order_id for rule, orders in rules.items() if rule.block_sending for order_id in orders._ids}
        for order in self:
            order.review_sending_blocked = order.id in blocked

    def action_open_cancel_reason(self):
        """Cancel button: ask for the reason first."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel"),
            "res_model": "sale.order.cancel.reason",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def _confirmation_error_message(self):
        """Refuse confirmation until the order, and its customer, are approved."""
        error = super()._confirmation_error_message()
        if error:
            return error
        if self._review_blocking_records():
            return self._review_status_text()
        customer = self.partner_id.commercial_partner_id
        if customer._review_blocking_records():
            return self.env._(
                "The customer must be approved before the order is confirmed. %(status)s",
                status=customer._review_status_text(),
            )
        return False

    def action_quotation_send(self):
        self._review_check_sending()
        return super().action_quotation_send()

    def action_quotation_sent(self):
        self._review_check_sending()
        return super().action_quotation_sent()

    def _review_check_sending(self):
        """Rules with "block sending" keep the quotation from the customer until approved."""
        if self.env.context.get("proforma"):
            return
        to_check = self.filtered(lambda o: o.state in ("draft", "sent") and o.review_state != "approved")
        if not to_check:
            return
        for rule, orders in self.env["crm.review.rule"]._rules_for(to_check).items():
            if rule.block_sending and orders:
                raise UserError(
                    self.env._(
                        "The quotation cannot be sent before it is approved. %(status)s",
                        status=orders[0]._review_status_text(),
                    )
                )

    @api.model
    def _review_open_domain(self):
        """Quotations: a confirmed or cancelled order is out of review."""
        return super()._review_open_domain() & Domain("state", "in", ["draft", "sent"])

    def _review_resettable(self):
        """Orders not confirmed: once confirmed the review is over, and editing the order does not reopen it.

        A cancelled order may become a quotation again: a change made meanwhile still needs a new review.
        """
        return self.filtered(lambda o: o.state != "sale")

    def _review_notify_payment_waiting(self, transaction):
        """Tell the reviewers that a payment arrived for an order still waiting for approval."""
        self.ensure_one()
        reviewers = self.sudo().review_reviewer_ids
        body = Markup("%s<br/>%s") % (
            self.env._(
                "Payment %(reference)s received, but the order is not approved yet: "
                "it will be confirmed by hand once approved.",
                reference=transaction.reference,
            ),
            self._review_status_text(),
        )
        self.sudo().message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            partner_ids=reviewers.partner_id.ids,
        )
