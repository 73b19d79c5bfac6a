"""Review races over HTTP against a multi-worker Odoo server (run by scripts/test_workers.sh).

Each round releases two XML-RPC calls at the same moment, made by two users
logged in on the server (each call served by whichever worker takes it), then
reads back what is left: one consistent state, the loser refused with a clear
error (or served after Odoo retried a serialization failure). Outcomes are
written next to those of the test suite, for the reliability report
(var/test/reliability.md, copied to docs/reliability.md by `make reliability-report`).

Usage: reliability_workers.py URL DB SETUP_JSON
"""

import json
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

OUTCOME_DIR = Path(__file__).resolve().parents[1] / "var" / "test" / "reliability"
CATEGORY = "Multi-worker (HTTP, 2 workers + cron worker)"
ROUNDS = 2
# Faults of UserError (and its subclasses) and AccessError over /xmlrpc/2.
CLEAR_FAULTS = {2, 3, 4}


class Server:
    def __init__(self, url, db, setup):
        self.url = url
        self.db = db
        self.setup = setup

    def call(self, login, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` as ``login`` (password: the login), on a new connection."""
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return proxy.execute_kw(self.db, self.setup["uids"][login], login, model, method, list(args), kwargs)

    def order(self, reference):
        [order_id] = self.call(
            self.setup["salesman"],
            "sale.order",
            "create",
            [
                {
                    "partner_id": self.setup["partner_id"],
                    "client_order_ref": reference,
                    "order_line": [(0, 0, {"product_id": self.setup["product_id"], "price_unit": 100.0})],
                }
            ],
        )
        return order_id

    def submitted(self, reference):
        order_id = self.order(reference)
        self.call(self.setup["salesman"], "sale.order", "action_review_submit", [order_id])
        return order_id

    def state(self, order_id):
        """What is left of the order's review, read by the review administrator."""
        admin = self.setup["admin"]
        domain = [("res_model", "=", "sale.order"), ("res_id", "=", order_id)]
        [order] = self.call(admin, "sale.order", "read", [order_id], ["review_state", "message_ids"])
        lines = self.call(
            admin,
            "crm.review",
            "search_read",
            domain + [("is_current", "=", True)],
            ["state", "done_by_id", "approved_by_ids", "reviewer_ids", "reminder_count"],
        )
        log = [
            row["action"] for row in self.call(admin, "crm.review.log", "search_read", domain, ["action"], order="id")
        ]
        todos = self.call(
            admin,
            "mail.activity",
            "search_read",
            domain + [("activity_type_id", "=", self.setup["review_activity_type_id"])],
            ["user_id"],
        )
        return {
            "review_state": order["review_state"],
            "lines": [(line["state"], sorted(line["approved_by_ids"]), sorted(line["reviewer_ids"])) for line in lines],
            "reminders": sum(line["reminder_count"] for line in lines),
            "log": log,
            "notes": len(order["message_ids"]),
            "todos": sorted(todo["user_id"][0] for todo in todos),
        }

    def race(self, *calls):
        """Run each ``(login, model, method, args, kwargs)`` in its own thread, released together."""
        barrier = threading.Barrier(len(calls), timeout=30)
        results = [None] * len(calls)

        def contender(index, login, model, method, args, kwargs):
            try:
                barrier.wait()
                results[index] = ("ok", self.call(login, model, method, *args, **kwargs))
            except xmlrpc.client.Fault as fault:
                results[index] = ("refused" if fault.faultCode in CLEAR_FAULTS else "error", fault.faultString[-300:])
            except Exception as error:  # noqa: BLE001 - reported as a failure of the case
                results[index] = ("error", repr(error)[:300])

        threads = [threading.Thread(target=contender, args=(i, *call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        return results


class Case:
    def __init__(self, case):
        self.case = case
        self.tried = self.held = self.failed = 0
        self.details = []

    def attempt(self, held, detail):
        self.tried += 1
        self.held += bool(held)
        self.failed += not held
        if not held and len(self.details) < 3:
            self.details.append(str(detail)[:300])

    def save(self):
        OUTCOME_DIR.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in f"workers--{self.case}".lower())
        data = {
            "category": CATEGORY,
            "case": self.case,
            "tried": self.tried,
            "held": self.held,
            "failed": self.failed,
            "rows_lost": 0,
            "details": self.details,
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        (OUTCOME_DIR / f"{slug}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        print(f"{'ok    ' if not self.failed else 'FAILED'}  {self.case}: {self.held}/{self.tried} held")
        for detail in self.details:
            print(f"        {detail}")
        return not self.failed


def one_wins(results):
    return sorted(kind for kind, _value in results) == ["ok", "refused"]


def main(url, db, setup_file):
    setup = json.loads(Path(setup_file).read_text(encoding="utf-8"))
    server = Server(url, db, setup)
    alice, bob, salesman, admin = setup["alice"], setup["bob"], setup["salesman"], setup["admin"]
    any_ref, all_ref = setup["any_ref"], setup["all_ref"]
    reason = setup["reason_id"]

    def approve(login, order_id):
        return (login, "sale.order", "action_review_approve", ([order_id],), {})

    def recall(login, order_id):
        return (login, "sale.order", "action_review_recall", ([order_id],), {})

    # A reject is two calls (the wizard, then its confirmation): the race is on the confirmation.
    def reject_ready(login, order_id):
        context = {"default_res_model": "sale.order", "default_res_ids": str([order_id])}
        [wizard] = server.call(
            login, "crm.review.reject", "create", [{"reason_id": reason, "note": "Race"}], context=context
        )
        return (login, "crm.review.reject", "action_confirm", ([wizard],), {})

    ok = True

    case = Case("two reviewers approve the same 'any' step")
    for _round in range(ROUNDS):
        order_id = server.submitted(any_ref)
        results = server.race(approve(alice, order_id), approve(bob, order_id))
        state = server.state(order_id)
        held = one_wins(results) and state["review_state"] == "approved" and state["log"].count("approve") == 1
        case.attempt(held and not state["todos"], f"{results} {state}")
    ok &= case.save()

    case = Case("approve against recall")
    for _round in range(ROUNDS):
        order_id = server.submitted(any_ref)
        results = server.race(approve(alice, order_id), recall(salesman, order_id))
        state = server.state(order_id)
        winner = "approved" if results[0][0] == "ok" else "draft"
        held = one_wins(results) and state["review_state"] == winner and not state["todos"]
        case.attempt(held and state["log"].count("approve") + state["log"].count("recall") == 1, f"{results} {state}")
    ok &= case.save()

    case = Case("approve against reject")
    for _round in range(ROUNDS):
        order_id = server.submitted(any_ref)
        results = server.race(approve(alice, order_id), reject_ready(bob, order_id))
        state = server.state(order_id)
        winner = "approved" if results[0][0] == "ok" else "rejected"
        decisions = state["log"].count("approve") + state["log"].count("reject")
        case.attempt(one_wins(results) and state["review_state"] == winner and decisions == 1, f"{results} {state}")
    ok &= case.save()

    case = Case("an 'all' step approved by two at once")
    for _round in range(ROUNDS):
        order_id = server.submitted(all_ref)
        results = server.race(approve(alice, order_id), approve(bob, order_id))
        state = server.state(order_id)
        both = sorted([setup["uids"][alice], setup["uids"][bob]])
        held = [kind for kind, _value in results] == ["ok", "ok"] and state["review_state"] == "approved"
        held = held and state["lines"] and state["lines"][0][1] == both and state["log"].count("approve") == 2
        case.attempt(held and not state["todos"], f"{results} {state}")
    ok &= case.save()

    trigger = (admin, "ir.cron", "method_direct_trigger", ([setup["reminder_cron_id"]],), {})
    case = Case("approve while the reminder cron runs")
    # Orders submitted and made overdue by the set-up, one per round.
    for order_id in setup["overdue_ids"]:
        results = server.race(approve(alice, order_id), trigger)
        state = server.state(order_id)
        held = results[0][0] == "ok" and results[1][0] in ("ok", "refused") and state["review_state"] == "approved"
        case.attempt(held and state["log"].count("remind") <= 1 and not state["todos"], f"{results} {state}")
    ok &= case.save()

    case = Case("two reminder runs at once")
    for _round in range(ROUNDS):
        results = server.race(trigger, trigger)
        # The second run is refused ("already executing") or finds nothing left to do.
        case.attempt(all(kind in ("ok", "refused") for kind, _value in results), results)
    ok &= case.save()

    case = Case("rule edited while a record is submitted")
    step_id = setup["any_step_id"]
    uid_a, uid_b = setup["uids"][alice], setup["uids"][bob]
    try:
        for _round in range(ROUNDS):
            server.call(admin, "crm.review.step", "write", [step_id], {"user_ids": [(6, 0, [uid_a])]})
            order_id = server.order(any_ref)
            results = server.race(
                (salesman, "sale.order", "action_review_submit", ([order_id],), {}),
                (admin, "crm.review.step", "write", ([step_id], {"user_ids": [(6, 0, [uid_b])]}), {}),
            )
            state = server.state(order_id)
            reviewers = state["lines"][0][2] if len(state["lines"]) == 1 else None
            held = [kind for kind, _value in results] == ["ok", "ok"] and reviewers in ([uid_a], [uid_b])
            case.attempt(held and state["todos"] == reviewers and state["log"] == ["submit"], f"{results} {state}")
    finally:
        server.call(admin, "crm.review.step", "write", [step_id], {"user_ids": [(6, 0, [uid_a, uid_b])]})
    ok &= case.save()

    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
