"""Forward a step to another reviewer, revoke one's own decision: as users do it, over RPC."""

import json
import logging
import uuid
import xmlrpc.client
from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from . import test_reliability_concurrency as races
from .common import ReviewCommon
from .reliability import Committed, outcome, sale_rule_vals
from .screenshots import TourScreenshotsMixin

_logger = logging.getLogger(__name__)


class Refused(Exception):
    """An RPC call the server refused, with the message the user reads."""


@tagged("post_install", "-at_install")
class RoutingCommon(HttpCase, ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        sales = "sales_team.group_sale_salesman,base.group_partner_manager"
        reviewers = f"{sales},crm_review.group_review_reviewer"
        cls.li = new_test_user(env, "rv_li_na", groups=reviewers, name="Li Na")
        cls.portal = new_test_user(env, "rv_portal", groups="base.group_portal", name="Pat Portal")
        cls.gone = new_test_user(env, "rv_gone_user", groups=reviewers, name="Gus Gone")
        cls.gone.active = False
        cls.company_b = env["res.company"].create({"name": "Routing Company B"})
        cls.reviewer_b = new_test_user(
            env,
            "rv_reviewer_b",
            groups=reviewers,
            name="Bo Other Company",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        # A salesperson who also reviews: may submit, and is refused as the reviewer of their own record.
        cls.seller_reviewer = new_test_user(env, "rv_seller_reviewer", groups=reviewers, name="Sue Sells")
        expiration = datetime.now() + timedelta(hours=12)
        cls.api_keys = {
            user.id: env["res.users.apikeys"].with_user(user)._generate(None, "routing", expiration)
            for user in (cls.reviewer,)
        }
        cls.manager_step = cls.rule.step_ids.filtered(lambda step: step.name == "Manager")

    # ------------------------------------------------------------------
    # As users call the server
    # ------------------------------------------------------------------

    def xmlrpc(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over /xmlrpc/2/object, logged in with ``user``'s password."""
        self.env.flush_all()
        try:
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
            )
        except xmlrpc.client.Fault as fault:
            raise Refused(fault.faultString) from None
        finally:
            self.env.invalidate_all()

    def json2(self, user, model, method, ids=(), **kwargs):
        """``model.method(**kwargs)`` on ``ids`` over /json/2, with ``user``'s API key."""
        body = dict(kwargs)
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
            raise Refused(response.json()["message"])
        return response.json()

    def assertRefused(self, text, user, model, method, *args, **kwargs):
        with self.assertRaises(Refused) as caught:
            self.xmlrpc(user, model, method, *args, **kwargs)
        self.assertIn(text, str(caught.exception))
        return caught.exception

    def _submitted(self, user=None):
        order = self._order(user=user)
        order.with_user(user or self.salesman).action_review_submit()
        return order

    def _line(self, order, name="Manager"):
        self.env.invalidate_all()
        return order.review_ids.filtered(lambda line: line.is_current and line.name == name)

    def _logs(self, order, action):
        self.env.invalidate_all()
        return order.review_log_ids.filtered(lambda row: row.action == action)

    def _todo_users(self, order, xmlid="crm_review.mail_activity_type_review"):
        return self._review_activities(order, xmlid=xmlid).user_id


class TestForward(RoutingCommon):
    def test_forward_hands_the_step_over_with_the_comment(self):
        order = self._submitted()
        todo = self._review_activities(order, self.reviewer)
        self.assertTrue(todo)
        self.xmlrpc(
            self.reviewer,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.li.id,
            "Ask Li, she knows this customer",
        )
        line = self._line(order)
        self.assertEqual(line.state, "pending")
        self.assertEqual(line.reviewer_ids, self.li, "The forwarder gives up their place (the step's default).")
        # The forwarder's to-do is the new reviewer's now: the same to-do, handed over.
        self.assertEqual(self._review_activities(order), todo)
        self.assertEqual(todo.user_id, self.li)
        self.assertIn("Forwarded to you by Rita Reviewer.", str(todo.note))
        self.assertIn("Ask Li, she knows this customer", str(todo.note))
        # Li asked for an email when a step becomes hers (the default): the to-do's email.
        self.assertTrue(self.env["mail.mail"].search([("recipient_ids", "in", self.li.partner_id.ids)]))
        log = self._logs(order, "forward")
        self.assertEqual(len(log), 1)
        self.assertEqual((log.user_id, log.to_user_id, log.step_name), (self.reviewer, self.li, "Manager"))
        self.assertEqual(log.note, "Ask Li, she knows this customer")
        note = self._last_note(order)
        self.assertIn("Forwarded step <b>Manager</b> to <b>Li Na</b>", str(note.body))
        self.assertIn("Ask Li, she knows this customer", str(note.body))
        self.assertEqual(note.author_id, self.reviewer.partner_id)
        # Li decides now; the forwarder no longer does (nor reads the order, which only the review showed her).
        self.assertRefused("Sales Order (sale.order)", self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.li, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._line(order).done_by_id, self.li)
        self.assertEqual(self._line(order, "Controller").state, "pending")

    def test_forward_keeping_the_right_to_decide(self):
        self.manager_step.forward_mode = "keep"
        order = self._submitted()
        self.json2(
            self.reviewer,
            "sale.order",
            "action_review_forward",
            order.ids,
            user_id=self.li.id,
            comment="Second opinion please",
        )
        line = self._line(order)
        self.assertEqual(line.reviewer_ids, self.reviewer | self.li)
        self.assertEqual(self._todo_users(order), self.reviewer | self.li, "A new to-do for Li, the forwarder's stays.")
        self.assertIn("Rita Reviewer decides too.", str(self._last_note(order).body))
        # Either decides: the forwarder approves here.
        self.json2(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._line(order).done_by_id, self.reviewer)
        self.assertFalse(self._review_activities(order, self.li), "The step is decided: Li's to-do goes.")

    def test_forward_again_and_from_the_review_list(self):
        order = self._submitted()
        line = self._line(order)
        # From the reviewer's inbox: the dialog of this one step.
        action = self.xmlrpc(self.reviewer, "crm.review", "action_forward", line.ids)
        self.assertEqual(action["res_model"], "crm.review.forward")
        self.assertEqual(action["context"]["default_review_id"], line.id)
        wizard_id = self.xmlrpc(
            self.reviewer,
            "crm.review.forward",
            "create",
            {"user_id": self.li.id, "note": "Yours"},
            context=action["context"],
        )
        self.xmlrpc(self.reviewer, "crm.review.forward", "action_confirm", [wizard_id])
        self.assertEqual(self._line(order).reviewer_ids, self.li)
        # Li forwards it on.
        self.xmlrpc(self.li, "sale.order", "action_review_forward", order.ids, self.director.id, "Dora decides")
        self.assertEqual(self._line(order).reviewer_ids, self.director)
        self.assertEqual(self._todo_users(order), self.director)
        logs = self._logs(order, "forward").sorted("id")
        self.assertEqual(
            [(row.user_id, row.to_user_id) for row in logs], [(self.reviewer, self.li), (self.li, self.director)]
        )

    def test_forward_an_all_step_gives_the_place(self):
        self.manager_step.write(
            {"approval_mode": "all", "user_ids": [Command.set((self.reviewer | self.director).ids)]}
        )
        order = self._submitted()
        self.xmlrpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.manager_step.forward_mode = "keep"  # An "all" step ignores it: one approval per reviewer.
        self.xmlrpc(self.reviewer, "sale.order", "action_review_forward", order.ids, self.li.id, "On leave")
        line = self._line(order)
        self.assertEqual(line.reviewer_ids, self.director | self.li)
        self.assertEqual(line.approved_by_ids, self.director, "Dora's approval stands.")
        self.assertEqual(line.state, "pending")
        # Dora approved already: she cannot be forwarded the step again.
        self.assertRefused(
            "Dora Director already approved step Manager",
            self.li,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.director.id,
        )
        self.xmlrpc(self.li, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._line(order).state, "approved")

    def test_ineligible_targets_are_refused(self):
        order = self._submitted()
        refusals = {
            self.portal: "Pat Portal cannot review",
            self.gone: "Gus Gone cannot review",
            self.outsider: "Otto Outsider cannot review",
            self.reviewer_b: "Bo Other Company cannot review",
            self.reviewer: "You cannot forward step Manager",
        }
        for target, text in refusals.items():
            with self.subTest(target=target.name):
                self.assertRefused(text, self.reviewer, "sale.order", "action_review_forward", order.ids, target.id)
        self.assertRefused(
            "they do not have the Reviewer access",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.outsider.id,
        )
        self.assertRefused(
            "not allowed in its company, ",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.reviewer_b.id,
        )
        self.assertRefused(
            "User 999999 does not exist", self.reviewer, "sale.order", "action_review_forward", order.ids, 999999
        )
        self.assertRefused(
            "Forward the step to one user", self.reviewer, "sale.order", "action_review_forward", order.ids, "li"
        )
        # The submitter, while the rule does not allow self-approval.
        own = self._submitted(self.seller_reviewer)
        self.assertRefused(
            "Sue Sells cannot review",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            own.ids,
            self.seller_reviewer.id,
        )
        # A reviewer already waiting on the step.
        self.manager_step.user_ids = self.reviewer | self.li
        two = self._submitted()
        self.assertRefused(
            "Li Na already reviews step Manager",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            two.ids,
            self.li.id,
        )
        # A step that may not be forwarded.
        self.manager_step.allow_forward = False
        self.assertRefused(
            "cannot be forwarded: its rule does not allow it",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            two.ids,
            self.director.id,
        )
        self.assertFalse(self._logs(order, "forward") | self._logs(own, "forward") | self._logs(two, "forward"))
        self.assertEqual(self._line(order).reviewer_ids, self.reviewer, "Nothing changed.")

    def test_only_who_decides_now_may_forward(self):
        order = self._submitted()
        # Not a reviewer at all, a reviewer of another step, the submitter.
        self.assertRefused(
            "Sales Order (sale.order)", self.director, "sale.order", "action_review_forward", order.ids, self.li.id
        )
        self.assertRefused(
            "You are not a reviewer of step Manager",
            self.reviewer2,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.li.id,
        )
        self.assertRefused("", self.salesman, "sale.order", "action_review_forward", order.ids, self.li.id)
        self.assertFalse(self._logs(order, "forward"))
        # A step already decided cannot be forwarded any more (the inbox's line neither).
        line = self._line(order)
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertRefused("Step Manager of", self.reviewer, "crm.review", "action_forward", line.ids)
        self.assertRefused(
            "You are not a reviewer of step Controller",
            self.reviewer,
            "sale.order",
            "action_review_forward",
            order.ids,
            self.li.id,
        )
        # A reviewer who lost the Reviewer access forwards nothing.
        controller = self._line(order, "Controller")
        self.reviewer2.group_ids = [Command.unlink(self.env.ref("crm_review.group_review_reviewer").id)]
        self.assertRefused(
            "Sales Order (sale.order)", self.reviewer2, "sale.order", "action_review_forward", order.ids, self.li.id
        )
        self.assertEqual(controller.reviewer_ids, self.reviewer2)

    def test_forward_form_flags(self):
        order = self._submitted()
        self.assertTrue(order.with_user(self.reviewer).review_can_forward)
        self.assertFalse(order.with_user(self.li).review_can_forward)
        self.manager_step.allow_forward = False
        order.invalidate_recordset()
        self.assertFalse(order.with_user(self.reviewer).review_can_forward)

    def _queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_query_count_of_a_forward(self):
        first, second = self._submitted(), self._submitted()
        approve = self._queries(lambda: first.with_user(self.reviewer).action_review_approve())
        # Without the email to the new reviewer (built at once, as Odoo's "assigned to you" email of a to-do).
        self.li.review_notification = "digest"
        forward = self._queries(lambda: second.with_user(self.reviewer).action_review_forward(self.li.id, "Counted"))
        _logger.info("Queries of one forward: %s (one approval: %s)", forward, approve)
        self.assertLessEqual(forward, approve, "A forward costs no more than an approval.")


class TestRevoke(RoutingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule.write({"allow_revoke": True, "revoke_hours": 24})

    def test_revoke_an_approval_reopens_the_step(self):
        order = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids, comment="Looks fine")
        self.assertEqual(self._line(order, "Controller").state, "pending")
        self.assertEqual(self._todo_users(order), self.reviewer2)
        self.assertTrue(order.with_user(self.reviewer).review_can_revoke)
        self.assertFalse(order.with_user(self.reviewer2).review_can_revoke)
        self.xmlrpc(self.reviewer, "sale.order", "action_review_revoke", order.ids, comment="Wrong customer")
        manager, controller = self._line(order), self._line(order, "Controller")
        self.assertEqual((manager.state, controller.state), ("pending", "waiting"))
        self.assertEqual(manager.reviewer_ids, self.reviewer, "The same reviewers.")
        self.assertFalse(manager.done_by_id)
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._todo_users(order), self.reviewer, "The controller's to-do goes, the manager's is back.")
        self.assertEqual(
            self._log_actions(order)[:3], ["revoke", "approve", "submit"], "Both the decision and its revoking stay."
        )
        revoke = self._logs(order, "revoke")
        self.assertEqual((revoke.user_id, revoke.step_name), (self.reviewer, "Manager"))
        self.assertEqual(revoke.note, "Approval revoked. Wrong customer")
        body = str(self._last_note(order).body)
        self.assertIn("Revoked the approval of step <b>Manager</b>", body)
        self.assertIn("Wrong customer", body)
        # The route goes on as before.
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")

    def test_revoke_a_rejection_back_under_review(self):
        order = self._submitted()
        self._reject(order, self.reviewer)
        self.assertEqual(order.review_state, "rejected")
        self.assertEqual(self._todo_users(order, "crm_review.mail_activity_type_review_fix"), self.salesman)
        self.json2(self.reviewer, "sale.order", "action_review_revoke", order.ids)
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._line(order).state, "pending")
        self.assertFalse(self._line(order).reason_id)
        self.assertEqual(self._line(order, "Controller").state, "waiting", "The step the rejection cancelled is back.")
        self.assertFalse(self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix"))
        self.assertEqual(self._todo_users(order), self.reviewer)
        self.assertEqual(self._logs(order, "revoke").note, "Rejection revoked.")
        self.assertEqual(len(self._logs(order, "reject")), 1, "The rejection stays in the trail.")
        self.assertIn("Revoked the rejection of step <b>Manager</b>", str(self._last_note(order).body))
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")

    def test_revoke_the_final_approval_until_the_order_is_confirmed(self):
        order = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_revoke", order.ids)
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._line(order, "Controller").state, "pending")
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertRefused("The approval of", self.reviewer2, "sale.order", "action_review_revoke", order.ids)
        self.assertEqual(order.review_state, "approved")

    def test_revoke_refusals(self):
        order = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        # By someone else.
        self.assertRefused("You have no decision on", self.reviewer2, "sale.order", "action_review_revoke", order.ids)
        self.assertRefused("", self.outsider, "sale.order", "action_review_revoke", order.ids)
        # After the time limit.
        self._line(order).sudo().write({"done_date": datetime.now() - timedelta(hours=25)})
        self.assertRefused(
            "decisions may be revoked within 24 hours", self.reviewer, "sale.order", "action_review_revoke", order.ids
        )
        # No limit: still while the next step is not decided.
        self.rule.revoke_hours = 0
        self.assertTrue(order.with_user(self.reviewer).review_can_revoke)
        # After the next step was decided.
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertRefused(
            "step Controller was decided since", self.reviewer, "sale.order", "action_review_revoke", order.ids
        )
        # A rule that does not allow it.
        other = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", other.ids)
        self.rule.allow_revoke = False
        self.assertRefused("its rule does not allow it", self.reviewer, "sale.order", "action_review_revoke", other.ids)
        self.rule.allow_revoke = True
        # Who lost the Reviewer access.
        self.reviewer.group_ids = [Command.unlink(self.env.ref("crm_review.group_review_reviewer").id)]
        self.assertRefused(
            "you no longer have the Reviewer access", self.reviewer, "sale.order", "action_review_revoke", other.ids
        )
        self.assertEqual([row.user_id for row in self._logs(order, "revoke") | self._logs(other, "revoke")], [])

    def test_revoke_the_step_one_approved_on_an_all_step(self):
        controller = self.rule.step_ids.filtered(lambda step: step.name == "Controller")
        controller.write(
            {
                "approver_type": "users",
                "user_ids": [Command.set((self.reviewer2 | self.director).ids)],
                "approval_mode": "all",
            }
        )
        order = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")
        # The first approver of the "all" step may not revoke (Rob decided the step); Rob may.
        self.assertRefused("You have no decision on", self.director, "sale.order", "action_review_revoke", order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_revoke", order.ids)
        line = self._line(order, "Controller")
        self.assertEqual(line.state, "pending")
        self.assertEqual(line.approved_by_ids, self.director, "Dora's approval stands; Rob's is withdrawn.")
        self.assertEqual(self._todo_users(order), self.reviewer2)

    def test_query_count_of_a_revoke(self):
        order = self._submitted()
        order.with_user(self.reviewer).action_review_approve()
        order = order.with_user(self.reviewer)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        order.action_review_revoke()
        order.env.flush_all()
        queries = self.env.cr.sql_log_count - before
        _logger.info("Queries of one revoke: %s", queries)
        self.assertLess(queries, 60, queries)


class TestReassign(RoutingCommon):
    """A review administrator replaces a reviewer who left, on every open step and in the rules."""

    def _wizard(self, old, new, **values):
        return self.xmlrpc(
            self.review_admin,
            "crm.review.reassign",
            "create",
            dict({"from_user_id": old.id, "to_user_id": new.id}, **values),
        )

    def _preview(self, wizard_id):
        fields = ["line_count", "refused_count", "step_count", "line_ids", "refused_html"]
        return self.xmlrpc(self.review_admin, "crm.review.reassign", "read", [wizard_id], fields)[0]

    def test_replace_a_reviewer_everywhere(self):
        orders = self._submitted() | self._submitted()
        waiting = self._submitted()
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", waiting.ids)
        # Rita reviews the Controller step of this one too (waiting), through a second rule step.
        own = self._submitted(self.seller_reviewer)
        wizard_id = self._wizard(self.reviewer, self.li, note="Rita moved to marketing")
        preview = self._preview(wizard_id)
        self.assertEqual(preview["line_count"], 3, "The two pending steps and Sue's order's step.")
        self.assertEqual(preview["step_count"], 1, "The rule's Manager step names Rita.")
        self.assertEqual(preview["refused_count"], 0)
        self.xmlrpc(self.review_admin, "crm.review.reassign", "action_confirm", [wizard_id])
        for order in (orders | own).with_env(self.env):
            self.assertEqual(self._line(order).reviewer_ids, self.li)
            self.assertEqual(self._todo_users(order), self.li, "The to-do moved to Li.")
            log = self._logs(order, "reassign")
            self.assertEqual((log.user_id, log.to_user_id), (self.review_admin, self.li))
            self.assertEqual(log.note, "Replaces Rita Reviewer. Rita moved to marketing")
            self.assertIn(
                "Reviewer replaced on step <b>Manager</b>: Rita Reviewer → <b>Li Na</b>",
                str(self._last_note(order).body),
            )
        self.assertEqual(self._line(waiting).reviewer_ids, self.reviewer, "A decided step keeps who decided it.")
        self.assertEqual(self.manager_step.user_ids, self.li, "The rule names Li from now on.")
        self.xmlrpc(self.li, "sale.order", "action_review_approve", orders[:1].ids)

    def test_what_cannot_be_replaced_is_listed_with_why(self):
        order = self._submitted()
        own = self._submitted(self.seller_reviewer)
        # Bo works in another company: nothing of this one is his to review.
        preview = self._preview(self._wizard(self.reviewer, self.reviewer_b, steps_too=False))
        self.assertEqual((preview["line_count"], preview["refused_count"]), (0, 2))
        self.assertIn("Bo Other Company is not allowed in", preview["refused_html"])
        # Sue submitted one of the records: that step stays Rita's.
        wizard_id = self._wizard(self.reviewer, self.seller_reviewer)
        preview = self._preview(wizard_id)
        self.assertEqual((preview["line_count"], preview["refused_count"]), (1, 1))
        self.assertIn(f"{own.name}, Manager: Sue Sells submitted the record.", preview["refused_html"])
        self.xmlrpc(self.review_admin, "crm.review.reassign", "action_confirm", [wizard_id])
        self.assertEqual(self._line(order).reviewer_ids, self.seller_reviewer)
        self.assertEqual(self._line(own).reviewer_ids, self.reviewer)
        self.assertFalse(self._logs(own, "reassign"))

    def test_only_review_administrators_replace_reviewers(self):
        self._submitted()
        with self.assertRaises(Refused):
            self.xmlrpc(
                self.reviewer,
                "crm.review.reassign",
                "create",
                {"from_user_id": self.reviewer.id, "to_user_id": self.li.id},
            )
        # An ineligible replacement is refused by name.
        for target, text in (
            (self.portal, "Pat Portal cannot review"),
            (self.outsider, "Otto Outsider cannot review"),
            (self.reviewer, "Choose someone else than Rita Reviewer"),
        ):
            with self.subTest(target=target.name):
                wizard_id = self._wizard(self.reviewer, target)
                self.assertRefused(text, self.review_admin, "crm.review.reassign", "action_confirm", [wizard_id])


@tagged("post_install", "-at_install")
class TestForwardRace(TransactionCase):
    """A reviewer forwards a step while it is approved in another transaction: one of them wins."""

    # The committed orders, the two contenders and what they leave, as in the other races.
    _submitted_order = races.TestReliabilityConcurrency._submitted_order
    _race = races.TestReliabilityConcurrency._race
    _state = races.TestReliabilityConcurrency._state
    _one_wins = races.TestReliabilityConcurrency._one_wins
    _approve = races.TestReliabilityConcurrency._approve
    _cron = _trigger_cron = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = Committed(cls.registry)
        cls.addClassCleanup(cls.data.cleanup)
        tag = uuid.uuid4().hex[:8]
        cls.ref = f"forward race {tag}"
        sales = "sales_team.group_sale_salesman"
        reviewers = f"{sales},crm_review.group_review_reviewer"

        def _setup(env):
            users = {
                key: new_test_user(env, f"fwd_{key}_{tag}", groups=groups, name=f"Forward {key} {tag}").id
                for key, groups in (("salesman", sales), ("alice", reviewers), ("carol", reviewers))
            }
            partner = env["res.partner"].create({"name": f"Forward customer {tag}"})
            product = env["product.product"].create({"name": f"Forward widget {tag}", "list_price": 100.0})
            return users, partner.id, product.id

        users, cls.partner_id, cls.product_id = cls.data.run(_setup)
        cls.data.created += [
            ("res.users", list(users.values())),
            ("res.partner", [cls.partner_id]),
            ("product.product", [cls.product_id]),
        ]
        cls.uids = users
        vals = sale_rule_vals(
            cls.env,
            f"Forward race {tag}",
            f"{cls.ref} any",
            [{"name": "Board", "user_ids": [(6, 0, [users["alice"]])]}],
        )
        revoke_vals = sale_rule_vals(
            cls.env,
            f"Revoke race {tag}",
            f"{cls.ref} revoke",
            [
                {"name": "Board", "sequence": 10, "user_ids": [(6, 0, [users["alice"]])]},
                {"name": "Finance", "sequence": 20, "user_ids": [(6, 0, [users["carol"]])]},
            ],
        )
        revoke_vals["allow_revoke"] = True
        cls.data.create_records("crm.review.rule", [vals, revoke_vals])

    def _forward(self, order_id):
        return lambda env: env["sale.order"].browse(order_id).action_review_forward(self.uids["carol"], "Over to you")

    def test_forward_against_approve(self):
        alice = self.uids["alice"]
        with outcome("Concurrency (two cursors)", "forward against approve") as attempt:
            for _round in range(2):
                order_id = self._submitted_order()
                # Alice forwards from her phone while she approves at her desk: two transactions.
                result = self._race((alice, self._forward(order_id)), (alice, self._approve(order_id)))
                winner = self._one_wins(result, attempt, clear=(AccessError, UserError))
                error = next(value for kind, value in result if kind == "error")
                state = self._state(order_id)
                if winner == 0:
                    self.assertEqual(state["review_state"], "pending")
                    self.assertEqual(state["lines"][0][3], [self.uids["carol"]], "Carol reviews the step now.")
                    self.assertEqual(state["todos"], [self.uids["carol"]])
                    self.assertEqual(state["log"], ["submit", "forward"])
                    # The step is Carol's now, and the order was Alice's to read through its review only.
                    self.assertIsInstance(error, AccessError)
                else:
                    self.assertEqual(state["review_state"], "approved")
                    self.assertEqual(state["todos"], [])
                    self.assertEqual(state["log"], ["submit", "approve"])
                    self.assertIsInstance(error, UserError)
                    self.assertIn("has no step waiting for a decision", str(error))

    def test_revoke_against_the_next_approval(self):
        alice, carol = self.uids["alice"], self.uids["carol"]

        def revoke(order_id):
            return lambda env: env["sale.order"].browse(order_id).action_review_revoke()

        with outcome("Concurrency (two cursors)", "revoke against the next step's approval") as attempt:
            for _round in range(2):
                order_id = self._submitted_order("revoke")
                self.data.run(self._approve(order_id), uid=alice)
                result = self._race((alice, revoke(order_id)), (carol, self._approve(order_id)))
                winner = self._one_wins(result, attempt, clear=(AccessError, UserError))
                error = next(value for kind, value in result if kind == "error")
                state = self._state(order_id)
                if winner == 0:
                    self.assertEqual(state["review_state"], "pending")
                    self.assertEqual([line[0] for line in state["lines"]], ["pending", "waiting"])
                    self.assertEqual(state["log"], ["submit", "approve", "revoke"])
                    self.assertIsInstance(error, AccessError, "Carol's step is no longer the one waiting.")
                else:
                    self.assertEqual(state["review_state"], "approved")
                    self.assertEqual(state["log"], ["submit", "approve", "approve"])
                    self.assertIn("step Finance was decided since", str(error))


@tagged("post_install", "-at_install")
class TestRoutingTours(TourScreenshotsMixin, HttpCase):
    """Forward and revoke, clicked in the web client."""

    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman"
        reviewers = f"{sales},crm_review.group_review_reviewer"
        cls.salesman = new_test_user(cls.env, "tour_route_sales", groups=sales, name="Sally Sales")
        cls.reviewer = new_test_user(cls.env, "tour_route_rita", groups=reviewers, name="Rita Reviewer")
        cls.li = new_test_user(cls.env, "tour_route_li", groups=reviewers, name="Li Na")
        cls.finance = new_test_user(cls.env, "tour_route_fin", groups=reviewers, name="Fred Finance")
        cls.env["crm.review.rule"].create(
            {
                "name": "Orders over 1000",
                "state": "active",
                "allow_revoke": True,
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "domain": "[('amount_total', '>', 1000)]",
                "step_ids": [
                    Command.create(
                        {"name": "Manager", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    ),
                    Command.create(
                        {"name": "Finance", "approver_type": "users", "user_ids": [Command.set(cls.finance.ids)]}
                    ),
                ],
            }
        )
        customer = cls.env["res.partner"].create({"name": "Tour Customer"})
        cls.product = cls.env["product.product"].create({"name": "Tour Product", "list_price": 5000})
        cls.customer = customer

    def _submitted(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.salesman.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.with_user(self.salesman).action_review_submit()
        return order

    def test_forward_from_the_form(self):
        order = self._submitted()
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_forward_tour", login="tour_route_rita")
        line = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
        self.assertEqual(line.reviewer_ids, self.li)
        log = order.review_log_ids.filtered(lambda row: row.action == "forward")
        self.assertEqual(
            (log.user_id, log.to_user_id, log.note), (self.reviewer, self.li, "Ask Li, she knows this customer")
        )

    def test_forward_on_a_phone(self):
        self.browser_size = "390x844"
        self.touch_enabled = True
        order = self._submitted()
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_forward_phone_tour", login="tour_route_rita")
        line = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
        self.assertEqual(line.reviewer_ids, self.li)
        self.assertEqual(order.review_log_ids.filtered(lambda row: row.action == "forward").note, "From my phone")

    def test_revoke_from_the_form(self):
        order = self._submitted()
        order.with_user(self.reviewer).action_review_approve()
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_revoke_tour", login="tour_route_rita")
        self.assertEqual(
            order.review_ids.filtered(lambda line: line.is_current and line.name == "Manager").state, "pending"
        )
        self.assertEqual(order.review_log_ids.mapped("action")[:1], ["revoke"])

    def test_reassign_from_the_configuration_menu(self):
        order = self._submitted()
        admin = new_test_user(
            self.env,
            "tour_route_admin",
            groups="sales_team.group_sale_salesman,crm_review.group_review_manager",
            name="Adam Admin",
        )
        self.start_tour("/odoo/action-crm_review.crm_review_rule_action", "crm_review_reassign_tour", login=admin.login)
        line = order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")
        self.assertEqual(line.reviewer_ids, self.li)
        self.assertEqual(order.review_log_ids.mapped("action")[:1], ["reassign"])
