"""Routing: parallel steps (steps of a rule with the same sequence) and the rule option "Same reviewer
decides once", checked as the people who meet them, over ``/xmlrpc/2`` with their own passwords."""

import re
import xmlrpc.client
from urllib.parse import parse_qs, urlsplit

from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import ReviewCommon, RpcMixin
from .screenshots import TourScreenshotsMixin

FORM_CSRF_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')


class RoutingCommon(RpcMixin, HttpCase, ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule.active = False

    @classmethod
    def _rule(cls, name, steps, **values):
        return (
            cls.env["crm.review.rule"]
            .sudo()
            .create(
                {
                    "name": name,
                    "state": "active",
                    "model_id": cls.env["ir.model"]._get_id("sale.order"),
                    "domain": "[('amount_total', '>', 1000)]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": step_name,
                                "sequence": sequence,
                                "approver_type": "users",
                                "user_ids": [Command.set(users.ids)],
                                "approval_mode": mode,
                            }
                        )
                        for step_name, sequence, users, mode in steps
                    ],
                    **values,
                }
            )
        )

    def _submitted(self, user=None):
        order = self._order(user=user)
        self.rpc(user or self.salesman, "sale.order", "action_review_submit", order.ids)
        return order

    def _lines(self, order):
        """{step name: its current line}."""
        self.env.invalidate_all()
        return {line.name: line for line in order.sudo().review_ids.filtered("is_current")}

    def _states(self, order):
        return {name: line.state for name, line in self._lines(order).items()}

    def _reject_rpc(self, order, user, send_back="submitter", note="Missing data"):
        wizard_id = self.rpc(
            user,
            "crm.review.reject",
            "create",
            {
                "res_model": "sale.order",
                "res_ids": str(order.ids),
                "reason_id": self.reject_reason.id,
                "note": note,
                "send_back": send_back,
            },
        )
        return self.rpc(user, "crm.review.reject", "action_confirm", [wizard_id])

    def _notes(self, order):
        self.env.invalidate_all()
        return "\n".join(order.sudo().message_ids.sorted("id").mapped("body"))


@tagged("post_install", "-at_install")
class TestParallelSteps(RoutingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.parallel = cls._rule(
            "Parallel review",
            [
                ("Manager", 10, cls.reviewer, "any"),
                ("Finance", 20, cls.director, "any"),
                ("Legal", 20, cls.reviewer2, "any"),
                ("Final", 30, cls.reviewer, "any"),
            ],
        )

    def _at_parallel_steps(self):
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        return order

    def test_steps_with_the_same_sequence_open_together_and_the_next_waits_for_both(self):
        order = self._at_parallel_steps()
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "pending", "Legal": "pending", "Final": "waiting"}
        )
        lines = self._lines(order)
        self.assertEqual(lines["Finance"].position, lines["Legal"].position, "one position for parallel steps")
        # Each parallel step's reviewer has a to-do, and finds the order in "To review by me".
        self.assertEqual(len(self._review_activities(order, self.director)), 1)
        self.assertEqual(len(self._review_activities(order, self.reviewer2)), 1)
        self.assertFalse(self._review_activities(order, self.reviewer))
        for user in (self.director, self.reviewer2):
            self.assertIn(order.id, self.rpc(user, "sale.order", "search", [("review_to_me", "=", True)]))
        self.assertNotIn(order.id, self.rpc(self.reviewer, "sale.order", "search", [("review_to_me", "=", True)]))
        # The banner shows both steps; the counter counts positions (Finance and Legal are one).
        [status] = self.rpc(
            self.director,
            "sale.order",
            "read",
            order.ids,
            ["review_step_label", "review_reviewers_label", "review_can_decide"],
        )
        self.assertEqual(status["review_step_label"], "Finance, Legal (2/3)")
        self.assertEqual(status["review_reviewers_label"], "Dora Director (Finance); Rob Reviewer (Legal)")
        self.assertTrue(status["review_can_decide"])
        self.assertIn(
            "Step Finance is waiting for Dora Director. Step Legal is waiting for Rob Reviewer.", self._notes(order)
        )

        # Finance approves: Legal still waits, the last step does not open.
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "approved", "Legal": "pending", "Final": "waiting"}
        )
        self.assertFalse(self._review_activities(order, self.director))
        self.assertEqual(len(self._review_activities(order, self.reviewer2)), 1, "Legal's to-do stays")
        self.assertIn("Step Legal is waiting for Rob Reviewer.", self._last_note(order).body)
        # A second click: the step is decided, and Dora reviews no other one.
        self.assertRpcRefused(
            "You are not a reviewer of step Legal", self.director, "sale.order", "action_review_approve", order.ids
        )
        # Legal approves: now the last step opens.
        self.rpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._states(order)["Final"], "pending")
        self.assertEqual(len(self._review_activities(order, self.reviewer)), 1)
        self.assertEqual(
            self.rpc(self.reviewer, "sale.order", "read", order.ids, ["review_step_label"])[0]["review_step_label"],
            "Final (3/3)",
        )
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(self._log_actions(order).count("approve"), 4)

    def test_who_may_not_decide_a_parallel_step(self):
        order = self._at_parallel_steps()
        # Rita reviews other steps of the order, not these two: the refusal names both and their reviewers.
        self.assertRpcRefused(
            "You are not a reviewer of the steps of %s waiting for a decision: Finance (Dora Director); "
            "Legal (Rob Reviewer)" % order.name,
            self.reviewer,
            "sale.order",
            "action_review_approve",
            order.ids,
        )
        self.assertRpcRefused(
            "doesn't have 'read' access", self.outsider, "sale.order", "action_review_approve", order.ids
        )
        # The submitter, even if named on a parallel step.
        self.assertRpcRefused("you submitted it", self.salesman, "sale.order", "action_review_approve", order.ids)
        # The reject wizard asks the same engine.
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                self._reject_rpc(order, self.reviewer)
        self.assertIn("You are not a reviewer of the steps", caught.exception.faultString)
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "pending", "Legal": "pending", "Final": "waiting"}
        )
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.assertRpcRefused(
            "You are not a reviewer of step Legal", self.director, "sale.order", "action_review_approve", order.ids
        )

    def test_a_step_decided_by_another_reviewer_says_who(self):
        self.parallel.step_ids.filtered(lambda step: step.name == "Finance").user_ids = [
            Command.link(self.review_admin.id)
        ]
        order = self._at_parallel_steps()
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.assertRpcRefused(
            f"Step Finance of {order.name} was already approved by Dora Director",
            self.review_admin,
            "sale.order",
            "action_review_approve",
            order.ids,
        )
        self.assertEqual(self._states(order)["Legal"], "pending")

    def test_a_rejection_in_one_parallel_step_stops_the_other(self):
        order = self._at_parallel_steps()
        self._reject_rpc(order, self.reviewer2, note="The contract clause is missing")
        self.assertEqual(order.review_state, "rejected")
        lines = {line.name: line for line in order.sudo().review_ids.filtered(lambda line: line.submission == 1)}
        self.assertEqual(lines["Legal"].state, "rejected")
        self.assertEqual(lines["Finance"].state, "cancelled")
        self.assertFalse(lines["Finance"].is_current)
        self.assertEqual(lines["Final"].state, "cancelled")
        # Finance's to-do went with it; the submitter has a "Fix and resubmit".
        self.assertFalse(self._review_activities(order))
        self.assertTrue(self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix"))
        self.assertIn("Stopped with it: step Finance.", self._last_note(order).body)
        self.assertIn("Sent back to the submitter.", self._last_note(order).body)
        self.assertRpcRefused(
            "has no step waiting for a decision", self.director, "sale.order", "action_review_approve", order.ids
        )
        # Fixed and resubmitted: the approvals of the steps kept (continue mode), the rejected position again.
        self.rpc(self.salesman, "sale.order", "action_review_submit", order.ids)
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "pending", "Legal": "pending", "Final": "waiting"}
        )

    def test_revoking_a_rejection_brings_back_the_parallel_step_it_stopped(self):
        self.parallel.write({"allow_revoke": True, "revoke_hours": 0})
        order = self._at_parallel_steps()
        self._reject_rpc(order, self.reviewer2, note="Wrong clause")
        self.rpc(self.reviewer2, "sale.order", "action_review_revoke", order.ids)
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "pending", "Legal": "pending", "Final": "waiting"}
        )
        # Both open steps have their reviewers' to-dos again; the fix-and-resubmit is gone.
        self.assertEqual(self._review_activities(order).user_id, self.director | self.reviewer2)
        self.assertFalse(self._review_activities(order, xmlid="crm_review.mail_activity_type_review_fix"))
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.rpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._states(order)["Final"], "pending")

    def test_an_approval_cannot_be_revoked_once_a_parallel_step_rejected(self):
        self.parallel.write({"allow_revoke": True, "revoke_hours": 0})
        order = self._at_parallel_steps()
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self._reject_rpc(order, self.reviewer2)
        self.assertRpcRefused("no longer", self.director, "sale.order", "action_review_revoke", order.ids)
        self.assertEqual(order.review_state, "rejected")
        self.assertEqual(self._lines(order)["Legal"].state, "rejected")

    def test_resubmission_keeps_the_approval_of_a_parallel_step(self):
        order = self._at_parallel_steps()
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self._reject_rpc(order, self.reviewer2)
        self.rpc(self.salesman, "sale.order", "action_review_submit", order.ids)
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "approved", "Legal": "pending", "Final": "waiting"}
        )
        self.assertFalse(self._review_activities(order, self.director))
        self.rpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._states(order)["Final"], "pending")

    def test_send_back_to_previous_reopens_the_position_before(self):
        order = self._at_parallel_steps()
        self._reject_rpc(order, self.director, send_back="previous")
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(
            self._states(order), {"Manager": "pending", "Finance": "waiting", "Legal": "waiting", "Final": "waiting"}
        )
        self.assertFalse(self._review_activities(order, self.reviewer2), "Legal's to-do went with its step")
        self.assertEqual(len(self._review_activities(order, self.reviewer)), 1)
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(
            self._states(order), {"Manager": "approved", "Finance": "pending", "Legal": "pending", "Final": "waiting"}
        )

    def test_a_reviewer_of_both_parallel_steps_decides_one_per_click(self):
        self.parallel.step_ids.filtered(lambda step: step.name == "Legal").user_ids = [Command.link(self.director.id)]
        order = self._at_parallel_steps()
        self.assertEqual(len(self._review_activities(order, self.director)), 2, "one to-do per step")
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        states = self._states(order)
        self.assertEqual((states["Finance"], states["Legal"]), ("approved", "pending"), "the first step only")
        self.assertEqual(len(self._review_activities(order, self.director)), 1, "the other step's to-do stays")
        self.assertIn("Review: Legal", self._review_activities(order, self.director).summary)
        # Marking the remaining to-do done approves the other step.
        todo = self._review_activities(order, self.director)
        self.rpc(self.director, "mail.activity", "action_done", todo.ids)
        states = self._states(order)
        self.assertEqual((states["Legal"], states["Final"]), ("approved", "pending"))
        self.assertFalse(self._review_activities(order, self.director))

    def test_marking_a_todo_done_approves_the_step_it_is_for(self):
        self.parallel.step_ids.filtered(lambda step: step.name == "Legal").user_ids = [Command.link(self.director.id)]
        order = self._at_parallel_steps()
        legal_todo = self._review_activities(order, self.director).filtered(
            lambda todo: todo.summary == "Review: Legal"
        )
        self.assertEqual(len(legal_todo), 1)
        self.rpc(self.director, "mail.activity", "action_feedback", legal_todo.ids, feedback="Terms read")
        states = self._states(order)
        self.assertEqual((states["Finance"], states["Legal"]), ("pending", "approved"), "Legal's to-do, Legal's step")
        self.assertEqual(self._lines(order)["Legal"].note, "Terms read")
        self.assertEqual(self._review_activities(order, self.director).summary, "Review: Finance")

    def test_the_inbox_row_decides_its_own_step(self):
        self.parallel.step_ids.filtered(lambda step: step.name == "Legal").user_ids = [Command.link(self.director.id)]
        order = self._at_parallel_steps()
        legal = self._lines(order)["Legal"]
        self.rpc(self.director, "crm.review", "action_approve", legal.ids)
        states = self._states(order)
        self.assertEqual((states["Finance"], states["Legal"]), ("pending", "approved"), "the row's step")
        # The row's Reject opens the dialog for its own step.
        other = self._at_parallel_steps()
        legal = self._lines(other)["Legal"]
        action = self.rpc(self.director, "crm.review", "action_reject", legal.ids)
        self.assertEqual(action["context"]["crm_review_line_ids"], legal.ids)
        wizard_id = self.rpc(
            self.director,
            "crm.review.reject",
            "create",
            {"reason_id": self.reject_reason.id, "note": "Clause missing"},
            context=action["context"],
        )
        self.rpc(self.director, "crm.review.reject", "action_confirm", [wizard_id], context=action["context"])
        lines = {line.name: line for line in other.sudo().review_ids}
        self.assertEqual((lines["Legal"].state, lines["Finance"].state), ("rejected", "cancelled"))
        # A row whose step is no longer pending decides nothing.
        self.assertRpcRefused(
            "is no longer waiting for a decision", self.director, "crm.review", "action_approve", legal.ids
        )

    def test_recall_closes_every_parallel_step(self):
        order = self._at_parallel_steps()
        self.rpc(self.salesman, "sale.order", "action_review_recall", order.ids)
        self.assertEqual(order.review_state, "draft")
        self.assertFalse(order.sudo().review_ids.filtered("is_current"))
        self.assertFalse(self._review_activities(order))

    def test_list_approve_decides_the_users_parallel_step(self):
        orders = self._at_parallel_steps() | self._at_parallel_steps()
        # The list's Approve action, run as the web client runs it.
        self.authenticate("rv_director", "rv_director")
        result = self.make_jsonrpc_request(
            "/web/action/run",
            {
                "action_id": self.env.ref("crm_review.action_review_approve_selected").id,
                "context": {"active_model": "sale.order", "active_ids": orders.ids, "active_id": orders[0].id},
            },
        )
        self.assertIn("2 approved", result["params"]["message"])
        for order in orders:
            states = self._states(order)
            self.assertEqual((states["Finance"], states["Legal"]), ("approved", "pending"))
        # Again: both orders now wait for Legal only, which is not Dora's.
        result = self.make_jsonrpc_request(
            "/web/action/run",
            {
                "action_id": self.env.ref("crm_review.action_review_approve_selected").id,
                "context": {"active_model": "sale.order", "active_ids": orders.ids, "active_id": orders[0].id},
            },
        )
        self.assertIn("2 refused", result["params"]["message"])
        self.assertIn("You are not a reviewer of step Legal", result["params"]["message"])

    def test_the_email_link_approves_its_own_step(self):
        self.parallel.step_ids.filtered(lambda step: step.name == "Legal").user_ids = [Command.link(self.director.id)]
        order = self._at_parallel_steps()
        legal = self._lines(order)["Legal"]
        link = legal._review_approve_link(self.director)
        self.authenticate("rv_director", "rv_director")
        page = self.url_open(link)
        self.assertIn("Legal", page.text)
        parts = urlsplit(link)
        form = {key: values[0] for key, values in parse_qs(parts.query).items()}
        form["csrf_token"] = FORM_CSRF_TOKEN.search(page.text).group(1)
        response = self.url_open(parts.path, data=form)
        self.assertIn(f"You approved step Legal of {order.name}.", response.text)
        states = self._states(order)
        self.assertEqual(
            (states["Finance"], states["Legal"]), ("pending", "approved"), "the link's step, not the first"
        )
        # The link is spent, the other step still open.
        response = self.url_open(link)
        self.assertIn("was already approved by", response.text)

    def test_steps_given_no_order_follow_one_another(self):
        rule = self._rule("No order given", [], state="draft")
        Step = self.env["crm.review.step"].sudo()
        first, second = Step.create(
            [
                {"rule_id": rule.id, "name": "One", "user_ids": self.reviewer.ids},
                {"rule_id": rule.id, "name": "Two", "user_ids": self.reviewer.ids},
            ]
        )
        self.assertLess(first.sequence, second.sequence)
        self.assertFalse(first.parallel_label)
        third = Step.create(
            {"rule_id": rule.id, "name": "Three", "sequence": second.sequence, "user_ids": self.reviewer.ids}
        )
        self.assertEqual(second.parallel_label, "Three")
        self.assertEqual(third.parallel_label, "Two")

    def test_simulate_numbers_parallel_steps_alike(self):
        order = self._order()
        wizard = self.env["crm.review.simulate"].create(
            {"rule_id": self.parallel.id, "res_ref": f"sale.order,{order.id}", "submitter_id": self.salesman.id}
        )
        self.assertIn("<td>2</td><td>Finance</td><td>Waiting</td>", wizard.result)
        self.assertIn("<td>2</td><td>Legal</td><td>Waiting</td>", wizard.result)
        self.assertIn("<td>3</td><td>Final</td>", wizard.result)


@tagged("post_install", "-at_install")
class TestDecideOnce(RoutingCommon):
    def test_consecutive_steps_of_the_same_reviewer_are_decided_once(self):
        self._rule(
            "Decide once",
            [
                ("Manager", 10, self.reviewer, "any"),
                ("Pricing", 20, self.reviewer | self.director, "any"),
                ("Margin", 30, self.reviewer, "any"),
                ("Director", 40, self.director, "any"),
            ],
            decide_once=True,
        )
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids, comment="Checked")
        self.assertEqual(
            self._states(order),
            {"Manager": "approved", "Pricing": "approved", "Margin": "approved", "Director": "pending"},
        )
        lines = self._lines(order)
        self.assertEqual((lines["Pricing"].done_by_id, lines["Margin"].done_by_id), (self.reviewer, self.reviewer))
        self.assertEqual(lines["Pricing"].note, "Checked", "the same decision")
        notes = self._notes(order)
        self.assertIn("approved automatically: Rita Reviewer approved step Manager", notes)
        self.assertIn("approved automatically: Rita Reviewer approved step Pricing", notes)
        rows = order.sudo().review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual(len(rows), 3)
        automatic = rows.filtered(lambda row: "approved automatically" in (row.note or ""))
        self.assertEqual(sorted(automatic.mapped("step_name")), ["Margin", "Pricing"])
        self.assertIn("Checked", automatic[0].note)
        self.assertFalse(self._review_activities(order, self.reviewer), "no to-do left for the steps decided")
        self.assertEqual(len(self._review_activities(order, self.director)), 1)
        self.assertRpcRefused(
            "You are not a reviewer of step Director", self.reviewer, "sale.order", "action_review_approve", order.ids
        )

    def test_off_by_default(self):
        rule = self._rule(
            "Ask each time", [("Manager", 10, self.reviewer, "any"), ("Margin", 20, self.reviewer, "any")]
        )
        self.assertFalse(rule.decide_once)
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._states(order), {"Manager": "approved", "Margin": "pending"})

    def test_an_all_step_still_waits_for_its_other_reviewers(self):
        self._rule(
            "Decide once, all of them",
            [("Manager", 10, self.reviewer, "any"), ("Board", 20, self.reviewer | self.director, "all")],
            decide_once=True,
        )
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        board = self._lines(order)["Board"]
        self.assertEqual(board.state, "pending")
        self.assertEqual(board.approved_by_ids, self.reviewer, "Rita's approval counts once")
        self.assertFalse(self._review_activities(order, self.reviewer))
        self.assertRpcRefused(
            "You already approved step Board", self.reviewer, "sale.order", "action_review_approve", order.ids
        )
        self.rpc(self.director, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(order.review_state, "approved")

    def test_parallel_steps_of_the_same_reviewer_are_decided_together(self):
        self._rule(
            "Decide once, in parallel",
            [
                ("Manager", 10, self.reviewer, "any"),
                ("Finance", 20, self.reviewer, "any"),
                ("Legal", 20, self.reviewer | self.reviewer2, "any"),
                ("Director", 30, self.director, "any"),
            ],
            decide_once=True,
        )
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(
            self._states(order),
            {"Manager": "approved", "Finance": "approved", "Legal": "approved", "Director": "pending"},
        )
        self.assertFalse(self._review_activities(order, self.reviewer2))

    def test_never_lets_the_submitter_approve(self):
        # Rita submits her own order: the rule does not let her approve it, whatever step names her.
        self.reviewer.group_ids = [Command.link(self.env.ref("crm_review.group_review_submitter").id)]
        self._rule(
            "Decide once, own order",
            [
                ("Manager", 10, self.reviewer2, "any"),
                ("Pricing", 20, self.reviewer | self.reviewer2, "any"),
                ("Director", 30, self.director, "any"),
            ],
            decide_once=True,
        )
        order = self._submitted(user=self.reviewer)
        self.assertRpcRefused("you submitted it", self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.assertEqual(self._states(order)["Manager"], "pending")
        # Rob decides once for his two steps; Rita, the submitter, was never one of their reviewers.
        self.rpc(self.reviewer2, "sale.order", "action_review_approve", order.ids)
        lines = self._lines(order)
        self.assertNotIn(self.reviewer, lines["Pricing"].reviewer_ids)
        self.assertEqual(lines["Pricing"].done_by_id, self.reviewer2)
        self.assertEqual(lines["Director"].state, "pending")
        self.assertRpcRefused("you submitted it", self.reviewer, "sale.order", "action_review_approve", order.ids)


@tagged("post_install", "-at_install")
class TestRoutingTours(TourScreenshotsMixin, RoutingCommon):
    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.parallel = cls._rule(
            "Parallel review",
            [
                ("Manager", 10, cls.reviewer, "any"),
                ("Finance", 20, cls.director, "any"),
                ("Legal", 20, cls.reviewer2, "any"),
                ("Final", 30, cls.reviewer, "any"),
            ],
        )

    def test_banner_shows_both_parallel_steps(self):
        order = self._submitted()
        self.rpc(self.reviewer, "sale.order", "action_review_approve", order.ids)
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_parallel_banner_tour", login="rv_director")
        states = self._states(order)
        self.assertEqual((states["Finance"], states["Legal"], states["Final"]), ("approved", "pending", "waiting"))

    def test_rule_form_shows_parallel_steps(self):
        self.start_tour(
            f"/odoo/action-crm_review.crm_review_rule_action/{self.parallel.id}",
            "crm_review_parallel_rule_tour",
            login="rv_admin",
        )
        self.assertEqual(
            set(self.parallel.step_ids.filtered(lambda step: step.sequence == 20).mapped("name")),
            {"Manager", "Finance", "Legal"},
        )
        self.assertTrue(self.parallel.decide_once, "switched on in the form")
