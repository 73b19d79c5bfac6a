from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewReminderRules(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.reminder.rule"].search([]).active = False
        cls.reminder = cls.env["crm.review.reminder.rule"].create(
            {
                "name": "Quotation expires in 5 days",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "domain": "[('state', 'in', ('draft', 'sent'))]",
                "date_field_id": cls.env["ir.model.fields"]._get("sale.order", "validity_date").id,
                "offset_days": -5,
                "frequency": "daily",
                "recipient_type": "field",
                "user_field_id": cls.env["ir.model.fields"]._get("sale.order", "user_id").id,
                "channel_activity": True,
                "channel_sms": True,
                "summary": "Call the customer",
                "note": "<p>The quotation expires soon.</p>",
            }
        )

    def _run(self):
        with self.enter_registry_test_mode():
            self.env.ref("crm_review.ir_cron_reminder_rules").method_direct_trigger()
        self.env.invalidate_all()

    def _todos(self, order):
        return self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id), ("summary", "=", "Call the customer")]
        )

    def test_due_record_reminded_once_per_period(self):
        today = fields.Date.context_today(self.reminder)
        soon, later = self._order(), self._order()
        soon.validity_date = today + timedelta(days=3)
        later.validity_date = today + timedelta(days=20)
        self.salesman.partner_id.phone = "+32 470 00 00 00"
        self._run()
        self.assertEqual(self._todos(soon).user_id, self.salesman)
        self.assertFalse(self._todos(later), "not due yet")
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", self.salesman.partner_id.id)])
        self.assertTrue(sms and "expires soon" in sms[0].body)
        self._run()
        self.assertEqual(len(self._todos(soon)), 1, "never twice in the same period")
        self.assertEqual(self.env["crm.review.reminder.sent"].search_count([("rule_id", "=", self.reminder.id)]), 1)

    def test_condition_excludes_records(self):
        order = self._order()
        order.validity_date = fields.Date.context_today(self.reminder)
        order.action_cancel()
        self._run()
        self.assertFalse(self._todos(order))

    def test_configuration_errors(self):
        with self.assertRaises(ValidationError):
            self.reminder.domain = "[('nope', '=', 1)]"
        with self.assertRaisesRegex(ValidationError, "email template"):
            self.reminder.channel_email = True
