#!/usr/bin/env python3
"""HTTP load test: crm_review against the OCA tier-validation modules, over the web client's own path.

Called by ``bench/load.sh`` (``make bench-load``, not run by CI) once the databases
``<prefix>_crm_ready`` and ``<prefix>_oca_ready`` hold orders waiting for a step whose
reviewers are a group of 18, any one of whom approves (``bench.py load-prepare``).

For each scenario, rounds alternate between the two systems (crm, oca, then oca, crm...),
each on a fresh copy of its database served by an Odoo server of its own (``--workers``
workers, no cron worker). Clients log in with ``/web/session/authenticate`` and call
``/web/dataset/call_kw`` as the web client does, each in a thread with its own session.
A warm-up (not measured) fills each worker's caches; then the scenario runs for
``--seconds`` (the race: until its orders are decided). Measured: decisions per second,
latency of each decision call (p50, p95), errors (anything but a refusal the reviewer is
told), the CPU time of the server's processes (so decisions per Odoo CPU-second) and the
machine's load.

Scenarios:

``approve``  10 reviewers approve orders, each their own share of them;
``browse``   15 reviewers approve while 5 others open their *to review* list and forms;
``race``     10 reviewers approve the same 200 orders in the same order: exactly one
             decision per step, and every loser is told who decided (checked afterwards
             in the database).
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
N_MEMBERS = 18
RACE_ORDERS = 200
STEP_NAME = "Any one of 18"
SCENARIOS = {
    "approve": {"label": "10 reviewers approving", "approvers": 10, "browsers": 0},
    "browse": {"label": "15 reviewers approving while 5 browse lists and forms", "approvers": 15, "browsers": 5},
    "race": {"label": f"10 reviewers racing for the same {RACE_ORDERS} orders", "approvers": 10, "browsers": 0},
}
APPROVE = {"crm": "action_review_approve", "oca": "validate_tier"}
TO_REVIEW = {
    "crm": [["review_to_me", "=", True]],
    "oca": [["reviewer_ids", "in", "UID"], ["state", "not in", ["sale", "cancel"]]],
}
LIST_SPEC = {
    "crm": {
        "name": {},
        "partner_id": {"fields": {"display_name": {}}},
        "amount_total": {},
        "review_state": {},
        "review_step_label": {},
        "review_reviewer_ids": {"fields": {"display_name": {}}},
    },
    "oca": {
        "name": {},
        "partner_id": {"fields": {"display_name": {}}},
        "amount_total": {},
        "validation_status": {},
        "next_review": {},
        "reviewer_ids": {"fields": {"display_name": {}}},
    },
}
FORM_SPEC = {
    "crm": {
        "name": {},
        "partner_id": {"fields": {"display_name": {}}},
        "amount_total": {},
        "order_line": {"fields": {"product_id": {"fields": {"display_name": {}}}, "price_subtotal": {}}},
        "review_state": {},
        "review_can_decide": {},
        "review_step_label": {},
        "review_reviewers_label": {},
        "review_ids": {},
    },
    "oca": {
        "name": {},
        "partner_id": {"fields": {"display_name": {}}},
        "amount_total": {},
        "order_line": {"fields": {"product_id": {"fields": {"display_name": {}}}, "price_subtotal": {}}},
        "validation_status": {},
        "can_review": {},
        "to_validate_message": {},
        "next_review": {},
        "review_ids": {},
    },
}


class RpcError(Exception):
    def __init__(self, name, message):
        super().__init__(message)
        self.name = name
        self.message = message


class Client:
    """One logged-in user of the web client: its own session cookie, a new connection per call."""

    def __init__(self, port, db, login):
        self.port = port
        self.db = db
        self.login = login
        self.cookie = None
        self.uid = None

    def post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1})
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            cookie = response.getheader("Set-Cookie")
            if cookie and cookie.startswith("session_id="):
                self.cookie = cookie.split(";", 1)[0]
            payload = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise RpcError("HTTP", f"HTTP {response.status}: {payload[:200]!r}")
        data = json.loads(payload)
        if "error" in data:
            error = data["error"].get("data") or {}
            raise RpcError(error.get("name", "?"), error.get("message") or data["error"].get("message", "?"))
        return data.get("result")  # omitted when the method returns None

    def authenticate(self):
        result = self.post("/web/session/authenticate", {"db": self.db, "login": self.login, "password": self.login})
        self.uid = result["uid"]

    def call(self, model, method, *args, **kwargs):
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def server_cpu_seconds(session_id):
    """CPU time (user + system) of the server's processes: live ones, and the workers it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3 of stat); session id is field 6, utime..cstime fields 14-17.
        if int(fields[3]) != session_id:
            continue
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / ticks


class Server:
    def __init__(self, args, db, log_path):
        self.args = args
        self.db = db
        self.log_path = log_path
        self.process = None

    def __enter__(self):
        a = self.args
        cmd = [
            a.python,
            a.odoo_bin,
            "-d",
            self.db,
            f"--db-filter=^{self.db}$",
            f"--addons-path={a.addons_path}",
            f"--workers={a.workers}",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={a.port}",
            "--log-level=warn",
            f"--logfile={self.log_path}",
            "--limit-time-cpu=600",
            "--limit-time-real=1200",
            "--limit-memory-soft=4294967296",
            "--limit-memory-hard=5368709120",
        ]
        self.process = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=5)
                conn.request("GET", "/web/health")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.5)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"the server of {self.db} did not start (see {self.log_path})")

    def cpu(self):
        return server_cpu_seconds(self.process.pid)

    def __exit__(self, *exc):
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def sql(db, query):
    out = subprocess.run(["psql", "-d", db, "-AtF", "\t", "-c", query], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def waiting_orders(db, system):
    if system == "crm":
        rows = sql(
            db,
            "SELECT res_id FROM crm_review WHERE res_model = 'sale.order' AND state = 'pending' "
            f"AND is_current AND name = '{STEP_NAME}' ORDER BY res_id",
        )
    else:
        rows = sql(
            db,
            "SELECT r.res_id FROM tier_review r JOIN tier_definition d ON d.id = r.definition_id "
            f"WHERE r.model = 'sale.order' AND r.status = 'pending' AND d.name->>'en_US' = '{STEP_NAME}' "
            "ORDER BY r.res_id",
        )
    return [int(row[0]) for row in rows]


def winners(db, system, order_ids):
    """{order id: (number of approvals of the group step, name of who approved)} from the database."""
    ids = ",".join(str(i) for i in order_ids)
    if system == "crm":
        rows = sql(
            db,
            "SELECT l.res_id, count(*), min(p.name) FROM crm_review_log l JOIN res_users u ON u.id = l.user_id "
            "JOIN res_partner p ON p.id = u.partner_id JOIN crm_review r ON r.id = l.review_id "
            f"WHERE l.res_model = 'sale.order' AND l.action = 'approve' AND r.name = '{STEP_NAME}' "
            f"AND l.res_id IN ({ids}) GROUP BY l.res_id",
        )
    else:
        rows = sql(
            db,
            "SELECT r.res_id, count(*), min(p.name) FROM tier_review r "
            "JOIN tier_definition d ON d.id = r.definition_id "
            "JOIN res_users u ON u.id = r.done_by JOIN res_partner p ON p.id = u.partner_id "
            f"WHERE r.model = 'sale.order' AND r.status = 'approved' AND d.name->>'en_US' = '{STEP_NAME}' "
            f"AND r.res_id IN ({ids}) GROUP BY r.res_id",
        )
    return {int(res_id): (int(count), name) for res_id, count, name in rows}


class Round:
    """One scenario on one fresh copy of one system's database."""

    def __init__(self, args, system, scenario, index):
        self.args = args
        self.system = system
        self.scenario = scenario
        self.index = index
        self.db = f"{args.prefix}_{system}_load"
        self.decisions = []  # (login, order id, seconds, outcome, message); outcome: ok, refused, error
        self.browses = []  # seconds
        self.lock = threading.Lock()

    def run(self):
        a = self.args
        subprocess.run(["dropdb", "--if-exists", self.db], check=True)
        subprocess.run(["createdb", "-T", f"{a.prefix}_{self.system}_ready", self.db], check=True)
        orders = waiting_orders(self.db, self.system)
        spec = SCENARIOS[self.scenario]
        logins = [f"member{i:02d}" for i in range(1, N_MEMBERS + 1)]
        approvers = [Client(a.port, self.db, login) for login in logins[: spec["approvers"]]]
        browsers = [Client(a.port, self.db, login) for login in logins[N_MEMBERS - spec["browsers"] :]]
        log_path = Path(a.logs) / f"load-{self.scenario}-{self.system}-{self.index}.log"
        with Server(a, self.db, log_path) as server:
            clients = approvers + browsers
            for client in clients:
                client.authenticate()
            # Warm-up, not measured: each worker serves each user a few times (per-user caches).
            if self.scenario == "race":
                race = orders[:RACE_ORDERS]
                warm, orders = orders[RACE_ORDERS : RACE_ORDERS + len(approvers) * 3], orders[RACE_ORDERS:]
            else:
                warm, orders = orders[: len(approvers) * 3], orders[len(approvers) * 3 :]
            self.parallel(
                [
                    lambda c=c, i=i: self.approve_all(c, warm[i :: len(approvers)], record=False)
                    for i, c in enumerate(approvers)
                ]
                + [lambda c=c: self.browse_for(c, time.time() + 3, record=False) for c in browsers]
            )
            self.decisions.clear()
            self.browses.clear()
            load_start = os.getloadavg()[0]
            cpu_start = server.cpu()
            start = time.perf_counter()
            deadline = time.time() + a.seconds
            if self.scenario == "race":
                jobs = [lambda c=c: self.approve_all(c, race) for c in approvers]
            else:
                jobs = [
                    lambda c=c, i=i: self.approve_all(c, orders[i :: len(approvers)], deadline)
                    for i, c in enumerate(approvers)
                ]
            jobs += [lambda c=c: self.browse_for(c, deadline) for c in browsers]
            self.parallel(jobs)
            seconds = time.perf_counter() - start
            cpu = server.cpu() - cpu_start
            load_end = os.getloadavg()[0]
        result = self.summary(seconds, cpu, load_start, load_end)
        if self.scenario == "race":
            result["race"] = self.check_race(race)
            # What counts is what was decided: a call may return without deciding anything.
            result["approvals"] = result["race"]["decided_once"] + result["race"]["decided_twice_or_more"]
        subprocess.run(["dropdb", "--if-exists", self.db], check=True)
        return result

    @staticmethod
    def parallel(jobs):
        threads = [threading.Thread(target=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def approve_all(self, client, order_ids, deadline=None, record=True):
        for order_id in order_ids:
            if deadline and time.time() >= deadline:
                return
            t0 = time.perf_counter()
            try:
                client.call("sale.order", APPROVE[self.system], [order_id])
                outcome, message = "ok", ""
            except RpcError as error:
                # A refusal the reviewer reads (a decision taken by someone else) is not an error.
                refused = error.name.startswith("odoo.exceptions.")
                outcome, message = ("refused" if refused else "error"), f"{error.name}: {error.message}"
            if record:
                with self.lock:
                    self.decisions.append((client.login, order_id, time.perf_counter() - t0, outcome, message))

    def browse_for(self, client, deadline, record=True):
        domain = [[term[0], term[1], client.uid if term[2] == "UID" else term[2]] for term in TO_REVIEW[self.system]]
        while time.time() < deadline:
            t0 = time.perf_counter()
            page = client.call(
                "sale.order", "web_search_read", domain, LIST_SPEC[self.system], limit=80, count_limit=10001
            )
            records = page["records"]
            if records:
                client.call("sale.order", "web_read", [records[len(records) // 2]["id"]], FORM_SPEC[self.system])
            if record:
                with self.lock:
                    self.browses.append(time.perf_counter() - t0)

    def summary(self, seconds, cpu, load_start, load_end):
        ok = [d for d in self.decisions if d[3] == "ok"]
        errors = [d for d in self.decisions if d[3] == "error"]
        latencies = [d[2] * 1000 for d in self.decisions]
        return {
            "system": self.system,
            "scenario": self.scenario,
            "round": self.index,
            "seconds": round(seconds, 2),
            "calls": len(self.decisions),
            "approvals": len(ok),
            "refused": len(self.decisions) - len(ok) - len(errors),
            "errors": len(errors),
            "error_samples": sorted({d[4][:200] for d in errors})[:5],
            "latencies_ms": [round(x, 1) for x in latencies],
            "browse_ms": [round(x * 1000, 1) for x in self.browses],
            "cpu_seconds": round(cpu, 2),
            "load": [round(load_start, 2), round(load_end, 2)],
            "losers": [[d[1], d[4]] for d in self.decisions if d[3] == "refused"] if self.scenario == "race" else [],
        }

    def check_race(self, race):
        found = winners(self.db, self.system, race)
        losers = [(d[1], d[4]) for d in self.decisions if d[3] == "refused"]
        told = sum(1 for order_id, message in losers if order_id in found and found[order_id][1] in message)
        return {
            "orders": len(race),
            "decided_once": sum(1 for order_id in race if found.get(order_id, (0,))[0] == 1),
            "decided_twice_or_more": sum(1 for order_id in race if found.get(order_id, (0,))[0] > 1),
            "undecided": sum(1 for order_id in race if order_id not in found),
            "losers_refused": len(losers),
            "losers_told_who_decided": told,
            "loser_samples": sorted({message[:200] for _o, message in losers})[:3],
            # A loser OCA lets through without a word: its call returned, no decision was taken.
            "calls_without_decision": sum(1 for d in self.decisions if d[3] == "ok")
            - sum(found.get(order_id, (0,))[0] for order_id in race),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="benchload")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30, help="measured seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per scenario and system")
    parser.add_argument("--scenarios", default="approve,browse,race")
    parser.add_argument("--out", default=str(BENCH_DIR / "results" / "load.json"))
    parser.add_argument("--logs", default=str(BENCH_DIR / "results" / "logs"))
    parser.add_argument("--python", default=os.environ.get("PYTHON", sys.executable))
    parser.add_argument("--odoo-bin", default=os.environ.get("ODOO_BIN"))
    parser.add_argument("--addons-path", default=os.environ.get("ADDONS_PATH"))
    args = parser.parse_args()
    Path(args.logs).mkdir(parents=True, exist_ok=True)
    started = time.time()
    rounds = []
    for scenario in args.scenarios.split(","):
        for index in range(1, args.rounds + 1):
            systems = ("crm", "oca") if index % 2 else ("oca", "crm")
            for system in systems:
                print(f"== {scenario}, round {index}: {system}", flush=True)
                result = Round(args, system, scenario, index).run()
                lat = result["latencies_ms"]
                print(
                    f"   {result['approvals']} approvals in {result['seconds']:.1f} s, {result['refused']} refused, "
                    f"{result['errors']} errors, p50 {percentile(lat, 0.5)} ms, p95 {percentile(lat, 0.95)} ms, "
                    f"Odoo CPU {result['cpu_seconds']:.1f} s, load {result['load']}"
                    + (f", race {result['race']}" if "race" in result else ""),
                    flush=True,
                )
                rounds.append(result)
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "revision": subprocess.run(
            ["git", "-C", str(BENCH_DIR.parent), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "workers": args.workers,
        "seconds": args.seconds,
        "rounds_per_system": args.rounds,
        "cpus": os.cpu_count(),
        "elapsed_seconds": round(time.time() - started),
        "rounds": rounds,
    }
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(f"written {args.out}")


def aggregate(rounds):
    """{(scenario, system): totals over its rounds}."""
    totals = {}
    for item in rounds:
        key = (item["scenario"], item["system"])
        t = totals.setdefault(
            key,
            {
                "seconds": 0.0,
                "approvals": 0,
                "refused": 0,
                "errors": 0,
                "cpu": 0.0,
                "lat": [],
                "browse": [],
                "load": [],
            },
        )
        t["seconds"] += item["seconds"]
        t["approvals"] += item["approvals"]
        t["refused"] += item["refused"]
        t["errors"] += item["errors"]
        t["cpu"] += item["cpu_seconds"]
        t["lat"] += item["latencies_ms"]
        t["browse"] += item["browse_ms"]
        t["load"] += item["load"]
        if "race" in item:
            race = t.setdefault("race", {})
            for k, v in item["race"].items():
                if isinstance(v, int):
                    race[k] = race.get(k, 0) + v
            race.setdefault("samples", []).extend(item["race"]["loser_samples"])
    for t in totals.values():
        t["per_s"] = t["approvals"] / t["seconds"] if t["seconds"] else 0.0
        t["per_cpu_s"] = t["approvals"] / t["cpu"] if t["cpu"] else 0.0
        t["p50"] = percentile(t["lat"], 0.5)
        t["p95"] = percentile(t["lat"], 0.95)
        t["browse_p50"] = percentile(t["browse"], 0.5)
        t["browse_p95"] = percentile(t["browse"], 0.95)
        t["mean_ms"] = statistics.fmean(t["lat"]) if t["lat"] else None
    return totals


if __name__ == "__main__":
    main()
