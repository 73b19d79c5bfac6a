"""Races between two real database transactions at the same moment.

The data is committed (two cursors only see committed rows) and deleted at the
end. Each contender runs in its own thread and cursor, released together by a
barrier, through ``odoo.service.model.retrying`` as an RPC call is: a
serialization failure is retried by Odoo, and what is left must be one
consistent state, the loser told why with an ``AccessError`` or ``UserError``.
The reminder cron is not retried (Odoo runs a job once and logs its failure):
it must not fail because a reviewer decided at the same moment.
"""

import threading
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import api, fields
from odoo.exceptions import AccessError, UserError
from odoo.orm.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .reliability import Committed, outcome, sale_rule_vals

CATEGORY = "Concurrency (two cursors)"
ROUNDS = 2
CLEAR_ERRORS = (AccessError, UserError)


@tagged("post_install", "-at_install")
class TestReliabilityConcurrency(TransactionCase):
    """Two reviewers, a salesperson and a review administrator race on committed orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = Committed(cls.registry)
        cls.addClassCleanup(cls.data.cleanup)
        tag = uuid.uuid4().hex[:8]
        cls.ref = f"race {tag}"
        sales = "sales_team.group_sale_salesman"
        reviewers = f"{sales},crm_review.group_review_reviewer"

        def _setup(env):
            users = {
                key: new_test_user(env, f"rel_{key}_{tag}", groups=groups, name=f"Race {key} {tag}").id
                for key, groups in (
                    ("salesman", sales),
                    ("alice", reviewers),
                    ("bob", reviewers),
                    ("admin", f"{sales},crm_review.group_review_manager"),
                )
            }
            env["res.users"].browse(users.values()).write({"email": "race@example.com"})
            partner = env["res.partner"].create({"name": f"Race customer {tag}"})
            product = env["product.product"].create({"name": f"Race widget {tag}", "list_price": 100.0})
            return users, partner.id, product.id

        users, cls.partner_id, cls.product_id = cls.data.run(_setup)
        # Deleted in the reverse order: orders, rules, product, customer, users.
        cls.data.created += [
            ("res.users", list(users.values())),
            ("res.partner", [cls.partner_id]),
            ("product.product", [cls.product_id]),
        ]
        cls.uids = users
        both = [users["alice"], users["bob"]]
        cls.rule_ids = {}
        for mode in ("any", "all"):
            vals = sale_rule_vals(
                cls.env,
                f"Race {mode} {tag}",
                f"{cls.ref} {mode}",
                [{"name": f"Board {mode}", "approval_mode": mode, "user_ids": [(6, 0, both)]}],
            )
            cls.rule_ids[mode] = cls.data.create_records("crm.review.rule", [vals])[0]

    # ------------------------------------------------------------------
    # Committed orders, contenders, the state they leave
    # ------------------------------------------------------------------

    def _submitted_order(self, mode="any", submit=True):
        def _create(env):
            order = (
                env["sale.order"]
                .with_user(self.uids["salesman"])
                .create(
                    {
                        "partner_id": self.partner_id,
                        "client_order_ref": f"{self.ref} {mode}",
                        "order_line": [(0, 0, {"product_id": self.product_id, "price_unit": 100.0})],
                    }
                )
            )
            if submit:
                order.action_review_submit()
            return order.id

        order_id = self.data.run(_create)
        self.data.created.append(("sale.order", [order_id]))
        return order_id

    def _race(self, *contenders):
        """Run each ``(uid, func)`` as ``func(env)`` in its own thread and cursor, all at the same moment.

        Calls are retried on serialization failures as RPC calls are, except
        the reminder cron (``self._cron``): Odoo runs a cron once, a failed run
        is an error in the log.

        :return: one ``("ok", result)`` or ``("error", exception)`` per contender
        """
        barrier = threading.Barrier(len(contenders), timeout=30)
        results = [None] * len(contenders)

        def contender(index, uid, func):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, uid, {"tracking_disable": False})
                    barrier.wait()
                    if func in (self._cron, self._trigger_cron):
                        results[index] = ("ok", func(env))
                    else:
                        results[index] = ("ok", retrying(lambda: func(env), env))
            except Exception as error:  # noqa: BLE001 - the loser's error is what is checked
                results[index] = ("error", error)

        threads = [threading.Thread(target=contender, args=(i, *c)) for i, c in enumerate(contenders)]
        # Odoo's test runner holds the registry lock while it runs post-install tests; the
        # contenders only look the loaded registry up (as Odoo's HTTP tests do with this patch).
        with patch.object(Registry, "_lock", DummyRLock()), mute_logger("odoo.service.model", "odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        self.assertTrue(all(result for result in results), "a contender did not finish")
        return results

    def _state(self, order_id):
        """What a user would see of the order afterwards, read in a new transaction."""

        def _read(env):
            order = env["sale.order"].browse(order_id)
            domain = [("res_model", "=", "sale.order"), ("res_id", "=", order_id)]
            lines = env["crm.review"].search(domain + [("is_current", "=", True)])
            todos = env["mail.activity"].search(
                domain + [("activity_type_id", "=", env.ref("crm_review.mail_activity_type_review").id)]
            )
            return {
                "review_state": order.review_state,
                "lines": [
                    (line.state, line.done_by_id.id, sorted(line.approved_by_ids.ids), sorted(line.reviewer_ids.ids))
                    for line in lines
                ],
                "todos": sorted(todos.mapped("user_id").ids),
                "log": env["crm.review.log"].search(domain, order="id").mapped("action"),
                "notes": len(order.message_ids),
                "reminders": sum(lines.mapped("reminder_count")),
            }

        return self.data.run(_read)

    def _approve(self, order_id):
        return lambda env: env["sale.order"].browse(order_id).action_review_approve()

    def _recall(self, order_id):
        return lambda env: env["sale.order"].browse(order_id).action_review_recall()

    def _reject(self, order_id):
        def reject(env):
            action = env["sale.order"].browse(order_id).action_review_reject()
            wizard = (
                env[action["res_model"]]
                .with_context(**action["context"])
                .create({"reason_id": env.ref("crm_review.reason_incomplete").id, "note": "Race"})
            )
            return wizard.action_confirm()

        return reject

    def _serial(self, mode, *steps):
        """The state the same calls leave when made one after the other (the reference)."""
        order_id = self._submitted_order(mode)
        for uid, make in steps:
            self.data.run(make(order_id), uid=uid)
        return self._state(order_id)

    def _one_wins(self, result, attempt, clear=CLEAR_ERRORS):
        """Exactly one contender succeeded; the other was refused with a clear error."""
        kinds = sorted(kind for kind, _value in result)
        errors = [value for kind, value in result if kind == "error"]
        unclear = [error for error in errors if not isinstance(error, clear)]
        held = kinds == ["error", "ok"] and not unclear
        attempt.attempt(held, detail=f"{kinds} {unclear!r}")
        self.assertEqual(kinds, ["error", "ok"], f"one wins, one is refused: {result}")
        self.assertFalse(unclear, "the loser gets a clear error")
        return [index for index, (kind, _value) in enumerate(result) if kind == "ok"][0]

    # ------------------------------------------------------------------
    # Decision races
    # ------------------------------------------------------------------

    def test_two_reviewers_approve_the_same_any_step(self):
        alice, bob = self.uids["alice"], self.uids["bob"]
        reference = self._serial("any", (alice, self._approve))
        with outcome(CATEGORY, "two reviewers approve the same 'any' step") as attempt:
            for _round in range(ROUNDS):
                order_id = self._submitted_order()
                result = self._race((alice, self._approve(order_id)), (bob, self._approve(order_id)))
                winner = (alice, bob)[self._one_wins(result, attempt)]
                state = self._state(order_id)
                self.assertEqual(state["review_state"], "approved")
                self.assertEqual([line[:2] for line in state["lines"]], [("approved", winner)], "decided by the winner")
                self.assertEqual(state["log"], reference["log"], "one approval in the history")
                self.assertEqual(state["notes"], reference["notes"], "no duplicate chatter note")
                self.assertEqual(state["todos"], [], "no review to-do left")

    def test_approve_against_recall(self):
        alice, salesman = self.uids["alice"], self.uids["salesman"]
        approved = self._serial("any", (alice, self._approve))
        recalled = self._serial("any", (salesman, self._recall))
        with outcome(CATEGORY, "approve against recall") as attempt:
            for _round in range(ROUNDS):
                order_id = self._submitted_order()
                result = self._race((alice, self._approve(order_id)), (salesman, self._recall(order_id)))
                winner = self._one_wins(result, attempt)
                state = self._state(order_id)
                reference = (approved, recalled)[winner]
                self.assertEqual(state["review_state"], reference["review_state"])
                self.assertEqual(state["log"], reference["log"])
                self.assertEqual(state["notes"], reference["notes"])
                self.assertEqual(state["todos"], [])

    def test_approve_against_reject(self):
        alice, bob = self.uids["alice"], self.uids["bob"]
        approved = self._serial("any", (alice, self._approve))
        rejected = self._serial("any", (bob, self._reject))
        with outcome(CATEGORY, "approve against reject") as attempt:
            for _round in range(ROUNDS):
                order_id = self._submitted_order()
                result = self._race((alice, self._approve(order_id)), (bob, self._reject(order_id)))
                winner = self._one_wins(result, attempt)
                state = self._state(order_id)
                reference = (approved, rejected)[winner]
                self.assertEqual(state["review_state"], reference["review_state"])
                self.assertEqual([line[0] for line in state["lines"]], [line[0] for line in reference["lines"]])
                self.assertEqual(state["log"], reference["log"])
                self.assertEqual(state["notes"], reference["notes"])
                self.assertEqual(state["todos"], reference["todos"])

    def test_all_step_approved_by_two_at_once(self):
        alice, bob = self.uids["alice"], self.uids["bob"]
        reference = self._serial("all", (alice, self._approve), (bob, self._approve))
        with outcome(CATEGORY, "an 'all' step approved by two at once") as attempt:
            for _round in range(ROUNDS):
                order_id = self._submitted_order("all")
                result = self._race((alice, self._approve(order_id)), (bob, self._approve(order_id)))
                errors = [value for kind, value in result if kind == "error"]
                attempt.attempt(not errors, detail=repr(errors))
                self.assertFalse(errors, "both approvals count (a conflict is retried)")
                state = self._state(order_id)
                self.assertEqual(state["review_state"], "approved")
                self.assertEqual([line[2] for line in state["lines"]], [sorted([alice, bob])], "one approval each")
                self.assertEqual(sorted(state["log"]), sorted(reference["log"]), "two approvals, one completion")
                self.assertEqual(state["notes"], reference["notes"], "the step advanced once")
                self.assertEqual(state["todos"], [])

    # ------------------------------------------------------------------
    # Reminders and configuration against decisions
    # ------------------------------------------------------------------

    def _make_overdue(self, order_id):
        def _overdue(env):
            lines = env["crm.review"].search(
                [("res_model", "=", "sale.order"), ("res_id", "=", order_id), ("state", "=", "pending")]
            )
            now = fields.Datetime.now()
            lines.write({"pending_since": now - timedelta(hours=30), "next_reminder_at": now - timedelta(hours=6)})

        self.data.run(_overdue)

    def _cron(self, env):
        return env["crm.review"]._cron_send_reminders()

    def _trigger_cron(self, env):
        """The reminder job run as the scheduler runs it (one run of a job at a time)."""
        return env.ref("crm_review.ir_cron_review_reminders").method_direct_trigger()

    def test_approve_while_the_reminder_cron_runs(self):
        alice = self.uids["alice"]
        with outcome(CATEGORY, "approve while the reminder cron runs") as attempt:
            for _round in range(ROUNDS):
                order_id = self._submitted_order()
                self._make_overdue(order_id)
                result = self._race((alice, self._approve(order_id)), (api.SUPERUSER_ID, self._cron))
                errors = [value for kind, value in result if kind == "error"]
                state = self._state(order_id)
                consistent = state["review_state"] == "approved" and state["log"].count("remind") <= 1
                attempt.attempt(not errors and consistent, detail=f"{errors!r} {state}")
                self.assertFalse(errors, "the approval and the reminder run both go through")
                self.assertEqual(state["review_state"], "approved")
                self.assertEqual(state["log"].count("approve"), 1)
                self.assertLessEqual(state["log"].count("remind"), 1, "reminded at most once")
                self.assertEqual(state["todos"], [], "no to-do left for an approved step")

    def test_two_reminder_runs_at_once(self):
        with outcome(CATEGORY, "two reminder runs at once") as attempt:
            order_ids = [self._submitted_order() for _i in range(ROUNDS)]
            for order_id in order_ids:
                self._make_overdue(order_id)
            result = self._race((api.SUPERUSER_ID, self._trigger_cron), (api.SUPERUSER_ID, self._trigger_cron))
            # The second run is refused ("already executing") or finds nothing left to do.
            unclear = [value for kind, value in result if kind == "error" and not isinstance(value, UserError)]
            for order_id in order_ids:
                state = self._state(order_id)
                attempt.attempt(not unclear and state["reminders"] == 1, detail=f"{unclear!r} {state}")
                self.assertFalse(unclear)
                self.assertEqual(state["reminders"], 1, "each step reminded once")
                self.assertEqual(state["log"].count("remind"), 1)

    def test_rule_edited_while_a_record_is_submitted(self):
        alice, bob = self.uids["alice"], self.uids["bob"]
        rule_id = self.rule_ids["any"]

        def set_reviewers(uids):
            def _write(env):
                env["crm.review.rule"].browse(rule_id).step_ids.write({"user_ids": [(6, 0, uids)]})

            return _write

        with outcome(CATEGORY, "rule edited while a record is submitted") as attempt:
            try:
                for _round in range(ROUNDS):
                    self.data.run(set_reviewers([alice]))
                    order_id = self._submitted_order(submit=False)
                    submit = lambda env, order_id=order_id: env["sale.order"].browse(order_id).action_review_submit()  # noqa: E731
                    result = self._race((self.uids["salesman"], submit), (self.uids["admin"], set_reviewers([bob])))
                    errors = [value for kind, value in result if kind == "error"]
                    state = self._state(order_id)
                    reviewers = state["lines"][0][3] if len(state["lines"]) == 1 else None
                    consistent = reviewers in ([alice], [bob]) and state["todos"] == reviewers
                    attempt.attempt(not errors and consistent, detail=f"{errors!r} {state}")
                    self.assertFalse(errors)
                    self.assertEqual(state["review_state"], "pending")
                    self.assertIn(reviewers, ([alice], [bob]), "the route of one version of the rule")
                    self.assertEqual(state["todos"], reviewers, "one to-do per reviewer of that route")
                    self.assertEqual(state["log"], ["submit"])
            finally:
                self.data.run(set_reviewers([alice, bob]))
