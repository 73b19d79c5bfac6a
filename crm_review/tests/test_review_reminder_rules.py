from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged

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

    def _rule(self, **values):
        return self.env["crm.review.reminder.rule"].create(
            {
                "name": values.get("summary", "Follow-up"),
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "date_field_id": self.env["ir.model.fields"]._get("sale.order", "validity_date").id,
                "recipient_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
                **values,
            }
        )

    def _todos_of(self, order, summary):
        return self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id), ("summary", "=", summary)]
        )

    def test_refused_at_save(self):
        partner_date = self.env["ir.model.fields"]._get("res.partner", "write_date")
        with self.assertRaisesRegex(ValidationError, "date field"):
            self._rule(date_field_id=partner_date.id)
        with self.assertRaisesRegex(ValidationError, "offset"):
            self._rule(offset_days=10_000_000)
        with self.assertRaisesRegex(ValidationError, "user field"):
            self._rule(user_field_id=self.env["ir.model.fields"]._get("sale.order", "partner_id").id)
        with self.assertRaisesRegex(ValidationError, "needs a group"):
            self._rule(recipient_type="group")

    def test_failing_rule_does_not_stop_the_others(self):
        broken = self._rule(summary="Broken", sequence=1, offset_days=-1)
        # A rule saved before the checks existed: the date arithmetic overflows.
        self.env.cr.execute("UPDATE crm_review_reminder_rule SET offset_days = 10000000 WHERE id = %s", [broken.id])
        order = self._order()
        order.validity_date = fields.Date.context_today(order) + timedelta(days=2)
        self._run()
        self.assertEqual(self._todos(order).user_id, self.salesman, "the rules after the broken one still run")
        self.assertIn("OverflowError", broken.last_error)
        self.assertFalse(self.reminder.last_error)

    def test_time_window(self):
        today = fields.Date.context_today(self.reminder)
        long_past, ended, soon = self._order(), self._order(), self._order()
        long_past.validity_date = today - timedelta(days=200)
        ended.validity_date = today - timedelta(days=1)
        soon.validity_date = today + timedelta(days=5)
        after = self._rule(summary="Expired: call back", offset_days=0, window_days=10)
        expired_recently = self._order()
        expired_recently.validity_date = today - timedelta(days=4)
        self._run()
        self.assertTrue(self._todos(soon), "from five days before the date")
        self.assertFalse(self._todos(ended), "a before-date reminder stops at the date")
        self.assertFalse(self._todos(long_past), "dates long past are never reminded")
        self.assertTrue(self._todos_of(expired_recently, "Expired: call back"))
        self.assertFalse(self._todos_of(long_past, "Expired: call back"), "after the window: nothing")
        self.assertEqual(set(after.sent_ids.mapped("res_id")), set((expired_recently | ended).ids))

    def test_once_per_record_and_date(self):
        self.reminder.frequency = "once"
        order = self._order()
        with freeze_time("2026-03-02"):
            order.validity_date = "2026-03-05"
            self._run()
        with freeze_time("2026-03-03"):
            self._run()
        self.assertEqual(len(self._todos(order)), 1, "once for this date")
        with freeze_time("2026-03-20"):
            order.validity_date = "2026-03-24"  # renewed: a new date is reminded again
            self._run()
        self.assertEqual(len(self._todos(order)), 2)

    def test_weekly_is_rolling(self):
        self.reminder.write({"frequency": "weekly", "offset_days": -30})
        order = self._order()
        order.validity_date = "2026-03-28"
        for day, expected in (("2026-03-01", 1), ("2026-03-02", 1), ("2026-03-07", 1), ("2026-03-08", 2)):
            # 2026-03-01 is a Sunday: the next day is not a new week of reminders.
            with freeze_time(day):
                self._run()
            self.assertEqual(len(self._todos(order)), expected, day)

    def test_recipients_read_their_own_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.reminder.update_field_translations("summary", {"zh_CN": "给客户打电话"})
        self.reminder.update_field_translations("note", {"zh_CN": {"The quotation expires soon.": "报价即将到期。"}})
        # Reads every order: a recipient who cannot read the record gets no reminder of it.
        chinese = new_test_user(
            self.env, "rv_zh", groups="sales_team.group_sale_salesman_all_leads", lang="zh_CN", name="Wang"
        )
        chinese.partner_id.phone = "+86 138 0000 0000"
        self.salesman.partner_id.phone = "+32 470 00 00 00"
        self.reminder.write({"recipient_type": "users", "user_ids": [Command.set((self.salesman | chinese).ids)]})
        order = self._order()
        order.validity_date = fields.Date.context_today(order) + timedelta(days=1)
        self._run()
        todos = self.env["mail.activity"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(todos.filtered(lambda a: a.user_id == chinese).summary, "给客户打电话")
        self.assertEqual(todos.filtered(lambda a: a.user_id == self.salesman).summary, "Call the customer")
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", (self.salesman | chinese).partner_id.ids)])
        self.assertIn("报价即将到期", sms.filtered(lambda s: s.partner_id == chinese.partner_id).body)
        self.assertIn("expires soon", sms.filtered(lambda s: s.partner_id == self.salesman.partner_id).body)

    def test_sms_queued_and_missing_number_noted(self):
        self.salesman.partner_id.phone = "+32 470 00 00 00"
        # Reads every order (a recipient who cannot read the record gets nothing), has no number.
        no_phone = new_test_user(
            self.env, "rv_no_phone", groups="sales_team.group_sale_salesman_all_leads", name="Nora Nophone"
        )
        no_phone.partner_id.phone = False
        self.reminder.write({"recipient_type": "users", "user_ids": [Command.set((self.salesman | no_phone).ids)]})
        order = self._order()
        order.validity_date = fields.Date.context_today(order) + timedelta(days=1)
        self._run()
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", self.salesman.partner_id.id)])
        self.assertEqual(sms.state, "outgoing", "left to Odoo's SMS queue")
        notes = order.sudo().message_ids.filtered(lambda m: "no mobile number" in (m.body or ""))
        self.assertTrue(notes and no_phone.name in notes[0].body)

    def test_not_reviewed_since_last_approval(self):
        rule = self._rule(
            summary="Not reviewed for a month",
            date_source="last_approval",
            date_field_id=False,
            offset_days=30,
            window_days=30,
        )
        order = self._order()
        with freeze_time("2026-03-02 10:00:00"):
            order.with_user(self.salesman).action_review_submit()
            order.with_user(self.reviewer).action_review_approve()
            order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        with freeze_time("2026-03-20"):
            self._run()
        self.assertFalse(self._todos_of(order, "Not reviewed for a month"), "approved 18 days ago")
        with freeze_time("2026-04-02"):
            self._run()
        self.assertTrue(self._todos_of(order, "Not reviewed for a month"))
        self.assertEqual(rule.sent_ids.date_value, fields.Date.to_date("2026-03-02"))

    def test_email_in_the_recipients_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = new_test_user(self.env, "rv_zh_mail", groups="sales_team.group_sale_salesman_all_leads", lang="zh_CN")
        chinese.email = "wang@example.com"
        self.salesman.email = "sally@example.com"
        template = self.env["mail.template"].create(
            {
                "name": "Quotation follow-up",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "subject": "Follow up {{ object.name }}",
                "body_html": "<p>Call the customer.</p>",
                "partner_to": "{{ object.partner_id.id }}",
            }
        )
        template.update_field_translations("subject", {"zh_CN": "跟进 {{ object.name }}"})
        self.reminder.write(
            {
                "recipient_type": "users",
                "user_ids": [Command.set((self.salesman | chinese).ids)],
                "channel_email": True,
                "template_id": template.id,
                "channel_sms": False,
            }
        )
        order = self._order()
        order.validity_date = fields.Date.context_today(order) + timedelta(days=1)
        self._run()
        mails = self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
        by_partner = {mail.recipient_ids: mail.subject for mail in mails}
        self.assertEqual(by_partner.get(chinese.partner_id), f"跟进 {order.name}")
        self.assertEqual(by_partner.get(self.salesman.partner_id), f"Follow up {order.name}")
        self.assertNotIn(self.customer, mails.recipient_ids, "a reminder for the staff, not the customer")

    def _reminded(self, order, rule=None):
        return (rule or self.reminder).sent_ids.filtered(lambda sent: sent.res_id == order.id)

    def test_days_of_a_company_east_of_utc(self):
        self.env.company.partner_id.tz = "Asia/Shanghai"
        ends_in_five_days, ended_yesterday = self._order(), self._order()
        ends_in_five_days.validity_date = "2026-03-15"
        ended_yesterday.validity_date = "2026-03-09"
        # 17:30 UTC on the 9th is 01:30 on the 10th in Shanghai: the company's day is the 10th.
        with freeze_time("2026-03-09 17:30:00"):
            self._run()
        self.assertTrue(self._todos(ends_in_five_days), "five days ahead of the company's day")
        self.assertFalse(self._todos(ended_yesterday), "ended yesterday in the company's calendar")
        self.assertEqual(self._reminded(ends_in_five_days).sent_on, date(2026, 3, 10))

    def test_days_of_a_company_west_of_utc(self):
        self.env.company.partner_id.tz = "America/Los_Angeles"
        ends_today, ends_in_six_days, committed_today = self._order(), self._order(), self._order()
        ends_today.validity_date = "2026-03-09"
        ends_in_six_days.validity_date = "2026-03-15"
        # 13:00 on the 9th in Los Angeles.
        committed_today.commitment_date = "2026-03-09 20:00:00"
        by_commitment = self._rule(
            summary="Delivery soon",
            offset_days=-5,
            date_field_id=self.env["ir.model.fields"]._get("sale.order", "commitment_date").id,
        )
        # 06:30 UTC on the 10th is 23:30 on the 9th in Los Angeles: the company's day is still the 9th.
        with freeze_time("2026-03-10 06:30:00"):
            self._run()
        self.assertTrue(self._todos(ends_today), "ends on the company's day")
        self.assertFalse(self._todos(ends_in_six_days), "six days ahead of the company's day")
        self.assertEqual(self._reminded(ends_today).sent_on, date(2026, 3, 9))
        self.assertTrue(self._todos_of(committed_today, "Delivery soon"))
        self.assertEqual(self._reminded(committed_today, by_commitment).date_value, date(2026, 3, 9))

    def _user_of_another_company(self):
        company_b = self.env["res.company"].create({"name": "Reminder Company B"})
        return new_test_user(
            self.env,
            "rv_seller_b",
            groups="sales_team.group_sale_salesman_all_leads,base.group_partner_manager",
            name="Bob Seller B",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )

    def test_company_rule_reminds_only_its_users(self):
        seller_b = self._user_of_another_company()
        team = self.env["res.groups"].create(
            {"name": "Contact welcomers", "user_ids": [Command.set((self.salesman | seller_b).ids)]}
        )
        self.env["crm.review.reminder.rule"].create(
            {
                "name": "Welcome the contact",
                "company_id": self.env.company.id,
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('name', '=', 'Shared contact')]",
                "date_field_id": self.env["ir.model.fields"]._get("res.partner", "create_date").id,
                "window_days": 10,
                "recipient_type": "group",
                "group_id": team.id,
            }
        )
        # Without company: every company's users may read it, the rule reminds its own company's only.
        shared = self.env["res.partner"].create({"name": "Shared contact"})
        self._run()
        todos = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", shared.id), ("summary", "=", "Welcome the contact")]
        )
        self.assertEqual(todos.user_id, self.salesman)

    def test_company_rule_refuses_users_of_another_company(self):
        seller_b = self._user_of_another_company()
        with (
            self.assertRaisesRegex(ValidationError, "Bob Seller B cannot be reminded of records of"),
            self.cr.savepoint(),
        ):
            self.reminder.write(
                {
                    "company_id": self.env.company.id,
                    "recipient_type": "users",
                    "user_ids": [Command.set((self.salesman | seller_b).ids)],
                }
            )
        self.reminder.write({"recipient_type": "users", "user_ids": [Command.set((self.salesman | seller_b).ids)]})
        with self.assertRaisesRegex(ValidationError, "Bob Seller B"):
            self.reminder.company_id = self.env.company
