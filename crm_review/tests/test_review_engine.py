from datetime import datetime

import pytz

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tests import Form, freeze_time, new_test_user, tagged

from odoo.addons.crm_review.hooks import uninstall_hook

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewEngine(ReviewCommon):
    """The engine's answers to what users and integrators actually do."""

    def test_gate_sees_a_change_made_in_the_same_transaction(self):
        order = self._order(price=10)
        self.assertFalse(order.review_required)
        order.order_line.price_unit = 50010
        with self.assertRaisesRegex(UserError, "has not been submitted"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_no_line_added_to_a_pending_order(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        total = order.amount_total
        with self.assertRaisesRegex(UserError, "under review"):
            self.env["sale.order.line"].with_user(self.salesman).create(
                {"order_id": order.id, "product_id": self.product.id, "product_uom_qty": 100, "price_unit": 1200}
            )
        self.assertEqual(order.amount_total, total)

    def test_merge_of_reviewed_partners_keeps_both_histories(self):
        rule = self.env["crm.review.rule"].create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [Command.create({"name": "Credit", "user_ids": [Command.set(self.reviewer.ids)]})],
            }
        )
        first, second = self.env["res.partner"].create(
            [{"name": "Merge One", "is_company": True}, {"name": "Merge Two", "is_company": True}]
        )
        (first | second).with_user(self.salesman).action_review_submit()
        (first | second).with_user(self.reviewer).action_review_approve()
        trail = (first | second).review_log_ids
        self.assertEqual(len(trail), 4)
        wizard = self.env["base.partner.merge.automatic.wizard"].create(
            {"partner_ids": [Command.set((first | second).ids)], "dst_partner_id": first.id}
        )
        wizard.action_merge()
        self.assertFalse(second.exists())
        self.assertEqual(first.review_state, "approved")
        self.assertEqual(first.review_log_ids, trail, "the surviving partner keeps both histories")
        self.assertTrue(rule.active)

    def test_out_of_range_and_deleted_settings_are_refused_clearly(self):
        with self.assertRaisesRegex(ValidationError, "cannot exceed"):
            self.rule.reminder_after_hours = 2000000000
        with self.assertRaisesRegex(UserError, "approve review steps"), self.cr.savepoint():
            self.controllers.unlink()
        self.assertTrue(self.controllers.exists(), "a group named by a step stays")

    def test_rejection_needs_an_active_reject_reason_and_a_known_destination(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        archived = self.env["crm.review.reason"].create({"name": "Old reason", "reason_type": "reject"})
        archived.active = False
        with self.assertRaisesRegex(UserError, "active rejection reason"):
            order.with_user(self.reviewer)._review_reject(archived, "no")
        with self.assertRaisesRegex(UserError, "active rejection reason"):
            order.with_user(self.reviewer)._review_reject(self.env.ref("crm_review.cancel_reason_price"), "no")
        with self.assertRaisesRegex(UserError, "Send back must be one of"):
            self.env["crm.review.reject"].with_user(self.reviewer).with_context(
                default_res_model="sale.order", default_res_ids=str(order.ids)
            ).create({"reason_id": self.reject_reason.id, "send_back": "nowhere"})
        self.assertEqual(order.review_state, "pending")
        self.assertFalse(order.review_ids.filtered(lambda line: line.state == "rejected"))

    def test_bad_ids_are_refused_before_the_database(self):
        for ids in (["abc"], [999999999]):
            with self.assertRaisesRegex(UserError, "Invalid record ids|no longer exist"):
                self.env["sale.order"].with_user(self.reviewer).browse(ids).action_review_approve()

    def test_records_deleted_meanwhile_are_named(self):
        """Existence is looked up only when a record shows none of its review (no line, or a read that fails)."""
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        gone = self.env["sale.order"].browse(999999999)
        for user in (self.salesman, self.env.ref("base.user_admin")):
            with self.assertRaisesRegex(UserError, r"999999999 no longer exist"):
                gone.with_user(user).action_review_submit()
        with self.assertRaisesRegex(UserError, r"999999999 no longer exist"):
            (order | gone).with_user(self.reviewer).action_review_approve()
        with self.assertRaisesRegex(UserError, r"999999999 no longer exist"):
            (order | gone).with_user(self.reviewer)._review_reject(self.reject_reason, "no")
        self.assertEqual(order.review_state, "pending")

    def test_a_rule_without_steps_cannot_be_active(self):
        with self.assertRaisesRegex(ValidationError, "has no step"):
            self.env["crm.review.rule"].create(
                {"name": "Half-made", "state": "active", "model_id": self.env["ir.model"]._get_id("sale.order")}
            )
        archived = self.env["crm.review.rule"].create(
            {
                "name": "Archived rule",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "active": False,
            }
        )
        with self.assertRaisesRegex(ValidationError, "has no step"):
            archived.active = True
        # A draft may be saved half-made: it applies to nothing until activated, and Activate refuses it.
        draft = self.env["crm.review.rule"].create(
            {"name": "Draft rule", "model_id": self.env["ir.model"]._get_id("sale.order")}
        )
        self.assertEqual(draft.state, "draft")
        with self.assertRaisesRegex(UserError, "has no step"):
            draft.action_activate()
        with self.assertRaisesRegex(ValidationError, "has no step"):
            draft.state = "active"

    def test_group_step_keeps_to_the_record_company(self):
        other = self.env["res.company"].create({"name": "Review Co B"})
        b_admin = new_test_user(
            self.env,
            "rv_admin_b",
            groups="sales_team.group_sale_salesman,crm_review.group_review_manager",
            company_id=other.id,
            company_ids=[Command.set([other.id])],
        )
        b_salesman = new_test_user(
            self.env,
            "rv_sales_b",
            groups="sales_team.group_sale_salesman",
            company_id=other.id,
            company_ids=[Command.set([other.id])],
        )
        order = (
            self.env["sale.order"]
            .with_user(b_salesman)
            .with_company(other)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": other.id,
                    "order_line": [Command.create({"product_id": self.product.id, "price_unit": 5000})],
                }
            )
        )
        order.with_user(b_salesman).with_company(other).action_review_submit()
        line = order.review_ids.filtered(lambda line: line.state == "pending")
        # The step names an A-only user: company B's review administrators decide instead.
        self.assertNotIn(self.reviewer, line.reviewer_ids)
        self.assertIn(b_admin, line.reviewer_ids)
        self.assertFalse(line.reviewer_ids.filtered(lambda u: other not in u.company_ids))

    def test_fallback_never_names_odoobot_or_archived_users(self):
        admins = self.env["crm.review"]._review_fallback_reviewers(self.env.company)
        self.assertTrue(admins)
        self.assertNotIn(self.env.ref("base.user_root"), admins)
        self.assertFalse(admins.filtered(lambda u: not u.active or u.share))

    def test_server_actions_on_decisions(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Tag approved orders",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "state": "code",
                # Runs as the reviewer, who reads orders only: its author (a system administrator, the only
                # one who writes server actions) says what runs in sudo; its groups open it to reviewers.
                "code": "records.sudo().write({'note': 'approved by rule'})",
                "group_ids": [Command.set(self.env.ref("crm_review.group_review_reviewer").ids)],
            }
        )
        self.rule.action_approved_id = action
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self.assertFalse(order.note and "approved by rule" in str(order.note), "the rule's action waits for the end")
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertIn("approved by rule", str(order.note))

    def test_reviewer_chooses_the_email_when_a_step_is_theirs(self):
        self.reviewer.review_notification = "email"
        self.reviewer2.review_notification = "digest"
        job = self.env.ref("crm_review.ir_cron_review_new_steps")
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)]), "the job starts after the commit"
        )
        self.assertFalse(self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)]))
        self.env["crm.review"]._cron_notify_new_steps()
        assigned = self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertIn(self.reviewer.partner_id, assigned.recipient_ids)
        self.env["crm.review"]._cron_notify_new_steps()
        again = self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(again, assigned, "told once")
        order.with_user(self.reviewer).action_review_approve()
        self.env["crm.review"]._cron_notify_new_steps()
        assigned = self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertNotIn(self.reviewer2.partner_id, assigned.recipient_ids, "reviewer 2 asked for the digest only")

    def test_the_email_job_runs_once_a_minute_for_every_decision_of_that_minute(self):
        self.reviewer.review_notification = "email"
        self.reviewer2.review_notification = "digest"
        job = self.env.ref("crm_review.ir_cron_review_new_steps")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", job.id)]).unlink()
        orders = self._order() | self._order() | self._order()
        with freeze_time("2026-03-02 10:15:20"):
            for order in orders:
                order.with_user(self.salesman).action_review_submit()
        triggers = Trigger.search([("cron_id", "=", job.id)])
        # Due at the next minute, not now: no connection opened after each commit to wake the cron workers.
        self.assertEqual(triggers.mapped("call_at"), [datetime(2026, 3, 2, 10, 16)], "one run for the three")
        with freeze_time("2026-03-02 10:16:05"):
            orders[0].with_user(self.reviewer).action_review_approve()
        self.assertEqual(len(Trigger.search([("cron_id", "=", job.id)])), 1, "reviewer 2 wants no email")
        self.assertEqual(
            sorted(
                self.env["crm.review"]
                .search([("res_model", "=", "sale.order"), ("res_id", "in", orders.ids), ("notify_due", "=", True)])
                .mapped("res_id")
            ),
            sorted(orders.ids),
            "the job emails the three steps in one run",
        )

    def test_a_step_decided_before_the_job_runs_is_not_emailed(self):
        self.reviewer.review_notification = "email"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.salesman).action_review_recall()
        self.env["crm.review"]._cron_notify_new_steps()
        self.assertFalse(self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)]))
        self.assertFalse(self.env["crm.review"].search([("notify_due", "=", True)]))

    def test_uninstall_removes_open_review_todos(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(self._review_activities(order))
        other = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("sale.order"),
                "res_id": order.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "user_id": self.salesman.id,
            }
        )
        uninstall_hook(self.env)
        self.assertFalse(self._review_activities(order))
        self.assertTrue(other.exists(), "other to-dos stay")

    def test_step_form_offers_only_user_fields(self):
        with Form(self.env["crm.review.step"].with_context(default_rule_id=self.rule.id)) as step:
            step.name = "By salesperson"
            step.approver_type = "field"
            step.user_field_id = self.env["ir.model.fields"]._get("sale.order", "user_id")
        self.assertEqual(step.record.user_field_id.name, "user_id")

    def test_company_rule_refuses_users_of_other_companies(self):
        other = self.env["res.company"].create({"name": "Review Co C"})
        with self.assertRaisesRegex(ValidationError, "not allowed in that company"):
            self.env["crm.review.rule"].create(
                {
                    "name": "Company C orders",
                    "state": "active",
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "company_id": other.id,
                    "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
                }
            )

    def test_shared_contact_goes_through_the_rules_of_the_submitters_company(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "Review Co B2"})
        both = new_test_user(
            self.env,
            "rv_both",
            groups="sales_team.group_sale_salesman,crm_review.group_review_manager",
            company_ids=[Command.set([company_a.id, company_b.id])],
        )
        Rule = self.env["crm.review.rule"]
        partner_model = self.env["ir.model"]._get_id("res.partner")
        rule_a, rule_b = Rule.create(
            [
                {
                    "name": f"Contacts {company.name}",
                    "state": "active",
                    "model_id": partner_model,
                    "company_id": company.id,
                    "domain": "[('name', 'like', 'Shared')]",
                    "step_ids": [Command.create({"name": "Check", "user_ids": [Command.set(both.ids)]})],
                }
                for company in (company_a, company_b)
            ]
        )
        shared = self.env["res.partner"].create({"name": "Shared Contact", "company_id": False})
        as_a = shared.with_user(self.salesman).with_context(allowed_company_ids=[company_a.id])
        self.assertEqual(set(as_a.env["crm.review.rule"]._rules_for(as_a)), {rule_a})
        as_b = shared.with_user(both).with_context(allowed_company_ids=[company_b.id, company_a.id])
        self.assertEqual(set(as_b.env["crm.review.rule"]._rules_for(as_b)), {rule_b})
        as_a.action_review_submit()
        self.assertEqual(shared.review_ids.rule_id, rule_a)

    def test_reviewer_reads_states_and_steps_in_their_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_review"], ["zh_CN"], overwrite=True)
        self.rule.step_ids[0].with_context(lang="zh_CN").name = "经理审批"
        self.reviewer.lang = "zh_CN"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        # Submitted by an English user, read by a Chinese reviewer: the step in Chinese.
        as_reviewer = order.with_user(self.reviewer).with_context(lang="zh_CN")
        self.assertTrue(as_reviewer.review_step_label.startswith("经理审批"))
        self.assertTrue(order.with_user(self.salesman).review_step_label.startswith("Manager"))
        draft = self._order().with_user(self.salesman).with_context(lang="zh_CN")
        with self.assertRaisesRegex(UserError, "状态：未提交"):
            draft.action_review_approve()

    def test_banner_counts_applying_steps_and_shows_the_rejection(self):
        self.rule.step_ids[1].domain = "[('amount_total', '>', 100000)]"
        self.rule.step_ids[0].copy({"name": "Director", "sequence": 30})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(order.review_step_label, "Manager (1/2)", "the skipped step is not counted")
        self._reject(order, self.reviewer, note="VAT <b>missing</b>")
        summary = order.with_user(self.salesman).review_last_rejection
        self.assertIn("Manager", summary)
        self.assertIn(self.reject_reason.name, summary)
        self.assertIn(self.reject_reason.guidance, summary)
        self.assertIn("VAT &lt;b&gt;missing&lt;/b&gt;", summary, "the comment is escaped")

    def test_deciding_needs_the_record_in_the_selected_companies(self):
        other = self.env["res.company"].create({"name": "Review Co D"})
        self.reviewer.company_ids = [Command.link(other.id)]
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        only_d = order.with_user(self.reviewer).with_context(allowed_company_ids=[other.id])
        with self.assertRaises(AccessError):
            only_d.action_review_approve()
        self.assertEqual(order.review_state, "pending")
        order.with_user(self.reviewer).with_context(allowed_company_ids=[order.company_id.id]).action_review_approve()
        self.assertEqual(order.review_ids.filtered(lambda line: line.state == "approved").done_by_id, self.reviewer)

    def test_a_list_submitted_at_once_makes_one_email_per_reviewer(self):
        self.reviewer.review_notification = "email"
        orders = self._order() | self._order() | self._order()
        before = self.env["mail.mail"].sudo().search([("recipient_ids", "in", self.reviewer.partner_id.ids)])
        orders.with_user(self.salesman).action_review_submit()
        self.env["crm.review"]._cron_notify_new_steps()
        emails = (
            self.env["mail.mail"]
            .sudo()
            .search([("recipient_ids", "in", self.reviewer.partner_id.ids), ("id", "not in", before.ids)])
        )
        self.assertEqual(len(emails), 1, "one email listing the three orders")
        self.assertEqual(emails.subject, "Reviews waiting for you")
        for order in orders:
            self.assertIn(order.name, emails.body_html)
        self.assertIn(self.customer.name, emails.body_html)
        self.assertIn("Sally Sales", emails.body_html, "the digest names the submitter")

    def test_to_review_search_agrees_with_the_decision_rule(self):
        """The search form of "who may decide" finds exactly the lines the decision rule lets the user decide."""
        orders = self._order() | self._order() | self._order()
        orders.with_user(self.salesman).action_review_submit()
        orders[0].with_user(self.reviewer).action_review_approve()
        self._reject(orders[1], self.reviewer)
        Review = self.env["crm.review"].sudo()
        lines = Review.search([("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)])
        waiting = {}
        for user in (self.reviewer, self.reviewer2, self.director, self.salesman):
            domain = Review._review_acting_domain(user)
            found = Review.search(domain & Domain("id", "in", lines.ids))
            substituted = user._review_substituted_users()
            self.assertEqual(found, lines.filtered(lambda line, u=user, s=substituted: line._review_acting_for(u, s)))
            self.assertEqual(found, lines.filtered_domain(domain), "the in-memory filter says the same")
            waiting[user] = found.mapped("res_id")
        self.assertEqual(waiting[self.reviewer], orders[2].ids)
        self.assertEqual(waiting[self.reviewer2], orders[0].ids)
        self.assertEqual(waiting[self.salesman], [])
        # The relation searched holds pending steps only: decided ones leave it.
        kept = Review.search([("id", "in", lines.ids), ("waiting_reviewer_ids", "!=", False)])
        self.assertEqual(kept, lines.filtered(lambda line: line.state == "pending"))
        self.assertEqual(kept.filtered(lambda line: line.res_id == orders[0].id).waiting_reviewer_ids, self.reviewer2)


@tagged("post_install", "-at_install")
class TestReviewRaceLoser(ReviewCommon):
    """Who decides is said once (``_review_decision_policy``); the loser of a race reads who won."""

    def test_loser_reads_who_approved_and_when_in_their_time_zone(self):
        self.rule.step_ids[0].user_ids = self.reviewer | self.director
        self.director.tz = "Asia/Shanghai"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        line = order.sudo().review_ids.filtered(lambda line: line.name == "Manager" and line.state == "approved")
        local = pytz.utc.localize(line.done_date).astimezone(pytz.timezone("Asia/Shanghai")).strftime("%H:%M")
        expected = f"Step Manager of {order.name} was already approved by Rita Reviewer at {local}."
        with self.assertRaises(AccessError) as refusal:
            order.with_user(self.director).action_review_approve()
        self.assertEqual(refusal.exception.args[0], expected)
        # The list action tells the same, from the same policy.
        done, refused = self.env["crm.review.bulk"].with_user(self.director)._review_bulk(order, "approve")
        self.assertFalse(done)
        self.assertEqual(refused[order.with_user(self.director)], expected)
        # Once the review is over, a late click reads the same, not "no step waiting".
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        with self.assertRaises(UserError) as refusal:
            order.with_user(self.director).action_review_approve()
        self.assertEqual(refusal.exception.args[0], expected)

    def test_rejection_is_told_to_the_other_reviewers(self):
        self.rule.step_ids[0].user_ids = self.reviewer | self.director
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        with self.assertRaisesRegex(UserError, r"was already rejected by Rita Reviewer at \d\d:\d\d\."):
            order.with_user(self.director).action_review_approve()
