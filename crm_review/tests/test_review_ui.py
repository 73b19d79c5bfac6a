import ast
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.misc import file_path

from .common import ReviewCommon
from .screenshots import TourScreenshotsMixin


@tagged("post_install", "-at_install")
class TestReviewListActions(HttpCase, ReviewCommon):
    """The list's Approve / Submit / Reject actions, run the way the web client runs them."""

    def _run_list_action(self, xmlid, records, login):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            "/web/action/run",
            {
                "action_id": self.env.ref(xmlid).id,
                "context": {
                    "active_model": records._name,
                    "active_ids": records.ids,
                    "active_id": records[:1].id,
                },
            },
        )

    def test_bulk_approve_approves_what_it_may_and_names_the_refused(self):
        first, second = self._order(), self._order()
        (first | second).with_user(self.salesman).action_review_submit()
        draft = self._order()
        result = self._run_list_action(
            "crm_review.action_review_approve_selected", first | second | draft, "rv_reviewer"
        )
        self.assertEqual(result["type"], "ir.actions.client")
        self.assertEqual(result["tag"], "display_notification")
        params = result["params"]
        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"], "A refusal stays on screen until the user reads it.")
        self.assertIn("2 approved", params["message"])
        self.assertIn("1 refused", params["message"])
        # The draft is not the reviewer's to read: named by its id, not its name.
        self.assertIn(f"You cannot read Sales Order #{draft.id}.", params["message"])
        self.assertEqual(params["next"]["tag"], "soft_reload")
        for order in first | second:
            self.assertEqual(order.review_state, "pending")
            current = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
            self.assertEqual(current.name, "Controller", "The first step is approved, the second one waits.")
        self.assertFalse(draft.review_state)

    def test_bulk_approve_by_a_user_who_reviews_nothing(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        result = self._run_list_action("crm_review.action_review_approve_selected", order, "rv_admin")
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("0 approved", result["params"]["message"])
        self.assertEqual(
            order.review_ids.filtered(lambda line: line.name == "Manager" and line.is_current).state, "pending"
        )

    def test_bulk_approve_all_allowed_is_a_success(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        result = self._run_list_action("crm_review.action_review_approve_selected", order, "rv_reviewer")
        self.assertEqual(result["params"]["type"], "success")
        self.assertFalse(result["params"]["sticky"])
        self.assertEqual(result["params"]["message"], "1 approved")

    def test_bulk_submit(self):
        large, small = self._order(), self._order(price=100.0)
        result = self._run_list_action("crm_review.action_review_submit_selected", large | small, "rv_salesman")
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("1 submitted", result["params"]["message"])
        self.assertIn(small.name, result["params"]["message"])
        self.assertEqual(large.review_state, "pending")
        self.assertFalse(small.review_state)

    def test_bulk_reject_opens_the_wizard_for_the_selection(self):
        first, second = self._order(), self._order()
        (first | second).with_user(self.salesman).action_review_submit()
        result = self._run_list_action("crm_review.action_review_reject_selected", first | second, "rv_reviewer")
        self.assertEqual(result["res_model"], "crm.review.reject")
        wizard = (
            self.env["crm.review.reject"]
            .with_user(self.reviewer)
            .with_context(**result["context"])
            .create({"reason_id": self.reject_reason.id, "note": "Prices"})
        )
        wizard.action_confirm()
        self.assertEqual((first | second).mapped("review_state"), ["rejected", "rejected"])

    def test_bulk_approve_partners(self):
        self.env["crm.review.rule"].sudo().create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [
                    Command.create({"name": "Credit", "approver_type": "users", "user_ids": self.reviewer.ids})
                ],
            }
        )
        partners = self.env["res.partner"].create([{"name": "Acme", "is_company": True}, {"name": "Bolt"}])
        result = self._run_list_action("crm_review.action_partner_review_submit_selected", partners, "rv_salesman")
        self.assertIn("1 submitted", result["params"]["message"])
        result = self._run_list_action("crm_review.action_partner_review_approve_selected", partners, "rv_reviewer")
        self.assertIn("1 approved", result["params"]["message"])
        self.assertEqual(partners.mapped("review_state"), ["approved", False])


@tagged("post_install", "-at_install")
class TestReviewRuleEditor(ReviewCommon):
    """A review administrator who is not a system administrator builds and tries rules."""

    def test_review_admin_picks_the_model_and_fields(self):
        admin = self.review_admin
        self.assertFalse(admin.has_group("base.group_system"))
        Rule = self.env["crm.review.rule"].with_user(admin)
        model_domain = Rule._fields["model_id"].domain(Rule)
        found = self.env["ir.model"].with_user(admin).name_search("Sales Order", domain=model_domain)
        self.assertIn(self.env["ir.model"]._get_id("sale.order"), [id_ for id_, _name in found])
        user_fields = (
            self.env["ir.model.fields"]
            .with_user(admin)
            .search_read(
                [("model", "=", "sale.order"), ("relation", "=", "res.users"), ("ttype", "=", "many2one")],
                ["name"],
            )
        )
        self.assertIn("user_id", [field["name"] for field in user_fields])

    def test_review_admin_creates_a_rule_with_steps_in_the_form(self):
        with Form(self.env["crm.review.rule"].with_user(self.review_admin)) as form:
            form.name = "Orders over 5000"
            form.model_id = self.env["ir.model"]._get("sale.order")
            form.domain = "[('amount_total', '>', 5000)]"
            with form.step_ids.new() as step:
                step.name = "Salesperson's field"
                step.approver_type = "field"
                step.user_field_id = self.env["ir.model.fields"]._get("sale.order", "user_id")
            with form.step_ids.new() as step:
                step.name = "Board"
                step.approver_type = "users"
                step.user_ids.add(self.director)
        rule = form.record
        self.assertEqual(rule.step_ids.mapped("name"), ["Salesperson's field", "Board"])
        self.assertEqual(rule.step_ids[0].user_field_id.name, "user_id")
        self.assertTrue(rule.active)

    def test_simulate_takes_the_salesperson_and_warns_about_empty_steps(self):
        empty = self.env["res.groups"].create({"name": "Nobody yet"})
        rule = (
            self.env["crm.review.rule"]
            .sudo()
            .create(
                {
                    "name": "Everything",
                    "state": "active",
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "step_ids": [
                        Command.create({"name": "Manager", "approver_type": "users", "user_ids": self.reviewer.ids}),
                        Command.create({"name": "Empty", "approver_type": "group", "group_id": empty.id}),
                    ],
                }
            )
        )
        order = self._order()
        action = rule.with_user(self.review_admin).action_simulate()
        wizard_model = self.env[action["res_model"]].with_user(self.review_admin).with_context(**action["context"])
        # The administrator, a salesperson limited to their own orders, cannot try the rule on another's.
        with Form(wizard_model) as form:
            form.res_ref = order
            self.assertIn("You cannot read this record", form.result)
            self.assertNotIn("Rita Reviewer", form.result)
        self.review_admin.group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]
        with Form(wizard_model) as form:
            self.assertEqual(form.submitter_id, self.review_admin)
            form.res_ref = order
            self.assertEqual(form.submitter_id, self.salesman, "The salesperson would submit the order.")
            self.assertIn("Rita Reviewer", form.result)
            # The empty step is decided by the review administrators, as the submission would have it.
            fallback = self.env["crm.review"]._review_fallback_reviewers(order.company_id, exclude=self.salesman)
            self.assertIn(
                f"Nobody named: the review administrators of {order.company_id.name} decide: "
                f"{fallback._review_names()}",
                form.result,
            )
            self.assertNotIn("nobody to ask", form.result)
        # Only the rule's model is offered: the record picker follows the rule's model.
        self.assertEqual(form.record.model_id.model, "sale.order")


@tagged("post_install", "-at_install")
class TestReviewAnalysis(ReviewCommon):
    """The review analysis counts submissions, not step lines."""

    def test_one_row_per_submission(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        Report = self.env["crm.review.report"].with_user(self.review_admin)
        rows = Report.search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)], order="submission")
        self.assertEqual(rows.mapped("state"), ["rejected", "approved"])
        self.assertEqual(rows[0].reason_id, self.reject_reason)
        self.assertEqual(rows[0].step_name, "Manager")
        self.assertEqual(rows[0].reviewer_id, self.reviewer)
        self.assertEqual(rows[1].reviewer_id, self.reviewer2)
        self.assertEqual(rows.mapped("approved_count"), [0, 1])
        self.assertGreaterEqual(min(rows.mapped("cycle_hours")), 0.0)
        # A step opened by one worker and decided by another, a second apart: never less than 0 hours.
        lines = order.sudo().review_ids.filtered(lambda line: line.submission == rows[1].submission)
        lines.write({"pending_since": max(lines.mapped("done_date")) + timedelta(seconds=1)})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(rows[1].cycle_hours, 0.0)
        self.assertEqual(rows[1].cycle_days, 0.0)
        [[count, approved, rejected, rate]] = Report._read_group(
            [("res_id", "=", order.id), ("res_model", "=", "sale.order")],
            aggregates=["submission_count:sum", "approved_count:sum", "rejected_count:sum", "rejection_rate:avg"],
        )
        self.assertEqual((count, approved, rejected, rate), (2, 1, 1, 50.0))

    def test_analysis_is_for_review_administrators(self):
        self.assertTrue(self.env["crm.review.report"].with_user(self.review_admin).has_access("read"))
        self.assertFalse(self.env["crm.review.report"].with_user(self.reviewer).has_access("read"))


@tagged("post_install", "-at_install")
class TestReviewForms(ReviewCommon):
    """What the forms show while a record is under review."""

    def _arch_nodes(self, model, xpath):
        arch = self.env[model].with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        return etree.fromstring(arch).xpath(xpath)

    def test_order_key_fields_read_only_while_pending(self):
        for name in ("partner_id", "order_line", "payment_term_id"):
            node = self._arch_nodes("sale.order", f"//sheet//field[@name='{name}']")[0]
            self.assertIn("review_state == 'pending'", node.get("readonly"), name)

    def test_partner_key_fields_read_only_while_pending(self):
        for name in ("name", "vat", "company_registry"):
            # The customer's own fields (both names: company and person), not those of its contacts' sub-views.
            nodes = self._arch_nodes("res.partner", f"//sheet//field[@name='{name}'][not(ancestor::field)]")
            self.assertTrue(nodes, name)
            for node in nodes:
                self.assertIn("review_state == 'pending'", node.get("readonly") or "", name)

    def test_to_review_lists_lead_with_the_review(self):
        action = self.env.ref("crm_review.sale_order_action_to_review")
        views = self.env["sale.order"].get_views([(view.view_id.id, view.view_mode) for view in action.view_ids])
        list_arch = views["views"]["list"]["arch"]
        self.assertIn('name="review_step_label"', list_arch)
        self.assertIn('name="review_state"', list_arch)
        self.assertNotIn("Create Invoices", list_arch)
        self.assertEqual(action.mobile_view_mode, "kanban")
        self.assertIn("kanban", views["views"])


@tagged("post_install", "-at_install")
class TestReviewUiTours(TourScreenshotsMixin, HttpCase, ReviewCommon):
    """The same paths clicked in a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule.step_ids[1].name = "Finance"

    def test_bulk_approve_from_the_list(self):
        orders = self._order() | self._order()
        orders.with_user(self.salesman).action_review_submit()
        self.start_tour(
            "/odoo/action-crm_review.sale_order_action_to_review", "crm_review_bulk_approve_tour", login="rv_reviewer"
        )
        for order in orders:
            current = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
            self.assertEqual(current.name, "Finance")

    def test_review_admin_creates_a_rule(self):
        self.start_tour(
            "/odoo/action-crm_review.crm_review_rule_action", "crm_review_rule_admin_tour", login="rv_admin"
        )
        rule = self.env["crm.review.rule"].search([("name", "=", "Discounted orders")])
        self.assertEqual(rule.model, "sale.order")
        self.assertEqual(rule.step_ids.name, "Head of sales")
        self.assertEqual(rule.step_ids.approver_type, "users")
        self.assertEqual(rule.step_ids.user_ids, self.reviewer)

    def test_inbox_opens_the_record_and_decides_from_the_row(self):
        self.browser_size = "1280x800"
        orders = self._order() | self._order()
        orders.with_user(self.salesman).action_review_submit()
        self.start_tour(
            "/odoo/action-crm_review.crm_review_action_to_review", "crm_review_inbox_tour", login="rv_reviewer"
        )
        for order in orders:
            current = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
            self.assertEqual(current.name, "Finance")

    def test_salesperson_lands_on_my_submissions(self):
        self.browser_size = "1280x800"
        rejected, pending = self._order(), self._order()
        (rejected | pending).with_user(self.salesman).action_review_submit()
        self._reject(rejected, self.reviewer)
        self._order(user=self.reviewer2).with_user(self.reviewer2).action_review_submit()
        self.start_tour("/odoo", "crm_review_my_submissions_tour", login="rv_salesman")

    def test_phone(self):
        self.browser_size = "390x844"
        self.touch_enabled = True
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.start_tour(
            "/odoo/action-crm_review.sale_order_action_to_review", "crm_review_phone_orders_tour", login="rv_reviewer"
        )
        self.start_tour(
            "/odoo/action-crm_review.crm_review_action_to_review", "crm_review_phone_tour", login="rv_reviewer"
        )
        current = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
        self.assertEqual(current.name, "Finance")


@tagged("post_install", "-at_install")
class TestReviewRuleSettingsTour(HttpCase):
    """A rule saved half-made is a draft: it holds up no order, and cannot be activated without steps."""

    def test_rule_without_steps_cannot_be_activated(self):
        self.start_tour("/odoo/settings", "crm_review_rule_without_steps_tour", login="admin")
        Rule = self.env["crm.review.rule"].with_context(active_test=False)
        self.assertEqual(Rule.search([("name", "=", "Half-made rule")]).state, "draft", "Saved as a draft.")
        self.assertFalse(
            Rule.search([("active", "=", True), ("state", "=", "active"), ("step_ids", "=", False)]),
            "No active rule without steps can stop the company's orders.",
        )


@tagged("post_install", "-at_install")
class TestReviewDailyUseTours(TourScreenshotsMixin, HttpCase, ReviewCommon):
    """What reviewers and review administrators see in the browser every day."""

    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The rule reminds after a day, as by default: a step and its to-do are still due the day they open.
        cls.rule.reminder_after_hours = 24

    def _current_step(self, order):
        return order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")

    def test_marking_the_review_todo_done_refreshes_the_form(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_todo_done_tour", login="rv_reviewer")
        self.assertEqual(self._current_step(order).name, "Controller")
        manager_step = order.review_ids.filtered(lambda line: line.name == "Manager")
        self.assertEqual(manager_step.state, "approved")
        self.assertEqual(manager_step.done_by_id, self.reviewer)
        self.assertFalse(self._review_activities(order, self.reviewer), "The reviewer's to-do is gone.")
        self.assertTrue(self._review_activities(order, self.reviewer2), "The next reviewer has one.")

    def test_systray_lists_the_reviews_due_today(self):
        orders = self._order() | self._order()
        orders.with_user(self.salesman).action_review_submit()
        self.start_tour("/odoo", "crm_review_systray_tour", login="rv_reviewer")
        todos = self._review_activities(orders[0], self.reviewer) | self._review_activities(orders[1], self.reviewer)
        self.assertEqual(set(todos.mapped("date_deadline")), {fields.Date.context_today(self.reviewer)})

    def _approve_step_in_the_browser(self, notification):
        self.reviewer2.review_notification = notification
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        last_mail = self.env["mail.mail"].sudo().search([], order="id desc", limit=1).id or 0
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_approve_step_tour", login="rv_reviewer")
        self.assertEqual(self._current_step(order).name, "Controller")
        self.env["crm.review"]._cron_notify_new_steps()  # started by the cron worker after the click's commit
        mails = self.env["mail.mail"].sudo().search([("id", ">", last_mail)])
        return order, mails.filtered(lambda mail: self.reviewer2.partner_id in mail.recipient_ids)

    def test_next_reviewer_is_emailed_when_it_is_their_turn(self):
        order, mails = self._approve_step_in_the_browser("email")
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.subject, f'"{order.name}: Review: Controller" assigned to you')
        self.assertEqual(mails.model, "sale.order")
        self.assertEqual(mails.res_id, order.id)

    def test_next_reviewer_who_reads_the_digest_gets_no_email(self):
        order, mails = self._approve_step_in_the_browser("digest")
        self.assertFalse(mails)
        self.assertTrue(self._review_activities(order, self.reviewer2), "The to-do is created all the same.")


@tagged("post_install", "-at_install")
class TestReviewInbox(HttpCase, ReviewCommon):
    """Reviews › To Review: what a reviewer needs to decide, and deciding from it."""

    def _inbox(self, user):
        action = self.env.ref("crm_review.crm_review_action_to_review")
        context = ast.literal_eval(action.context)
        self.assertTrue(context.get("search_default_to_review_by_me"))
        search = self.env["crm.review"].with_user(user).get_views([(False, "search")])["views"]["search"]["arch"]
        to_me = etree.fromstring(search).xpath("//filter[@name='to_review_by_me']")[0]
        return self.env["crm.review"].with_user(user).search(ast.literal_eval(to_me.get("domain")))

    def test_inbox_lines_show_customer_and_amount(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        line = self._inbox(self.reviewer)
        self.assertEqual(line.res_name, order.name)
        self.assertEqual(line.partner_id, self.customer)
        self.assertEqual(line.amount, order.amount_total)
        self.assertEqual(line.currency_id, order.currency_id)
        self.assertEqual(line.submitter_id, self.salesman)
        self.assertTrue(line.can_decide)
        self.assertFalse(self._inbox(self.reviewer2), "The second step is not open yet.")
        action = line.action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order.id))

    def test_customer_lines_name_the_customer_itself(self):
        self.env["crm.review.rule"].sudo().create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [
                    Command.create({"name": "Credit", "approver_type": "users", "user_ids": self.reviewer.ids})
                ],
            }
        )
        partner = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        partner.with_user(self.salesman).action_review_submit()
        line = self._inbox(self.reviewer)
        self.assertEqual(line.partner_id, partner)
        self.assertFalse(line.amount)

    def test_inbox_columns_cost_the_same_for_2_or_20_lines(self):
        def cost(count):
            orders = self.env["sale.order"].concat(*(self._order() for _i in range(count)))
            orders.with_user(self.salesman).action_review_submit()
            lines = (
                self.env["crm.review"]
                .with_user(self.reviewer)
                .search([("res_model", "=", "sale.order"), ("res_id", "in", orders.ids), ("state", "=", "pending")])
            )
            self.assertEqual(len(lines), count)
            lines.fetch(["res_model", "res_id", "state"])
            # The records and the columns are read again; the user (their groups, substitutes) stays known.
            self.env["sale.order"].invalidate_model()
            lines.invalidate_recordset(["partner_id", "amount", "currency_id", "can_decide"])
            before = self.env.cr.sql_log_count
            self.assertEqual(lines.partner_id, self.customer)
            self.assertTrue(all(lines.mapped("amount")) and all(lines.mapped("can_decide")))
            self.assertEqual(len(lines.currency_id), 1)
            return self.env.cr.sql_log_count - before

        cost(1)  # caches (access rules, rule settings) filled once
        self.assertEqual(cost(2), cost(20), "The customer, amount and decision columns are read once per page.")

    def test_inbox_list_opens_the_record_on_click(self):
        action = self.env.ref("crm_review.crm_review_action_to_review")
        list_view = action.view_ids.filtered(lambda view: view.view_mode == "list").view_id
        arch = self.env["crm.review"].with_user(self.reviewer).get_views([(list_view.id, "list")])["views"]["list"]
        root = etree.fromstring(arch["arch"])
        self.assertEqual((root.get("action"), root.get("type")), ("action_open_record", "object"))
        columns = {node.get("name") for node in root.xpath("./field[not(@column_invisible)]")}
        self.assertLessEqual(
            {"res_name", "partner_id", "amount", "submitter_id", "step_label", "pending_since"}, columns
        )
        self.assertFalse({"done_by_id", "done_date", "reason_id", "note"} & columns, "Always empty while pending.")
        self.assertEqual(root.xpath("./button/@name"), ["action_approve", "action_reject", "action_forward"])

    def test_approve_and_reject_from_the_line(self):
        first, second = self._order(), self._order()
        (first | second).with_user(self.salesman).action_review_submit()
        lines = self._inbox(self.reviewer)
        line_first = lines.filtered(lambda line: line.res_id == first.id)
        self.assertIs(line_first.action_approve(), True)
        self.assertEqual(first.review_ids.filtered(lambda line: line.name == "Manager").state, "approved")
        self.env.invalidate_all()
        self.assertFalse(line_first.can_decide)
        with self.assertRaisesRegex(UserError, "no longer waiting for a decision"):
            line_first.action_approve()
        action = lines.filtered(lambda line: line.res_id == second.id).action_reject()
        self.assertEqual(action["res_model"], "crm.review.reject")
        self.assertEqual(action["context"]["default_res_ids"], str(second.ids))

    def test_bulk_approve_from_the_inbox(self):
        first, second = self._order(), self._order()
        (first | second).with_user(self.salesman).action_review_submit()
        lines = self._inbox(self.reviewer)
        lines.filtered(lambda line: line.res_id == first.id).action_approve()
        self.authenticate("rv_reviewer", "rv_reviewer")
        result = self.make_jsonrpc_request(
            "/web/action/run",
            {
                "action_id": self.env.ref("crm_review.crm_review_action_approve_selected").id,
                "context": {"active_model": "crm.review", "active_ids": lines.ids, "active_id": lines[0].id},
            },
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("1 approved", result["params"]["message"])
        self.assertIn("1 refused", result["params"]["message"])
        self.assertIn("no longer waiting for a decision", result["params"]["message"])
        for order in first | second:
            current = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
            self.assertEqual(current.name, "Controller", "Each order's first step is approved once, not twice.")


@tagged("post_install", "-at_install")
class TestMySubmissions(ReviewCommon):
    """Reviews › My Submissions: what a salesperson submitted, and what came back to fix."""

    def _search(self, xmlid, user):
        action = self.env.ref(xmlid)
        view = action.view_ids.filtered(lambda view: view.view_mode == "list").view_id
        order = etree.fromstring(view.arch).get("default_order")
        return self.env[action.res_model].with_user(user).search(ast.literal_eval(action.domain), order=order)

    def test_my_orders_are_mine_rejected_first(self):
        other = new_test_user(self.env, "rv_salesman2", groups="sales_team.group_sale_salesman", name="Sam Sales")
        rejected, pending, draft = self._order(), self._order(), self._order()
        (rejected | pending).with_user(self.salesman).action_review_submit()
        self._reject(rejected, self.reviewer)
        theirs = self._order(user=other)
        theirs.with_user(other).action_review_submit()
        mine = self._search("crm_review.sale_order_action_my_submissions", self.salesman)
        self.assertEqual(mine, rejected | pending, "Own submissions only, what was sent back first.")
        self.assertNotIn(draft, mine, "Not submitted.")
        self.assertEqual(self._search("crm_review.sale_order_action_my_submissions", other), theirs)

    def test_my_customers(self):
        self.env["crm.review.rule"].sudo().create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [
                    Command.create({"name": "Credit", "approver_type": "users", "user_ids": self.reviewer.ids})
                ],
            }
        )
        acme, bolt = self.env["res.partner"].create(
            [{"name": "Acme", "is_company": True}, {"name": "Bolt", "is_company": True}]
        )
        acme.with_user(self.salesman).action_review_submit()
        bolt.with_user(self.reviewer2).action_review_submit()
        self.assertEqual(self._search("crm_review.res_partner_action_my_submissions", self.salesman), acme)

    def test_menus_by_role(self):
        def visible(user):
            menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            return {
                name
                for name in ("menu_crm_review_my_orders", "menu_crm_review_my_partners", "menu_crm_review_to_review")
                if self.env.ref(f"crm_review.{name}").id in menus
            }

        self.assertEqual(visible(self.salesman), {"menu_crm_review_my_orders", "menu_crm_review_my_partners"})
        self.assertEqual(
            visible(self.reviewer),
            {"menu_crm_review_my_orders", "menu_crm_review_my_partners", "menu_crm_review_to_review"},
        )
        root = self.env.ref("crm_review.menu_crm_review_root")
        self.assertIn(root.id, self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids())


@tagged("post_install", "-at_install")
class TestReviewStepsList(ReviewCommon):
    """The steps of a rule say who approves in one column, in words."""

    def test_steps_list_headers_are_distinct(self):
        arch = self.env["crm.review.rule"].get_views([(False, "form")])["views"]["form"]["arch"]
        steps_list = etree.fromstring(arch).xpath("//field[@name='step_ids']/list")[0]
        Step = self.env["crm.review.step"]
        headers = [
            node.get("string") or Step._fields[node.get("name")].string
            for node in steps_list.xpath("./field[not(@column_invisible)]")
            if node.get("widget") != "handle"
        ]
        self.assertEqual(len(headers), len(set(headers)), headers)
        self.assertIn("Who approves", headers)

    def test_who_approves_in_words(self):
        manager_field = self.env["ir.model.fields"]._get("sale.order", "user_id")
        steps = self.rule.step_ids
        self.assertEqual(steps[0].approvers_label, "Rita Reviewer")
        self.assertEqual(steps[1].approvers_label, f"Members of {self.controllers.display_name}")
        steps[0].write({"approver_type": "field", "user_field_id": manager_field.id})
        self.assertEqual(steps[0].approvers_label, f"{manager_field.field_description} of the record")
        steps[0].approver_type = "manager"
        self.assertEqual(steps[0].approvers_label, "Submitter's manager / sales team leader")


@tagged("post_install", "-at_install")
class TestAppsDescription(ReviewCommon):
    """The Apps page of the application is its static/description/index.html."""

    def test_apps_page_describes_the_module(self):
        module = self.env["ir.module.module"].search([("name", "=", "crm_review")])
        page = str(module.description_html)
        self.assertIn("Rules and steps", page)
        self.assertIn("审批", page, "A Simplified Chinese summary.")
        html = etree.fromstring(f"<div>{page}</div>", etree.HTMLParser())
        images = html.xpath("//img/@src")
        self.assertIn("/crm_review/static/description/review_banner.png", images)
        for src in images:
            self.assertTrue(src.startswith("/crm_review/static/description/"), src)
            self.assertTrue(file_path(src.lstrip("/")), src)
        self.assertFalse(html.xpath("//script"))
