import xmlrpc.client

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import ReviewCommon

NEVER = "crm-review-never-matches"


@tagged("post_install", "-at_install")
class TestReviewSaleOrder(ReviewCommon):
    def test_small_order_needs_no_review(self):
        order = self._order(price=100)
        self.assertFalse(order.review_required)
        self.assertFalse(order.review_state)
        with self.assertRaisesRegex(UserError, "No review rule applies"):
            order.with_user(self.salesman).action_review_submit()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_submit_creates_first_step_and_activity(self):
        order = self._order()
        self.assertTrue(order.review_required)
        self.assertIs(order.with_user(self.salesman).action_review_submit(), True)
        self.assertEqual(order.review_state, "pending")
        lines = order.review_ids.sorted("position")
        self.assertEqual(lines.mapped("state"), ["pending", "waiting"])
        self.assertEqual(lines[0].reviewer_ids, self.reviewer)
        self.assertEqual(lines[1].reviewer_ids, self.reviewer2, "the whole route is fixed at submission")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer)
        self.assertEqual(order.with_user(self.reviewer).review_step_label, "Manager (1/2)")
        self.assertTrue(order.with_user(self.reviewer).review_to_me)
        self.assertFalse(order.with_user(self.reviewer2).review_to_me)
        note = self._last_note(order)
        self.assertIn("Submitted for review", note.body)
        self.assertTrue(note.subtype_id.internal, "review messages are internal")
        self.assertEqual(self._log_actions(order), ["submit"])

    def test_submit_twice_refused(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaisesRegex(UserError, "already under review"):
            order.with_user(self.salesman).action_review_submit()
        self.assertEqual(len(order.review_ids), 2, "a refused submit creates nothing")

    def test_confirmation_gated_until_approved(self):
        order = self._order()
        with self.assertRaisesRegex(UserError, "not been submitted"):
            order.action_confirm()
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaisesRegex(UserError, "Rita Reviewer"):
            order.action_confirm()
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.review_state, "pending")
        step2 = order.review_ids.filtered(lambda r: r.state == "pending")
        self.assertEqual(step2.name, "Controller")
        self.assertEqual(step2.reviewer_ids, self.reviewer2)
        self.assertFalse(self._review_activities(order, self.reviewer), "the approver's to-do is closed")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2)
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertFalse(self._review_activities(order))
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self._log_actions(order), ["approve", "approve", "submit"])

    def test_only_current_reviewer_can_decide(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaisesRegex(AccessError, "not a reviewer of step Manager"):
            order.with_user(self.reviewer2).action_review_approve()
        # The reject wizard opens for anybody; confirming it is what checks the reviewer.
        with self.assertRaises(AccessError):
            order.with_user(self.outsider)._review_reject(self.reject_reason, "no")
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "pending").name, "Manager")

    def test_second_approval_refused(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        with self.assertRaises(AccessError):
            order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        with self.assertRaisesRegex(UserError, "no step waiting"):
            order.with_user(self.reviewer2).action_review_approve()

    def test_no_self_approval(self):
        order = self._order(user=self.reviewer)
        order.with_user(self.reviewer).action_review_submit()
        pending = order.review_ids.filtered(lambda r: r.state == "pending")
        self.assertNotIn(self.reviewer, pending.reviewer_ids, "the submitter never reviews their own record")
        self.assertTrue(pending.reviewer_ids, "the review administrators step in")
        with self.assertRaises(AccessError):
            order.with_user(self.reviewer).action_review_approve()

    def test_self_approval_when_allowed(self):
        self.rule.allow_self_approval = True
        order = self._order(user=self.reviewer)
        order.with_user(self.reviewer).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "approved").done_by_id, self.reviewer)

    def test_reject_to_submitter_and_resubmit_continues(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2, note="VAT missing")
        self.assertEqual(order.review_state, "rejected")
        rejected = order.review_ids.filtered(lambda r: r.state == "rejected")
        self.assertEqual(rejected.reason_id, self.reject_reason)
        self.assertEqual(rejected.note, "VAT missing")
        self.assertFalse(self._review_activities(order))
        fix = self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix")
        self.assertEqual(fix.user_id, self.salesman)
        self.assertIn("Complete the missing information", fix.note)
        body = self._last_note(order).body
        self.assertIn(self.reject_reason.name, body)
        self.assertIn("VAT missing", body)
        with self.assertRaisesRegex(UserError, "rejected"):
            order.action_confirm()
        # Resubmission continues from the rejected step: the manager's approval stands.
        order.with_user(self.salesman).action_review_submit()
        self.assertFalse(self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix"))
        pending = order.review_ids.filtered(lambda r: r.state == "pending")
        self.assertEqual(pending.name, "Controller")
        self.assertEqual(len(order.review_ids), 3, "history kept: approved, rejected, and the new step")
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(self._log_actions(order), ["approve", "submit", "reject", "approve", "submit"])

    def test_resubmit_restart_mode(self):
        self.rule.resubmit_mode = "restart"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2)
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "pending").name, "Manager")
        self.assertEqual(len(order.review_ids), 4)

    def test_reject_back_to_previous_step(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2, send_back="previous")
        self.assertEqual(order.review_state, "pending")
        pending = order.review_ids.filtered(lambda r: r.state == "pending")
        self.assertEqual(pending.name, "Manager")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer)
        self.assertEqual(order.with_user(self.reviewer).review_step_label, "Manager (1/2)")
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(sorted(order.review_ids.mapped("state")), ["approved", "approved", "approved", "rejected"])

    def test_reject_back_on_first_step_goes_to_submitter(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer, send_back="previous")
        self.assertEqual(order.review_state, "rejected")

    def test_reject_needs_a_reason(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        action = order.with_user(self.reviewer).action_review_reject()
        with self.assertRaisesRegex(UserError, "rejection reason"):
            self.env["crm.review.reject"].with_user(self.reviewer).with_context(**action["context"]).create(
                {"note": "no reason"}
            ).action_confirm()
        cancel_reason = self.env.ref("crm_review.cancel_reason_duplicate")
        with self.assertRaisesRegex(UserError, "rejection reason"):
            order.with_user(self.reviewer)._review_reject(cancel_reason, "wrong type")
        self.assertEqual(order.review_state, "pending")

    def test_reject_wizard_form(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        action = order.with_user(self.reviewer).action_review_reject()
        form = Form(self.env["crm.review.reject"].with_user(self.reviewer).with_context(**action["context"]))
        self.assertEqual(form.send_back, "submitter")
        form.reason_id = self.env.ref("crm_review.reason_wrong_data")
        self.assertIn("correct it", form.guidance)
        form.save().action_confirm()
        self.assertEqual(order.review_state, "rejected")

    def test_recall(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaises(AccessError):
            order.with_user(self.outsider).action_review_recall()
        order.with_user(self.salesman).action_review_recall()
        self.assertEqual(order.review_state, "draft")
        self.assertFalse(self._review_activities(order))
        self.assertEqual(order.review_ids.mapped("state"), ["cancelled", "cancelled"], "history is kept")
        with self.assertRaisesRegex(UserError, "nothing to recall"):
            order.with_user(self.salesman).action_review_recall()
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(len(order.review_ids), 4)

    def test_key_field_change_resets_approved_order(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        # Lines are frozen while under review.
        with self.assertRaisesRegex(UserError, "under review"):
            order.with_user(self.salesman).write({"order_line": [Command.create({"product_id": self.product.id})]})
        order.with_user(self.reviewer).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        order.with_user(self.salesman).order_line[0].price_unit = 5000
        self.assertEqual(order.review_state, "draft")
        self.assertIn("Changed after approval", self._last_note(order).body)
        self.assertEqual(self._log_actions(order)[0], "reset")
        with self.assertRaises(UserError):
            order.action_confirm()

    def test_review_state_cannot_be_forged(self):
        order = self._order()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write({"review_state": "approved"})
        with self.assertRaises(AccessError):
            order.sudo().write({"review_state": "approved"})
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.salesman).create(
                {"partner_id": self.customer.id, "review_state": "approved"}
            )
        order.with_user(self.salesman).action_review_submit()
        line = order.review_ids[0]
        with self.assertRaises(AccessError):
            line.with_user(self.reviewer).write({"state": "approved"})
        with self.assertRaises(AccessError):
            self.env["crm.review"].with_user(self.reviewer).create(
                {"res_model": "sale.order", "res_id": order.id, "name": "Fake", "state": "approved"}
            )
        with self.assertRaises(AccessError):
            order.review_log_ids[0].with_user(self.review_admin).unlink()
        with self.assertRaises(AccessError):
            order.review_log_ids[0].sudo().write({"action": "approve"})
        self.assertEqual(order.review_state, "pending")

    def test_activity_done_approves(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        activity = self._review_activities(order, self.reviewer)
        activity.with_user(self.reviewer).action_feedback(feedback="Looks fine")
        approved = order.review_ids.filtered(lambda r: r.state == "approved")
        self.assertEqual(approved.done_by_id, self.reviewer)
        self.assertEqual(approved.note, "Looks fine")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2)

    def test_activity_done_by_non_reviewer_refused(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        activity = self._review_activities(order, self.reviewer)
        with self.assertRaises(AccessError):
            activity.with_user(self.review_admin).action_feedback()
        self.assertEqual(order.review_state, "pending")

    def test_new_quotation_says_it_will_need_review(self):
        """The form tells, before the quotation is saved, that it will need review (and when it no longer does)."""
        with Form(self.env["sale.order"].with_user(self.salesman)) as form:
            form.partner_id = self.customer
            self.assertFalse(form.review_required)
            with form.order_line.new() as line:
                line.product_id = self.product
                line.price_unit = 5000
            self.assertTrue(form.review_required, "over the rule's threshold: it will need review")
            with form.order_line.edit(0) as line:
                line.price_unit = 10
            self.assertFalse(form.review_required)

    def test_review_todo_only_on_reviewable_records(self):
        product = self.product.product_tmpl_id
        with self.assertRaisesRegex(ValidationError, "can only be planned on a record that can be reviewed"):
            self.env["mail.activity"].with_user(self.review_admin).create(
                {
                    "res_model_id": self.env["ir.model"]._get_id(product._name),
                    "res_id": product.id,
                    "activity_type_id": self.env.ref("crm_review.mail_activity_type_review").id,
                    "user_id": self.review_admin.id,
                }
            )

    def test_stale_review_todo_is_simply_done(self):
        """A Review to-do left on an order no longer under review closes, with no error."""
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.salesman).action_review_recall()
        stale = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("sale.order"),
                "res_id": order.id,
                "activity_type_id": self.env.ref("crm_review.mail_activity_type_review").id,
                "user_id": self.reviewer.id,
            }
        )
        stale.with_user(self.reviewer).action_feedback(feedback="Seen")
        self.assertFalse(stale.exists().filtered("active"), "the to-do is done")
        self.assertEqual(order.review_state, "draft", "nothing was approved")

    def test_all_mode_needs_everyone(self):
        self.controllers.user_ids = [Command.link(self.director.id)]
        self.rule.step_ids[1].approval_mode = "all"
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2 | self.director)
        order.with_user(self.director).action_review_approve()
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer2)
        to_director = self.env["sale.order"].with_user(self.director).search([("review_to_me", "=", True)])
        self.assertNotIn(order, to_director, "already approved by the director")
        with self.assertRaises(AccessError):
            order.with_user(self.director).action_review_approve()
        order.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(order.review_state, "approved")

    def test_step_condition_skips(self):
        self.rule.step_ids[1].domain = "[('amount_total', '>', 10000)]"
        order = self._order(price=2000)
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(order.review_ids.sorted("position").mapped("state"), ["pending", "skipped"])
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.review_state, "approved")

    def test_rules_merge_in_sequence(self):
        self.env["crm.review.rule"].create(
            {
                "name": "Director for big orders",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "domain": "[('amount_total', '>', 10000)]",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Director",
                            "sequence": 15,
                            "approver_type": "users",
                            "user_ids": [Command.set(self.director.ids)],
                        }
                    )
                ],
            }
        )
        order = self._order(price=20000)
        order.with_user(self.salesman).action_review_submit()
        self.assertEqual(order.review_ids.sorted("position").mapped("name"), ["Manager", "Director", "Controller"])
        small = self._order(price=2000)
        small.with_user(self.salesman).action_review_submit()
        self.assertEqual(small.review_ids.sorted("position").mapped("name"), ["Manager", "Controller"])

    def test_field_and_manager_approvers(self):
        team = self.env["crm.team"].create({"name": "Team Dora", "user_id": self.director.id})
        self.rule.step_ids[0].write({"approver_type": "manager", "user_ids": [Command.clear()]})
        self.rule.step_ids[1].write(
            {
                "approver_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
            }
        )
        order = self._order(user=self.reviewer)
        order.team_id = team
        order.with_user(self.reviewer).action_review_submit()
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "pending").reviewer_ids, self.director)
        order.with_user(self.director).action_review_approve()
        # The field step points at the submitter themselves: review administrators step in.
        pending = order.review_ids.filtered(lambda r: r.state == "pending")
        self.assertNotIn(self.reviewer, pending.reviewer_ids)
        self.assertIn(self.review_admin, pending.reviewer_ids)

    def test_rule_edit_does_not_change_review_in_progress(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.rule.step_ids[0].user_ids = [Command.set(self.director.ids)]
        with self.assertRaises(AccessError):
            order.with_user(self.director).action_review_approve()
        order.with_user(self.reviewer).action_review_approve()

    def test_reject_limit_escalates(self):
        self.rule.write({"reject_limit": 2, "escalation_user_id": self.director.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        escalation = "crm_review.mail_activity_type_review_escalation"
        self.assertFalse(self._review_activities(order, xmlid=escalation))
        order.with_user(self.salesman).action_review_submit()
        self._reject(order, self.reviewer)
        self.assertEqual(self._review_activities(order, xmlid=escalation).user_id, self.director)
        self.assertIn("escalated", self._last_note(order).body)
        self.assertIn("escalate", self._log_actions(order))

    def test_invalid_rule_domain(self):
        with self.assertRaisesRegex(ValidationError, "not valid for .*no_such_field"):
            self.rule.domain = "[('no_such_field', '=', 1)]"
        with self.assertRaisesRegex(ValidationError, "cannot be used"):
            self.rule.domain = "[('amount_total', '>'"
        with self.assertRaises(ValidationError):
            self.rule.step_ids[0].domain = "[('nope', '=', 1)]"

    def test_delete_pending_refused_and_cleanup(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        with self.assertRaisesRegex(UserError, "under review"):
            order.sudo().unlink()
        order.with_user(self.salesman).action_review_recall()
        order_id = order.id
        order.sudo().unlink()
        domain = [("res_model", "=", "sale.order"), ("res_id", "=", order_id)]
        self.assertFalse(self.env["crm.review"].sudo().search(domain))
        self.assertFalse(self.env["crm.review.log"].sudo().search(domain))

    def test_customer_must_be_approved(self):
        self.env["crm.review.rule"].create(
            {
                "name": "New customers",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', False)]",
                "step_ids": [
                    Command.create(
                        {"name": "Credit check", "approver_type": "users", "user_ids": [Command.set(self.reviewer.ids)]}
                    )
                ],
            }
        )
        order = self._order(price=100)
        with self.assertRaisesRegex(UserError, "customer must be approved"):
            order.action_confirm()
        self.customer.with_user(self.salesman).action_review_submit()
        self.customer.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self.customer.review_state, "approved")
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_quick_created_customer_cannot_slip_in(self):
        self.env["crm.review.rule"].create(
            {
                "name": "All customers",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "step_ids": [
                    Command.create(
                        {"name": "Check", "approver_type": "users", "user_ids": [Command.set(self.reviewer.ids)]}
                    )
                ],
            }
        )
        partner_id, _name = self.env["res.partner"].with_user(self.salesman).name_create("Quick Co")
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create({"partner_id": partner_id, "order_line": [Command.create({"product_id": self.product.id})]})
        )
        with self.assertRaisesRegex(UserError, "Quick Co"):
            order.action_confirm()

    def test_block_sending(self):
        self.rule.block_sending = True
        order = self._order()
        with self.assertRaisesRegex(UserError, "cannot be sent"):
            order.with_user(self.salesman).action_quotation_send()
        with self.assertRaisesRegex(UserError, "cannot be sent"):
            order.with_user(self.salesman).action_quotation_sent()
        self.rule.block_sending = False
        self.assertEqual(order.with_user(self.salesman).action_quotation_send()["res_model"], "mail.compose.message")

    def test_bulk_submit_and_approve(self):
        orders = self._order() | self._order() | self._order()
        orders.with_user(self.salesman).action_review_submit()
        self.assertEqual(set(orders.mapped("review_state")), {"pending"})
        to_me = self.env["sale.order"].with_user(self.reviewer).search([("review_to_me", "=", True)])
        self.assertEqual(to_me, orders)
        self.assertEqual(self.env["sale.order"].with_user(self.reviewer).search_count([("review_to_me", "=", True)]), 3)
        orders.with_user(self.reviewer).action_review_approve()
        self.assertFalse(self.env["sale.order"].with_user(self.reviewer).search([("review_to_me", "=", True)]))
        self.assertEqual(self.env["sale.order"].with_user(self.reviewer2).search([("review_to_me", "=", True)]), orders)
        mine = self.env["sale.order"].with_user(self.salesman).search([("review_submitted_by_me", "=", True)])
        self.assertEqual(mine, orders)

    def test_comment_required(self):
        self.rule.step_ids[0].comment_required = True
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        action = order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(action["res_model"], "crm.review.approve")
        with self.assertRaisesRegex(UserError, "needs a comment"):
            order.with_user(self.reviewer).with_context(crm_review_no_wizard=True).action_review_approve()
        wizard = (
            self.env["crm.review.approve"]
            .with_user(self.reviewer)
            .with_context(**action["context"])
            .create({"note": "Checked the margin"})
        )
        wizard.action_confirm()
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "approved").note, "Checked the margin")

    def test_substitute_can_decide(self):
        self.reviewer.write({"review_substitute_id": self.director.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(order.with_user(self.director).review_to_me)
        order.with_user(self.director).action_review_approve()
        self.assertEqual(order.review_ids.filtered(lambda r: r.state == "approved").done_by_id, self.director)

    def test_simulate(self):
        order = self._order(price=5000)
        wizard = self.env["crm.review.simulate"].create(
            {"rule_id": self.rule.id, "res_ref": f"sale.order,{order.id}", "submitter_id": self.salesman.id}
        )
        self.assertIn("Rita Reviewer", wizard.result)
        self.assertIn("Rob Reviewer", wizard.result)
        small = self._order(price=10)
        wizard.res_ref = f"sale.order,{small.id}"
        self.assertIn("does not match", wizard.result)
        self.assertFalse(small.review_ids, "simulating creates no review")

    def test_simulate_an_inactive_rule_alone(self):
        """A rule is tried before it is switched on, alone: the active rule's steps are not shown."""
        legal = (
            self.env["crm.review.rule"]
            .sudo()
            .create(
                {
                    "name": "Legal check",
                    "state": "active",
                    "active": False,
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "domain": "[('amount_total', '>', 100)]",
                    "step_ids": [
                        Command.create({"name": "Legal", "approver_type": "users", "user_ids": self.director.ids}),
                        Command.create(
                            {
                                "name": "Big deals",
                                "approver_type": "users",
                                "user_ids": self.reviewer.ids,
                                "domain": "[('amount_total', '>', 100000)]",
                            }
                        ),
                    ],
                }
            )
        )
        order = self._order(price=5000)
        wizard = self.env["crm.review.simulate"].create(
            {"rule_id": legal.id, "res_ref": f"sale.order,{order.id}", "submitter_id": self.salesman.id}
        )
        self.assertIn("<td>Legal</td><td>To review</td><td>Dora Director</td>", wizard.result)
        self.assertIn("<td>Big deals</td><td>Skipped</td><td>-</td>", wizard.result)
        self.assertNotIn("Manager", wizard.result, "only the simulated rule")
        self.assertFalse(legal.active)
        self.assertFalse(order.review_ids, "simulating creates no review")

    def test_archived_rule_keeps_its_reviews_frozen(self):
        """Archiving a rule stops new reviews, not the ones in progress: their key fields stay frozen."""
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.rule.active = False
        terms = self.env.ref("account.account_payment_term_30days")
        with self.assertRaisesRegex(UserError, "is under review: Payment Terms cannot be changed"):
            order.with_user(self.salesman).write({"payment_term_id": terms.id})
        order.with_user(self.salesman).write({"note": "Delivered on Mondays"})  # not a key field


@tagged("post_install", "-at_install")
class TestReviewRulesLeaveOdooFlowsAlone(HttpCase):
    """Odoo's own edits, as a salesperson makes them over RPC and in forms, with review rules configured.

    An active rule that matches none of these records, with key fields Odoo
    computes but lets users edit (payment terms, pricelist, salesperson,
    language), and an inactive rule that matches every record: neither may
    stop an edit of a record that is not under review.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman,product.group_product_pricelist"
        cls.salesman = new_test_user(env, "odoo_flow_sales", groups=sales, name="Flo Sales")
        cls.contact_manager = new_test_user(
            env, "odoo_flow_contacts", groups=f"{sales},base.group_partner_manager", name="Cole Contacts"
        )
        cls.reviewer = new_test_user(
            env, "odoo_flow_reviewer", groups=f"{sales},crm_review.group_review_reviewer", name="Rhea Reviewer"
        )
        for model, key_fields in (
            ("sale.order", ["order_line", "partner_id", "payment_term_id", "pricelist_id"]),
            ("res.partner", ["name", "vat", "company_registry", "user_id", "lang"]),
        ):
            reference = "client_order_ref" if model == "sale.order" else "ref"
            cls._rule(model, f"Key {model}", [(reference, "=", NEVER)], key_fields)
            cls._rule(model, f"Every {model} (draft)", [], key_fields).active = False
        cls.customer = env["res.partner"].create({"name": "Flow Customer"})
        cls.product = env["product.product"].create({"name": "Flow widget", "list_price": 100.0})
        cls.terms = env.ref("account.account_payment_term_30days")
        cls.pricelist = env["product.pricelist"].create({"name": "Flow export prices"})

    @classmethod
    def _rule(cls, model, name, domain, key_fields):
        return cls.env["crm.review.rule"].create(
            {
                "name": name,
                "model_id": cls.env["ir.model"]._get_id(model),
                "domain": repr(domain),
                "key_field_ids": [
                    Command.set(
                        cls.env["ir.model.fields"].search([("model", "=", model), ("name", "in", key_fields)]).ids
                    )
                ],
                "step_ids": [Command.create({"name": "Check", "user_ids": [Command.set(cls.reviewer.ids)]})],
            }
        )

    def xmlrpc(self, user, model, method, *args):
        """``model.method(*args)`` over /xmlrpc/2/object, logged in with ``user``'s password."""
        self.env.flush_all()
        try:
            uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, user.login, user.login, {})
            self.assertEqual(uid, user.id)
            return self.xmlrpc_object.execute_kw(self.env.cr.dbname, uid, user.login, model, method, list(args))
        except xmlrpc.client.Fault as fault:
            self.fail(f"{user.name}: {model}.{method} refused: {fault.faultString}")
        finally:
            self.env.invalidate_all()

    def test_salesperson_sets_payment_terms_and_pricelist(self):
        order_id = self.xmlrpc(
            self.salesman,
            "sale.order",
            "create",
            {"partner_id": self.customer.id, "order_line": [(0, 0, {"product_id": self.product.id})]},
        )
        self.xmlrpc(self.salesman, "sale.order", "write", [order_id], {"payment_term_id": self.terms.id})
        self.xmlrpc(self.salesman, "sale.order", "write", [order_id], {"pricelist_id": self.pricelist.id})
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual((order.payment_term_id, order.pricelist_id), (self.terms, self.pricelist))
        self.assertFalse(order.review_required)
        # The form sends them with the other fields its onchanges computed.
        order = self.env["sale.order"].with_user(self.salesman).create({"partner_id": self.customer.id})
        with Form(order.with_user(self.salesman)) as form:
            form.payment_term_id = self.terms
            form.pricelist_id = self.pricelist
        self.assertEqual((order.payment_term_id, order.pricelist_id), (self.terms, self.pricelist))

    def test_user_changes_the_company_of_a_contact(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        company = self.env["res.partner"].create(
            {"name": "Flow Holding", "is_company": True, "lang": "zh_CN", "user_id": self.salesman.id}
        )
        contact = self.env["res.partner"].create({"name": "Flow Contact", "lang": "en_US"})
        # The form: the new company proposes its language and salesperson, sent with it.
        with Form(contact.with_user(self.contact_manager)) as form:
            form.parent_id = company
        self.assertEqual((contact.parent_id, contact.lang, contact.user_id), (company, "zh_CN", self.salesman))
        # Over RPC, what the form sends back to the server.
        other = self.env["res.partner"].create({"name": "Flow Other", "lang": "en_US"})
        values = {"parent_id": company.id, "lang": "zh_CN", "user_id": self.salesman.id}
        self.xmlrpc(self.contact_manager, "res.partner", "write", [other.id], values)
        self.assertEqual((other.parent_id, other.lang, other.user_id), (company, "zh_CN", self.salesman))
        self.assertFalse(other.review_required)
        # The company's registry number, that Odoo computes but lets users type.
        self.xmlrpc(self.contact_manager, "res.partner", "write", [company.id], {"company_registry": "0477472701"})
        self.assertEqual(company.company_registry, "0477472701")
