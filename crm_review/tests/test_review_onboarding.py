"""First run and daily setup: rules start as drafts, Activate shows what they would catch, reminder rules
preview what they would send, and a setup wizard creates the first rule."""

import json
import xmlrpc.client
from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import ReviewCommon

ONBOARDING_REF = "onboarding"


@tagged("post_install", "-at_install")
class TestRuleDraftOverRpc(HttpCase):
    """A review administrator creates a rule over RPC: a draft, which stops nothing until activated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        sales = "sales_team.group_sale_salesman"
        cls.salesman = new_test_user(env, "onb_salesman", groups=sales, name="Olly Onboard")
        cls.reviewer = new_test_user(env, "onb_reviewer", groups=f"{sales},crm_review.group_review_reviewer")
        # A salesperson who sees their own orders only, and administers reviews.
        cls.review_admin = new_test_user(
            env, "onb_revadmin", groups=f"{sales},crm_review.group_review_manager", name="Ona Admin"
        )
        expiration = datetime.now() + timedelta(hours=12)
        cls.api_keys = {
            user.id: env["res.users.apikeys"].with_user(user)._generate(None, "onboarding", expiration)
            for user in (cls.salesman, cls.review_admin)
        }
        cls.customer = env["res.partner"].create({"name": "Onboarding Customer"})
        cls.product = env["product.product"].create({"name": "Onboarding widget", "list_price": 100.0})

    def _order(self, user):
        return (
            self.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "user_id": user.id,
                    "client_order_ref": ONBOARDING_REF,
                    "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
                }
            )
        )

    def json2(self, user, model, method, ids=(), context=None, **kwargs):
        """``model.method(**kwargs)`` on ``ids`` over /json/2, with ``user``'s API key; raises on refusal."""
        body = dict(kwargs, context=context or {})
        if ids:
            body["ids"] = list(ids)
        self.env.flush_all()
        try:
            response = self.url_open(
                f"/json/2/{model}/{method}",
                data=json.dumps(body),
                headers={"Content-Type": "application/json", "Authorization": f"bearer {self.api_keys[user.id]}"},
            )
        finally:
            self.env.invalidate_all()
        if response.status_code != 200:
            raise UserError(response.json()["message"])
        return response.json()

    def xmlrpc(self, user, model, method, *args):
        """``model.method(*args)`` over /xmlrpc/2/object, logged in with ``user``'s password."""
        self.env.flush_all()
        try:
            return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, list(args))
        except xmlrpc.client.Fault as fault:
            raise UserError(fault.faultString) from None
        finally:
            self.env.invalidate_all()

    def test_a_new_rule_is_a_draft_until_activated(self):
        [rule_id] = self.json2(
            self.review_admin,
            "crm.review.rule",
            "create",
            vals_list=[
                {
                    "name": "Onboarding orders",
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "domain": f"[('client_order_ref', '=', '{ONBOARDING_REF}')]",
                    "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
                }
            ],
        )
        rule = self.env["crm.review.rule"].browse(rule_id)
        self.assertEqual(rule.state, "draft", "A rule created without saying otherwise is a draft.")
        self.assertTrue(rule.active)

        # A draft stops nothing: the salesperson confirms an order it matches.
        confirmed = self._order(self.salesman)
        self.assertFalse(confirmed.review_required)
        self.xmlrpc(self.salesman, "sale.order", "action_confirm", confirmed.ids)
        self.assertEqual(confirmed.state, "sale")

        hidden = self._order(self.salesman)  # the administrator cannot read it
        mine = self._order(self.review_admin) | self._order(self.review_admin)
        self.assertFalse(hidden.with_user(self.review_admin).has_access("read"))

        # Activate: what the rule would catch among what the administrator may read, then confirm.
        action = self.json2(self.review_admin, "crm.review.rule", "action_activate", ids=[rule_id])
        self.assertEqual(action["res_model"], "crm.review.rule.activate")
        [wizard_id] = self.json2(
            self.review_admin, action["res_model"], "create", vals_list=[{}], context=action["context"]
        )
        [wizard] = self.json2(
            self.review_admin, action["res_model"], "read", ids=[wizard_id], fields=["catch_count", "impact"]
        )
        self.assertEqual(wizard["catch_count"], 2, "Her two quotations; not the one she cannot read.")
        self.assertIn("catches 2 open record(s) of Sales Order", wizard["impact"])
        for order in mine:
            self.assertIn(order.name, wizard["impact"])
        self.assertNotIn(hidden.name, wizard["impact"])
        self.assertIn("Records you cannot read are neither counted nor shown.", wizard["impact"])
        self.assertEqual(rule.state, "draft", "Nothing changes before the administrator confirms.")

        self.json2(self.review_admin, action["res_model"], "action_confirm", ids=[wizard_id])
        self.assertEqual(rule.state, "active")
        # From now on it gates: the salesperson's quotation cannot be confirmed before approval.
        with self.assertRaisesRegex(UserError, "has not been submitted for review"):
            self.xmlrpc(self.salesman, "sale.order", "action_confirm", hidden.ids)
        self.assertEqual(hidden.state, "draft")


@tagged("post_install", "-at_install")
class TestRuleDraft(ReviewCommon):
    """A draft counts for nothing in the engine: no gating, no key field, no condition field, no review."""

    def _draft(self, **values):
        return self.env["crm.review.rule"].create(
            {
                "name": "Draft on references",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "domain": "[('client_order_ref', '=', 'draft')]",
                "key_field_ids": [Command.set(self.env["ir.model.fields"]._get("sale.order", "note").ids)],
                "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
                **values,
            }
        )

    def test_a_draft_counts_for_nothing(self):
        rule = self._draft()
        Rule = self.env["crm.review.rule"]
        self.assertEqual(rule.state, "draft")
        self.assertNotIn("note", Rule._review_rule_fields(self.env["sale.order"], "key_fields"))
        self.assertNotIn("client_order_ref", Rule._review_rule_fields(self.env["sale.order"], "condition_fields"))
        order = self._order(price=10.0)
        order.client_order_ref = "draft"
        self.assertFalse(order.review_required)
        self.assertFalse(order.search([("id", "=", order.id), ("review_required", "=", True)]))
        with self.assertRaisesRegex(UserError, "No review rule applies"):
            order.with_user(self.salesman).action_review_submit()

        rule.with_user(self.review_admin).env["crm.review.rule.activate"].create({"rule_id": rule.id}).action_confirm()
        self.assertEqual(rule.state, "active")
        self.assertIn("note", Rule._review_rule_fields(self.env["sale.order"], "key_fields"))
        self.assertIn("client_order_ref", Rule._review_rule_fields(self.env["sale.order"], "condition_fields"))
        order.invalidate_recordset(["review_required"])
        self.assertTrue(order.review_required)

    def test_a_rule_that_reviewed_records_does_not_go_back_to_draft(self):
        rule = self._draft(state="active")
        rule.with_user(self.review_admin).action_draft()
        self.assertEqual(rule.state, "draft", "Nothing reviewed yet: back to draft.")
        rule.state = "active"
        order = self._order(price=10.0)
        order.client_order_ref = "draft"
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaisesRegex(UserError, "has already reviewed records"):
            rule.with_user(self.review_admin).action_draft()
        self.assertEqual(rule.state, "active")

    def test_a_copy_is_a_draft(self):
        self.assertEqual(self.rule.state, "active")
        self.assertEqual(self.rule.copy().state, "draft")

    def test_activate_does_not_count_what_the_administrator_cannot_read(self):
        rule = self._draft()
        readable = self._order(price=10.0, user=self.review_admin)
        hidden = self._order(price=10.0)
        (readable | hidden).sudo().client_order_ref = "draft"
        impact = rule.with_user(self.review_admin)._review_activation_impact()
        self.assertEqual(impact["count"], 1)
        self.assertEqual(impact["examples"], readable)
        # Whoever may read both counts both; approved, pending and confirmed records are not caught.
        self.assertEqual(rule._review_activation_impact()["count"], 2)
        hidden.sudo().action_confirm()
        self.assertEqual(rule._review_activation_impact()["count"], 1)


@tagged("post_install", "-at_install")
class TestRuleActivateTour(HttpCase, ReviewCommon):
    """A rule created in the browser is a draft; Activate shows the count, then switches it on."""

    def test_rule_created_in_the_form_is_a_draft_and_activate_shows_the_count(self):
        orders = self._order(user=self.review_admin) | self._order(user=self.review_admin)
        hidden = self._order()
        # The open quotations the administrator may read are hers: the tour expects 2.
        readable = (
            self.env["sale.order"]
            .with_user(self.review_admin)
            .search([("state", "in", ["draft", "sent"]), ("review_state", "not in", ["pending", "approved"])])
        )
        self.assertEqual(readable, orders)
        self.assertGreater(self.env["sale.order"].search_count([("state", "in", ["draft", "sent"])]), 2)
        self.start_tour(
            "/odoo/action-crm_review.crm_review_rule_action", "crm_review_rule_activate_tour", login="rv_admin"
        )
        rule = self.env["crm.review.rule"].search([("name", "=", "Every quotation")])
        self.assertEqual(rule.state, "active")
        self.assertTrue(hidden.review_required, "Active: it applies to every quotation, read or not.")


@tagged("post_install", "-at_install")
class TestReminderRulePreview(ReviewCommon):
    """Preview lists what the next run would send, within what the viewer may read, and sends nothing."""

    def test_preview_lists_only_what_the_viewer_may_read(self):
        Fields = self.env["ir.model.fields"]
        rule = (
            self.env["crm.review.reminder.rule"]
            .with_user(self.review_admin)
            .create(
                {
                    "name": "Quotations to follow up",
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "domain": "[('client_order_ref', '=', 'preview')]",
                    "date_field_id": Fields._get("sale.order", "date_order").id,
                    "recipient_type": "field",
                    "user_field_id": Fields._get("sale.order", "user_id").id,
                    "channel_activity": True,
                }
            )
        )
        readable = self._order(price=10.0, user=self.review_admin)
        hidden = self._order(price=10.0)
        (readable | hidden).sudo().client_order_ref = "preview"
        self.assertFalse(hidden.with_user(self.review_admin).has_access("read"))
        todos_before = self.env["mail.activity"].search_count([])

        action = rule.with_user(self.review_admin).action_preview()
        preview = self.env[action["res_model"]].with_user(self.review_admin).with_context(**action["context"])
        with Form(preview) as form:
            result = form.result
            self.assertEqual(form.reminder_count, 1)
        self.assertIn(readable.name, result)
        self.assertIn(self.review_admin.name, result)
        self.assertIn("To-do", result)
        self.assertNotIn(hidden.name, result)
        self.assertNotIn(self.salesman.name, result)
        self.assertIn("Records you cannot read are neither listed nor counted here", result)
        self.assertIn("1 reminder(s) about 1 record(s)", result)
        # Nothing was sent, nothing was marked as sent.
        self.assertEqual(self.env["mail.activity"].search_count([]), todos_before)
        self.assertFalse(rule.sent_ids)

        # Whoever may read both sees both (and the run would send both).
        rows = rule.sudo()._preview()["rows"]
        self.assertEqual({record.id for record, *_rest in rows}, set((readable | hidden).ids))

    def test_preview_of_an_administrator_who_reads_none_of_the_records(self):
        rule = self.env["crm.review.reminder.rule"].create(
            {
                "name": "Orders",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "date_field_id": self.env["ir.model.fields"]._get("sale.order", "date_order").id,
                "recipient_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
            }
        )
        self._order(price=10.0)  # due today, for the salesperson
        self.assertTrue(rule._preview()["rows"])
        # Reviewers read the orders they review only: none here.
        no_sales = new_test_user(self.env, "rv_admin_nosales", groups="crm_review.group_review_manager")
        result = self.env["crm.review.reminder.preview"].with_user(no_sales).create({"rule_id": rule.id}).result
        self.assertIn("Nothing to send: no record you may read is due today.", result)
        self.assertIn("Records you cannot read are neither listed nor counted here", result)


@tagged("post_install", "-at_install")
class TestSetupWizard(ReviewCommon):
    """The first-run wizard: which records, who reviews, a first rule from a template, created as a draft."""

    def test_wizard_creates_a_draft_rule_with_one_step_and_opens_it(self):
        system_admin = new_test_user(
            self.env,
            "rv_sysadmin",
            groups="base.group_system,sales_team.group_sale_manager,crm_review.group_review_manager",
        )
        newcomer = new_test_user(self.env, "rv_newcomer", groups="sales_team.group_sale_salesman")
        self.env.company.review_partner_enabled = True
        with Form(self.env["crm.review.setup"].with_user(system_admin)) as form:
            self.assertEqual(form.template, "order_amount")
            form.amount = 50000
            self.assertIn("50,000", form.rule_name)
            form.review_partner_enabled = False
            form.reviewer_type = "users"
            form.user_ids.add(newcomer)
            self.assertIn("Not reviewers yet", form.not_reviewers)
            self.assertIn(newcomer.name, form.not_reviewers)
        action = form.record.action_create_rule()
        rule = self.env["crm.review.rule"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crm.review.rule")
        self.assertEqual(rule.state, "draft")
        self.assertEqual(rule.model, "sale.order")
        self.assertEqual(rule.domain, "[('amount_total', '>', 50000)]")
        self.assertEqual(rule.company_id, self.env.company)
        self.assertEqual(len(rule.step_ids), 1)
        self.assertEqual(rule.step_ids.user_ids, newcomer)
        self.assertTrue(newcomer.has_group("crm_review.group_review_reviewer"), "Given the Reviewer access.")
        self.assertFalse(self.env.company.review_partner_enabled)
        # A draft: it applies to no order over the amount.
        self.assertNotIn(rule, self.env["crm.review.rule"]._rules_for(self._order(price=60000.0)))

    def test_a_review_administrator_changes_no_setting_nor_access(self):
        newcomer = new_test_user(self.env, "rv_newcomer2", groups="sales_team.group_sale_salesman")
        with Form(self.env["crm.review.setup"].with_user(self.review_admin)) as form:
            self.assertFalse(form.may_configure)
            form.template = "customer_company"
            form.reviewer_type = "users"
            form.user_ids.add(newcomer)
        rule = self.env["crm.review.rule"].browse(form.record.action_create_rule()["res_id"])
        self.assertEqual(
            (rule.model, rule.state, rule.domain),
            ("res.partner", "draft", "[('is_company', '=', True), ('customer_rank', '>', 0)]"),
        )
        self.assertFalse(newcomer.has_group("crm_review.group_review_reviewer"))

    def test_installing_from_the_apps_opens_the_wizard(self):
        self.env.ref("crm_review.crm_review_setup_todo").state = "open"
        action = self.env["ir.module.module"].next()
        self.assertEqual(action["res_model"], "crm.review.setup")
        self.assertEqual(action["target"], "new")

    def test_empty_states_say_what_to_do(self):
        help_rules = self.env.ref("crm_review.crm_review_rule_action").help
        self.assertIn("Set up reviews", help_rules)
        self.assertIn(f"{self.env.ref('crm_review.crm_review_setup_action').id}", help_rules)
        self.assertIn("Review Rules", self.env.ref("crm_review.crm_review_action_to_review").help)
        for xmlid in ("crm_review.sale_order_action_my_submissions", "crm_review.res_partner_action_my_submissions"):
            self.assertIn("Submit for Review", self.env.ref(xmlid).help)


@tagged("post_install", "-at_install")
class TestSetupTour(HttpCase, ReviewCommon):
    """The first-run wizard, clicked in a browser from the empty list of rules."""

    def test_setup_wizard_from_the_empty_rules_list(self):
        self.rule.active = False
        self.assertFalse(self.env["crm.review.rule"].search([]), "No rule: the list is empty.")
        self.start_tour("/odoo/action-crm_review.crm_review_rule_action", "crm_review_setup_tour", login="rv_admin")
        rule = self.env["crm.review.rule"].search([("step_ids.user_ids", "=", self.reviewer.id)])
        self.assertEqual(rule.state, "draft")
        self.assertEqual(rule.domain, "[('amount_total', '>', 50000)]")
        self.assertEqual(rule.step_ids.approver_type, "users")
        self.assertEqual(rule.step_ids.user_ids, self.reviewer)
