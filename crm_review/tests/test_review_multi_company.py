from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewMultiCompany(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Review Company B"})
        cls.admin_b = new_test_user(
            cls.env,
            "rv_admin_b",
            groups="sales_team.group_sale_salesman,crm_review.group_review_manager",
            name="Bea Admin B",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.seller_b = new_test_user(
            cls.env,
            "rv_seller_b",
            groups="sales_team.group_sale_salesman",
            name="Bob Seller B",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def _order_b(self):
        """A company B order of ``seller_b``, over the rule's amount."""
        return (
            self.env["sale.order"]
            .with_user(self.seller_b)
            .create(
                {
                    "partner_id": self.customer.id,
                    "user_id": self.seller_b.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1, "price_unit": 2000})
                    ],
                }
            )
        )

    def _simulate(self, rule, record, user, submitter=None):
        """What Simulate of ``rule`` shows on ``record`` to ``user`` (working in all their companies)."""
        action = rule.with_user(user).action_simulate()
        wizard_model = (
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"], allowed_company_ids=user.company_ids.ids)
        )
        with Form(wizard_model) as form:
            form.res_ref = record
            if submitter:
                form.submitter_id = submitter
            return form.submitter_id, form.result

    def _run_cron(self, xmlid):
        with self.enter_registry_test_mode():
            self.env.ref(xmlid).method_direct_trigger()
        self.env.invalidate_all()

    def test_escalation_goes_to_the_administrators_of_the_records_company(self):
        self.rule.write({"reminder_max": 1, "escalation_user_id": False})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        line = order.sudo().review_ids.filtered(lambda r: r.state == "pending")
        line.write({"reminder_count": 1, "next_reminder_at": fields.Datetime.now() - timedelta(minutes=1)})
        self._run_cron("crm_review.ir_cron_review_reminders")
        self.assertTrue(line.escalated)
        escalation = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_escalation")
        self.assertIn(self.review_admin, escalation.user_id)
        self.assertNotIn(self.admin_b, escalation.user_id, "an administrator of company B cannot open the order")

    def test_settings_are_per_company(self):
        settings_b = (
            self.env["res.config.settings"]
            .with_company(self.company_b)
            .create(
                {
                    "crm_review_default_reject_limit": 7,
                    "crm_review_default_reminder_max": 5,
                    "crm_review_sale_enabled": False,
                }
            )
        )
        settings_b.execute()
        self.assertEqual((self.company_b.review_reject_limit, self.company_b.review_reminder_max), (7, 5))
        self.assertEqual((self.company_a.review_reject_limit, self.company_a.review_reminder_max), (0, 3))
        self.assertEqual(self.company_b._review_disabled_models(), {"sale.order"})
        self.assertFalse(self.company_a._review_disabled_models())
        Rule = self.env["crm.review.rule"]
        self.assertEqual(Rule.with_company(self.company_b).new({}).reject_limit, 7)
        self.assertEqual(Rule.with_company(self.company_a).new({}).reject_limit, 0)
        self.assertEqual(Rule.with_context(default_company_id=self.company_b.id).new({}).reminder_max, 5)
        order = self._order()
        self.assertTrue(order.review_required, "company A still reviews its orders")

    def test_switches_stay_off_after_save(self):
        order = self._order()
        self.assertTrue(order.review_required)
        # What the Save button does: create with the form's values, then execute.
        settings = self.env["res.config.settings"].create(
            {"crm_review_sale_enabled": False, "crm_review_partner_enabled": False}
        )
        settings.execute()
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.crm_review_sale_enabled)
        self.assertFalse(settings.crm_review_partner_enabled)
        order.invalidate_recordset()
        self.assertFalse(order.review_required)
        settings.write({"crm_review_sale_enabled": True})
        settings.execute()
        order.invalidate_recordset()
        self.assertTrue(order.review_required, "switched on again")

    def test_reminder_rules_and_reasons_stay_in_their_company(self):
        rule_a = self.env["crm.review.reminder.rule"].create(
            {
                "name": "Company A follow-up",
                "company_id": self.company_a.id,
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "date_field_id": self.env["ir.model.fields"]._get("sale.order", "validity_date").id,
                "recipient_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
            }
        )
        Reason = self.env["crm.review.reason"]
        reason_a = Reason.create({"name": "Company A only", "company_id": self.company_a.id})
        shared = Reason.create({"name": "Shared reason"})
        RuleB = self.env["crm.review.reminder.rule"].with_user(self.admin_b)
        self.assertFalse(RuleB.search([("id", "=", rule_a.id)]))
        with self.assertRaises(AccessError):
            rule_a.with_user(self.admin_b).write({"offset_days": -3})
        found = Reason.with_user(self.admin_b).search([("id", "in", (reason_a | shared).ids)])
        self.assertEqual(found, shared)
        found = Reason.with_user(self.review_admin).search([("id", "in", (reason_a | shared).ids)])
        self.assertEqual(found, reason_a | shared)

    def test_group_recipients_are_allowed_in_the_records_company(self):
        self.env["crm.review.reminder.rule"].search([]).active = False
        team = self.env["res.groups"].create(
            {"name": "Follow-up team", "user_ids": [Command.set((self.salesman | self.seller_b).ids)]}
        )
        self.env["crm.review.reminder.rule"].create(
            {
                "name": "Team follow-up",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "date_field_id": self.env["ir.model.fields"]._get("sale.order", "validity_date").id,
                "offset_days": -5,
                "recipient_type": "group",
                "group_id": team.id,
                "summary": "Team follow-up",
            }
        )
        order = self._order()
        order.validity_date = fields.Date.context_today(order) + timedelta(days=2)
        self._run_cron("crm_review.ir_cron_reminder_rules")
        todos = self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id), ("summary", "=", "Team follow-up")]
        )
        self.assertEqual(todos.user_id, self.salesman, "a member of company B only gets no to-do on a company A order")

    def test_simulate_asks_whom_the_submission_asks_in_the_records_company(self):
        """Neither the Manager nor the Controller may review in company B: Simulate names the administrators
        of company B, and the submission then asks them."""
        self.admin_b.group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]
        order = self._order_b()
        self.assertEqual(order.company_id, self.company_b)
        self.assertNotIn(self.company_b, (self.reviewer | self.reviewer2).company_ids)
        submitter, result = self._simulate(self.rule, order, self.admin_b)
        self.assertEqual(submitter, self.seller_b, "the salesperson would submit it")
        plan = self.env["crm.review"]._review_plan(order, self.seller_b, dry_run=True)[order.id]
        order.with_user(self.seller_b).action_review_submit()
        lines = order.sudo().review_ids.sorted("position")
        self.assertEqual(
            [(step.spec.id, step.state, step.reviewers, step.fallback) for step in plan],
            [(line.step_id.id, line.state, line.reviewer_ids, True) for line in lines],
            "the dry run plans what the submission writes",
        )
        self.assertIn(self.admin_b, lines.reviewer_ids)
        for line in lines:
            self.assertIn(
                f"Nobody named: the review administrators of Review Company B decide: "
                f"{line.reviewer_ids._review_names()}",
                result,
            )
        self.assertNotIn("Rita Reviewer", result)
        self.assertNotIn("Rob Reviewer", result)
        self.assertNotIn("nobody to ask", result)

    def test_simulate_warns_when_nobody_at_all_could_decide(self):
        """The only administrator of company B submitting: nobody is left, and Simulate says so."""
        self.admin_b.group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]
        self.assertFalse(self.env["crm.review"]._review_fallback_reviewers(self.company_b, exclude=self.admin_b))
        order = self._order_b()
        _submitter, result = self._simulate(self.rule, order, self.admin_b, submitter=self.admin_b)
        self.assertIn("A step would have nobody to ask", result)
        self.assertIn("<span class='text-danger fw-bold'>Nobody</span>", result)
        with self.assertRaisesRegex(UserError, "Nobody can review step Manager"):
            order.with_user(self.admin_b).action_review_submit()

    def test_simulate_follows_the_review_switch_of_the_records_company(self):
        self.admin_b.group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]
        order = self._order_b()
        self.company_b.review_sale_enabled = False
        _submitter, result = self._simulate(self.rule, order, self.admin_b)
        self.assertIn("does not review", result)
        self.assertNotIn("Manager", result)
        self.assertFalse(order.review_required, "the submission needs no review either")
