#!/usr/bin/env python3
"""Benchmark driver: crm_review against the OCA tier-validation modules.

Runs inside Odoo (standalone: it loads the registry of one database) and is
called by ``bench/run.sh``. Sub-commands:

``base``    users, customers, products and the reviewer group, in the plain
            database every benchmark database is copied from;
``config``  the review rules (crm_review) or tier definitions (OCA);
``run``     the workload for one system and one N, written as JSON;
``report``  README.md, the table and the plot from the JSON files (with the
            scale run's section when ``bench/scale.sh`` has written
            ``results/scale.json``);
``scale-table`` that section alone.

Queries are counted exactly (``odoo.sql_db.sql_counter``, incremented by every
``Cursor.execute``); every measured block ends with ``cr.commit()``, which
flushes the ORM and runs the pre-commit hooks (mail tracking, bus messages),
so deferred SQL is counted and each operation is its own transaction, as an
RPC call is.
"""

import argparse
import collections
import json
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

N_SALESPEOPLE = 20
N_CUSTOMERS = 500
N_PRODUCTS = 12
N_SINGLE = 100  # records of the one-by-one operations (submit one, reject, form)
N_REMIND = 150  # overdue orders of the reminder cron
N_MEMBERS = 18  # members of the large "any one of" group (the group-of-18 rows and bench/load.py)
GROUP18_REF = "GROUP18"  # customer reference of the orders the group of 18 reviews
GROUP_LIMIT = 1000.0
DIRECTOR_LIMIT = 10000.0

# ---------------------------------------------------------------------------
# Odoo bootstrap
# ---------------------------------------------------------------------------


def boot(db, addons_path):
    """Load the registry of ``db``; return (odoo module, registry)."""
    import odoo  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(
        [
            "-d",
            db,
            f"--addons-path={addons_path}",
            "--log-level=warn",
            "--no-http",
            "--max-cron-threads=0",
        ],
        setup_logging=True,
    )
    from odoo.modules.registry import Registry  # noqa: PLC0415

    return odoo, Registry(db)


def user_env(odoo, cr, uid):
    return odoo.api.Environment(cr, uid, {"lang": "en_US", "tz": "UTC"})


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def sql_count():
    import odoo.sql_db  # noqa: PLC0415

    return odoo.sql_db.sql_counter


# Code whose lines a query is attributed to: the innermost frame of these addons.
WATCHED = ("/crm_review/", "/base_tier_validation/", "/sale_tier_validation/", "/partner_tier_validation/")


def query_origin():
    """``addon/path.py:line function`` of the innermost watched frame issuing the query."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        for marker in WATCHED:
            index = filename.find(marker)
            if index >= 0:
                return f"{filename[index + 1 :]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return "(Odoo itself, no review addon frame)"


class SqlCapture:
    """Records the text and origin of every query of the current thread while active."""

    def __init__(self):
        self.queries = []
        self.origins = []

    def hook(self, cr, query, params, start, delay):
        self.queries.append(query if isinstance(query, str) else query.decode("utf-8", "replace"))
        self.origins.append(query_origin())

    @contextmanager
    def active(self):
        thread = threading.current_thread()
        old = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*old, self.hook)
        try:
            yield self
        finally:
            thread.query_hooks = old


_COLUMN = r'"\w+"\."\w+"(?:->>%s)?'
_NORMALIZE = [
    (re.compile(r"\s+"), " "),
    # long column lists of the ORM's SELECTs: keep the table, drop the columns
    (re.compile(rf'SELECT ("\w+")\.("\w+")(?:->>%s)?(?:, {_COLUMN}){{3,}} FROM'), r"SELECT \1.* FROM"),
    (re.compile(r"(%s\s*,\s*)+%s"), "%s,..."),
    (re.compile(r"\(%s(,\.\.\.)?\)(\s*,\s*\(%s(,\.\.\.)?\))+"), "(%s,...),..."),
    (re.compile(r"'[^']*'"), "'?'"),
    (re.compile(r"\b\d+\b"), "N"),
]


def normalize_sql(query):
    for pattern, repl in _NORMALIZE:
        query = pattern.sub(repl, query)
    return query.strip()[:400]


def top_statements(queries, limit=12):
    counts = collections.Counter(normalize_sql(q) for q in queries)
    return [[count, stmt] for stmt, count in counts.most_common(limit)]


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# Where the queries of one call go, for the review addons' operations (README: "Targets not met").
QUERY_CATEGORIES = {
    "engine_read": "review lines locked and read, access checks, step and reviewer names",
    "engine_write": "review lines and the record's review state written",
    "todo_remove": "decided step's to-do removed: ORM unlink of `mail.activity` (search, read, then the cleanup "
    "of its attachments, `ir.model.data` and defaults)",
    "todo_create": "next step's to-do created: ORM create of `mail.activity` (model, assignee, follower "
    "subscription of the assignee)",
    "todo_notice": 'reviewer told of the new to-do: Odoo\'s "assigned to you" message (`action_notify`: '
    "message, recipients, notification)",
    "note": "chatter note (`_message_log_batch`)",
    "audit": "audit-trail row",
    "wizard": "reject wizard record",
    "odoo": "Odoo itself (flush at commit, bus notifications of the to-do counters)",
    "other": "other",
}
_ENGINE_WRITE = re.compile(
    r'^(UPDATE "(crm_review|sale_order|res_partner|contract_contract)" SET .*"(review_state|state|is_current)"'
    r'|INSERT INTO "crm_review(_reviewer_rel|_approved_by_rel|_acted_by_rel)?" )',
    re.S,
)
_NOTICE = re.compile(r"mail_message|mail_notification|mail_alias|mail_followers\"\.|partner\.email_normalized")


def query_category(origin, query):
    """Category (a key of ``QUERY_CATEGORIES``) of one query of a captured call."""
    statement = " ".join(query.split())
    if _ENGINE_WRITE.match(statement):
        return "engine_write"
    if "_review_remove" in origin:
        return "todo_remove"
    if "_create_todos" in origin:
        return "todo_create"
    if "_review_schedule" in origin:
        return "todo_notice" if _NOTICE.search(statement) else "todo_create"
    if " _post" in origin or "_message_log" in origin:
        return "note"
    if "_review_log" in origin or "_log_lines" in origin:
        return "audit"
    if "/wizard/" in origin:
        return "wizard"
    if origin.startswith("(Odoo itself"):
        return "todo_create" if '"mail_activity"' in statement else "odoo"
    if origin.startswith("crm_review/"):
        return "engine_read"
    return "other"


def backend_cpu_seconds(cr):
    """CPU time (user + system) used so far by the PostgreSQL process serving ``cr`` (same machine)."""
    pid = cr._cnx.get_backend_pid()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Op:
    """Accumulates queries, wall time and CPU time of one operation over its records.

    CPU time is that of this process (Odoo) and of the PostgreSQL process serving its cursor: unlike
    wall time, it hardly moves with the load of the machine.
    """

    def __init__(self, name, cr):
        self.name = name
        self.cr = cr
        self.records = 0
        self.calls = 0
        self.queries = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.db_cpu_seconds = 0.0
        self.error = None
        self.sql = None  # statements of one representative call
        self.sql_records = 0

    def call(self, fn, records=1, capture=False):
        """Run ``fn`` and commit, counting queries and wall time."""
        capture_obj = SqlCapture() if capture else None
        q0 = sql_count()
        db0 = backend_cpu_seconds(self.cr)
        c0 = time.process_time()
        t0 = time.perf_counter()
        if capture_obj:
            with capture_obj.active():
                fn()
                self.cr.commit()
        else:
            fn()
            self.cr.commit()
        self.seconds += time.perf_counter() - t0
        self.cpu_seconds += time.process_time() - c0
        self.db_cpu_seconds += backend_cpu_seconds(self.cr) - db0
        self.queries += sql_count() - q0
        self.records += records
        self.calls += 1
        if capture_obj:
            self.sql = top_statements(capture_obj.queries)
            self.origins = [[c, o] for o, c in collections.Counter(capture_obj.origins).most_common(15)]
            pairs = collections.Counter(
                zip(capture_obj.origins, (normalize_sql(q)[:160] for q in capture_obj.queries), strict=True)
            )
            self.pairs = [[c, o, q] for (o, q), c in pairs.most_common(40)]
            self.sql_total = len(capture_obj.queries)
            self.sql_records = records
            self.categories = collections.Counter(
                query_category(o, q) for o, q in zip(capture_obj.origins, capture_obj.queries, strict=True)
            )

    def as_dict(self):
        records = self.records or 1
        return {
            "records": self.records,
            "calls": self.calls,
            "queries": self.queries,
            "seconds": round(self.seconds, 4),
            "q_per_rec": round(self.queries / records, 4),
            "ms_per_rec": round(1000 * self.seconds / records, 4),
            "cpu_ms_per_rec": round(1000 * self.cpu_seconds / records, 4),
            "db_cpu_ms_per_rec": round(1000 * self.db_cpu_seconds / records, 4),
            "q_per_call": round(self.queries / (self.calls or 1), 4),
            "ms_per_call": round(1000 * self.seconds / (self.calls or 1), 4),
            "peak_rss_kb": peak_rss_kb(),
            "error": self.error,
            "sql_sample": {
                "records": self.sql_records,
                "queries": getattr(self, "sql_total", 0),
                "top": self.sql,
                "origins": getattr(self, "origins", []),
                "origin_statements": getattr(self, "pairs", []),
                "categories": dict(getattr(self, "categories", {})),
            }
            if self.sql is not None
            else None,
        }


# ---------------------------------------------------------------------------
# base: the data every system shares (created before any review addon)
# ---------------------------------------------------------------------------


def cmd_base(odoo, registry, args):
    from odoo.fields import Command  # noqa: PLC0415

    with registry.cursor() as cr:
        env = user_env(odoo, cr, odoo.SUPERUSER_ID)
        env = env(context=dict(env.context, mail_create_nolog=True, mail_notrack=True, no_reset_password=True))
        ref = env.ref
        salesman = ref("sales_team.group_sale_salesman")
        all_leads = ref("sales_team.group_sale_salesman_all_leads")
        manager = ref("sales_team.group_sale_manager")
        Users = env["res.users"].with_context(no_reset_password=True)

        def user(login, name, groups):
            return Users.create(
                {
                    "login": login,
                    "name": name,
                    "email": f"{login}@bench.example.com",
                    "notification_type": "inbox",
                    "group_ids": [Command.set([g.id for g in groups])],
                }
            )

        for i in range(1, N_SALESPEOPLE + 1):
            user(f"sales{i:02d}", f"Salesperson {i:02d}", [salesman])
        user("salesmgr", "Sales Manager", [manager])
        reviewers = Users.browse()
        for i in range(1, 4):
            reviewers |= user(f"reviewer{i}", f"Reviewer {i}", [all_leads])
        user("controller", "Controller", [all_leads])
        user("director", "Director", [all_leads])
        env["res.groups"].create({"name": "Order reviewers", "user_ids": [Command.set(reviewers.ids)]})
        members = Users.browse()
        for i in range(1, N_MEMBERS + 1):
            members |= user(f"member{i:02d}", f"Member {i:02d}", [all_leads])
        env["res.groups"].create({"name": "Order reviewers (18)", "user_ids": [Command.set(members.ids)]})

        env["res.partner"].create(
            [
                {
                    "name": f"Customer {i:03d}",
                    "is_company": True,
                    "email": f"customer{i:03d}@bench.example.com",
                }
                for i in range(1, N_CUSTOMERS + 1)
            ]
        )
        env["product.product"].create(
            [
                {
                    "name": f"Bench product {i:02d}",
                    "type": "consu",
                    "list_price": 10.0 * i,
                    "taxes_id": [Command.clear()],
                    "default_code": f"BENCH{i:02d}",
                }
                for i in range(1, N_PRODUCTS + 1)
            ]
        )
        cr.commit()
    print("base data created")


def bench_users(env):
    Users = env["res.users"].with_context(active_test=False)
    by_login = {u.login: u for u in Users.search([("login", "in", _logins())])}
    return {
        "sales": [by_login[f"sales{i:02d}"] for i in range(1, N_SALESPEOPLE + 1)],
        "manager": by_login["salesmgr"],
        "reviewers": [by_login[f"reviewer{i}"] for i in range(1, 4)],
        "controller": by_login["controller"],
        "director": by_login["director"],
        "group": env["res.groups"].search([("name", "=", "Order reviewers")], limit=1),
        "members": [by_login[f"member{i:02d}"] for i in range(1, N_MEMBERS + 1)],
        "group18": env["res.groups"].search([("name", "=", "Order reviewers (18)")], limit=1),
    }


def _logins():
    return (
        [f"sales{i:02d}" for i in range(1, N_SALESPEOPLE + 1)]
        + [
            "salesmgr",
            "reviewer1",
            "reviewer2",
            "reviewer3",
            "controller",
            "director",
        ]
        + [f"member{i:02d}" for i in range(1, N_MEMBERS + 1)]
    )


# ---------------------------------------------------------------------------
# config: the same three steps, in each system's own terms
# ---------------------------------------------------------------------------


def cmd_config(odoo, registry, args):
    from odoo.fields import Command  # noqa: PLC0415

    with registry.cursor() as cr:
        env = user_env(odoo, cr, odoo.SUPERUSER_ID)
        u = bench_users(env)
        so_model = env["ir.model"]._get_id("sale.order")
        if args.system == "crm":
            reviewer_group = env.ref("crm_review.group_review_reviewer")
            reviewer_group.write(
                {
                    "user_ids": [
                        Command.link(x.id) for x in (*u["reviewers"], u["controller"], u["director"], *u["members"])
                    ]
                }
            )
            submitter = env.ref("crm_review.group_review_submitter")
            missing = [x.login for x in (*u["sales"], u["manager"]) if submitter not in x.all_group_ids]
            if missing:
                submitter.write({"user_ids": [Command.link(x.id) for x in (*u["sales"], u["manager"])]})
            Rule = env["crm.review.rule"]
            # The orders of the group of 18 follow their own rule only.
            not_group18 = f"('client_order_ref', '!=', '{GROUP18_REF}')"
            Rule.create(
                {
                    "name": "Orders over 1,000",
                    "state": "active",
                    "model_id": so_model,
                    "domain": f"[('amount_total', '>', {GROUP_LIMIT:.0f}), {not_group18}]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Reviewers",
                                "sequence": 10,
                                "approver_type": "group",
                                "group_id": u["group"].id,
                                "approval_mode": "any",
                            }
                        ),
                        Command.create(
                            {
                                "name": "Controller",
                                "sequence": 20,
                                "approver_type": "users",
                                "user_ids": [Command.set(u["controller"].ids)],
                                "approval_mode": "any",
                            }
                        ),
                    ],
                }
            )
            Rule.create(
                {
                    "name": "Orders over 10,000",
                    "state": "active",
                    "model_id": so_model,
                    "domain": f"[('amount_total', '>', {DIRECTOR_LIMIT:.0f}), {not_group18}]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Director",
                                "sequence": 30,
                                "approver_type": "users",
                                "user_ids": [Command.set(u["director"].ids)],
                                "approval_mode": "any",
                            }
                        ),
                    ],
                }
            )
            Rule.create(
                {
                    "name": "Orders for the group of 18",
                    "state": "active",
                    "model_id": so_model,
                    "domain": f"[('client_order_ref', '=', '{GROUP18_REF}')]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Any one of 18",
                                "sequence": 10,
                                "approver_type": "group",
                                "group_id": u["group18"].id,
                                "approval_mode": "any",
                            }
                        ),
                        Command.create(
                            {
                                "name": "Controller",
                                "sequence": 20,
                                "approver_type": "users",
                                "user_ids": [Command.set(u["controller"].ids)],
                                "approval_mode": "any",
                            }
                        ),
                    ],
                }
            )
        elif args.system == "oca":
            # request_validation() numbers the tiers in *descending* definition
            # sequence: the highest sequence is reviewed first. With
            # approve_sequence, a tier waits for the lower-numbered ones.
            TD = env["tier.definition"]
            common = {"model_id": so_model, "definition_type": "domain", "approve_sequence": True}
            main = f"('client_order_ref', '!=', '{GROUP18_REF}')"
            group18 = f"[('client_order_ref', '=', '{GROUP18_REF}')]"
            TD.create(
                [
                    dict(
                        common,
                        name="Reviewers",
                        review_type="group",
                        reviewer_group_id=u["group"].id,
                        definition_domain=f"[('amount_total', '>', {GROUP_LIMIT:.0f}), {main}]",
                        sequence=30,
                    ),
                    dict(
                        common,
                        name="Controller",
                        review_type="individual",
                        reviewer_id=u["controller"].id,
                        definition_domain=f"[('amount_total', '>', {GROUP_LIMIT:.0f}), {main}]",
                        sequence=20,
                    ),
                    dict(
                        common,
                        name="Director",
                        review_type="individual",
                        reviewer_id=u["director"].id,
                        definition_domain=f"[('amount_total', '>', {DIRECTOR_LIMIT:.0f}), {main}]",
                        sequence=10,
                    ),
                    dict(
                        common,
                        name="Any one of 18",
                        review_type="group",
                        reviewer_group_id=u["group18"].id,
                        definition_domain=group18,
                        sequence=30,
                    ),
                    dict(
                        common,
                        name="Controller (group of 18)",
                        review_type="individual",
                        reviewer_id=u["controller"].id,
                        definition_domain=group18,
                        sequence=20,
                    ),
                ]
            )
        cr.commit()
    print(f"{args.system}: review configuration created")


# ---------------------------------------------------------------------------
# run: the workload
# ---------------------------------------------------------------------------


def order_plan(n, seed):
    """(salesperson index, customer index, [(product index, price)] x 3) per order.

    60 % of the orders total between 1,000 and 10,000 (two steps), 40 % more
    than 10,000 (three steps). The same seed gives the same orders everywhere.
    """
    rng = random.Random(seed)
    plan = []
    for i in range(n):
        if i % 5 in (1, 3):
            total = rng.uniform(DIRECTOR_LIMIT + 500, 60000)
        else:
            total = rng.uniform(GROUP_LIMIT + 200, DIRECTOR_LIMIT - 500)
        weights = [rng.uniform(1, 3) for _ in range(3)]
        scale = total / sum(weights)
        lines = [(rng.randrange(N_PRODUCTS), round(w * scale, 2)) for w in weights]
        plan.append((i % N_SALESPEOPLE, rng.randrange(N_CUSTOMERS), lines))
    return plan


def create_orders(env, users, plan, ref=False):
    """Create the orders as their salespeople, in batches; return the ids in plan order.

    ``ref``: the customer reference of the orders (the group of 18 reviews those of ``GROUP18_REF``).
    """
    from odoo.fields import Command  # noqa: PLC0415

    customers = env["res.partner"].search([("name", "=like", "Customer %"), ("is_company", "=", True)], order="name")
    products = env["product.product"].search([("default_code", "=like", "BENCH%")], order="default_code")
    assert len(customers) == N_CUSTOMERS and len(products) == N_PRODUCTS, "run `bench.py base` first"
    ids = [None] * len(plan)
    by_sales = collections.defaultdict(list)
    for index, (sales, customer, lines) in enumerate(plan):
        by_sales[sales].append((index, customer, lines))
    for sales, items in by_sales.items():
        user = users["sales"][sales]
        # as in the web client: the creation is logged in the chatter
        Orders = env["sale.order"].with_user(user)
        for chunk in range(0, len(items), 200):
            part = items[chunk : chunk + 200]
            orders = Orders.create(
                [
                    {
                        "partner_id": customers[customer].id,
                        "user_id": user.id,
                        "client_order_ref": ref,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": products[product].id,
                                    "product_uom_qty": 1,
                                    "price_unit": price,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                            for product, price in lines
                        ],
                    }
                    for _index, customer, lines in part
                ]
            )
            for (index, _c, _l), order in zip(part, orders, strict=True):
                ids[index] = order.id
            env.cr.commit()
    return ids


def analyze(cr):
    """Refresh the planner statistics after a bulk change, as autovacuum soon would (not measured)."""
    cr.commit()
    cr.execute("ANALYZE")
    cr.commit()


class Workload:
    """The operations, written once for both systems (``self.sys`` picks the calls)."""

    def __init__(self, odoo, registry, system, n, capture_index=1):
        self.odoo = odoo
        self.registry = registry
        self.sys = system
        self.n = n
        self.capture_index = capture_index
        self.results = {}

    def env_for(self, cr, user):
        return user_env(self.odoo, cr, user.id)

    # -- the calls that differ between the systems ------------------------

    def submit(self, orders):
        if self.sys == "crm":
            return orders.action_review_submit()
        return orders.request_validation()

    def approve(self, order):
        if self.sys == "crm":
            return order.action_review_approve()
        return order.validate_tier()

    def reject(self, order, note):
        if self.sys == "crm":
            # The web client sends the reason's id, chosen in the wizard.
            action = order.action_review_reject()
            wizard = (
                order.env["crm.review.reject"]
                .with_context(action["context"])
                .create({"reason_id": self.reason_id, "note": note})
            )
            return wizard.action_confirm()
        # OCA: what its comment wizard does (comment.wizard.add_comment) for
        # the reviews reject_tier() selects; no reason catalog exists there.
        sequences = order._get_sequences_to_approve(order.env.user)
        reviews = order.review_ids.filtered(lambda r: r.sequence in sequences)
        reviews.write({"comment": note})
        order._rejected_tier(reviews)
        order._update_counter({"review_deleted": True})
        return True

    def make_overdue(self, env, order_ids):
        """Date the reviews of these orders back so the reminder cron picks them; return how many it will."""
        cr = env.cr
        if self.sys == "crm":
            cr.execute(
                "UPDATE crm_review SET next_reminder_at = (now() AT TIME ZONE 'UTC') - interval '1 hour'"
                " WHERE res_model = 'sale.order' AND res_id IN %s AND state = 'pending'",
                (tuple(order_ids),),
            )
            env.invalidate_all()
            return cr.rowcount
        # OCA: remind reviews older than a day; its cron takes 50 reviews per tier definition and run.
        env["tier.definition"].search([]).write({"notify_reminder_delay": 1})
        cr.execute(
            "UPDATE tier_review SET create_date = (now() AT TIME ZONE 'UTC') - interval '2 days'"
            " WHERE model = 'sale.order' AND res_id IN %s",
            (tuple(order_ids),),
        )
        env.invalidate_all()
        return sum(len(d._get_review_needing_reminder()) for d in env["tier.definition"].search([]))

    def send_reminders(self, env):
        if self.sys == "crm":
            return env["crm.review"]._cron_send_reminders()
        return env["tier.definition"]._cron_send_review_reminder()

    def reminded(self, env, order_ids):
        if self.sys == "crm":
            domain = [("res_model", "=", "sale.order"), ("res_id", "in", order_ids), ("reminder_count", ">", 0)]
            return env["crm.review"].search_count(domain)
        domain = [("model", "=", "sale.order"), ("res_id", "in", order_ids), ("last_reminder_date", "!=", False)]
        return env["tier.review"].search_count(domain)

    def to_review_count(self, Orders):
        if self.sys == "crm":
            return Orders.search_count([("review_to_me", "=", True)])
        # the "Needs my Review" filter of sale_tier_validation
        return Orders.search_count([("reviewer_ids", "in", Orders.env.uid), ("state", "not in", ["sale", "cancel"])])

    def list_spec(self):
        if self.sys == "crm":
            return {
                "review_state": {},
                "review_step_label": {},
                "review_reviewer_ids": {"fields": {"display_name": {}}},
                "review_to_me": {},
            }
        return {
            "validation_status": {},
            "next_review": {},
            "reviewer_ids": {"fields": {"display_name": {}}},
            "can_review": {},
        }

    def form_block_spec(self):
        if self.sys == "crm":
            return {
                "review_state": {},
                "review_required": {},
                "review_can_decide": {},
                "review_submitted_by_me": {},
                "review_step_label": {},
                "review_reviewers_label": {},
                "review_ids": {},
            }
        return {
            "validation_status": {},
            "need_validation": {},
            "hide_reviews": {},
            "can_review": {},
            "to_validate_message": {},
            "next_review": {},
            "review_ids": {},
        }

    def form_lines_spec(self):
        if self.sys == "crm":
            return {
                "review_ids": {
                    "fields": {
                        "submission": {},
                        "position": {},
                        "name": {},
                        "state": {},
                        "reviewer_ids": {"fields": {"display_name": {}}},
                        "done_by_id": {"fields": {"display_name": {}}},
                        "done_date": {},
                        "reason_id": {"fields": {"display_name": {}}},
                        "note": {},
                    }
                }
            }
        return {
            "review_ids": {
                "fields": {
                    "name": {},
                    "sequence": {},
                    "requested_by": {"fields": {"display_name": {}}},
                    "status": {},
                    "display_status": {},
                    "todo_by": {},
                    "done_by": {"fields": {"display_name": {}}},
                    "reviewed_date": {},
                    "reviewed_formated_date": {},
                    "comment": {},
                }
            }
        }

    def state_of(self, orders):
        if self.sys == "crm":
            return collections.Counter(orders.mapped("review_state"))
        return collections.Counter(orders.mapped("validation_status"))

    # -- running -----------------------------------------------------------

    def measure(self, cr, name, body):
        op = Op(name, cr)
        print(f"  {self.sys} N={self.n}: {name} ...", flush=True)
        try:
            body(op)
        except Exception as e:  # noqa: BLE001 - an engine error is a result, not a crash of the bench
            import traceback  # noqa: PLC0415

            traceback.print_exc()
            cr.rollback()
            op.error = f"{type(e).__name__}: {e}"[:500]
        self.results[name] = op.as_dict()
        r = self.results[name]
        print(
            f"  {self.sys} N={self.n}: {name}: {r['records']} rec, {r['q_per_rec']:.2f} q/rec, "
            f"{r['ms_per_rec']:.2f} ms/rec{'  ERROR ' + op.error if op.error else ''}",
            flush=True,
        )
        return op

    def one_by_one(self, op, cr, items, fn, user_of):
        """Call ``fn(item)`` per item in its own transaction with a cold cache.

        A running server fills its per-user caches (access rules, groups,
        defaults) at a user's first request: each user's first call is made
        once before the measured ones, and rolled back.
        """
        first_of_user = {}
        for item in items:
            first_of_user.setdefault(user_of(item), item)
        for item in first_of_user.values():
            cr.rollback()
            fn(item)
            cr.rollback()
        for index, item in enumerate(items):
            cr.rollback()  # nothing pending; also empties the cache, as a new request would
            op.call(lambda item=item: fn(item), capture=(index == min(self.capture_index, len(items) - 1)))

    def run(self, approve_limit=None):  # noqa: C901 - the workload reads best as one sequence
        odoo = self.odoo
        registry = self.registry
        started = time.perf_counter()
        self.load_start = os.getloadavg()[:1]
        with registry.cursor() as cr:
            env = user_env(odoo, cr, odoo.SUPERUSER_ID)
            u = bench_users(env)
            if self.sys == "crm":
                self.reason_id = env.ref("crm_review.reason_incomplete").id
            plan = order_plan(self.n + N_SINGLE + N_REMIND, seed=self.n)
            t0 = time.perf_counter()
            ids = create_orders(env, u, plan)
            analyze(cr)
            self.setup_seconds = time.perf_counter() - t0
            print(f"  {self.sys} N={self.n}: {len(ids)} orders created in {self.setup_seconds:.1f}s", flush=True)
            main_ids, single_ids = ids[: self.n], ids[self.n : self.n + N_SINGLE]
            remind_ids = ids[self.n + N_SINGLE :]
            totals = dict(zip(ids, (sum(p for _x, p in lines) for _s, _c, lines in plan), strict=True))
            sales_of = dict(zip(ids, (u["sales"][s] for s, _c, _l in plan), strict=True))
            manager_env = self.env_for(cr, u["manager"])
            rev_envs = [self.env_for(cr, r) for r in u["reviewers"]]
            controller_env = self.env_for(cr, u["controller"])
            director_env = self.env_for(cr, u["director"])

            if self.sys == "plain":
                # Baseline: confirming the same orders without any review addon.
                def confirm_plain(op):
                    orders = manager_env["sale.order"].browse(main_ids)
                    op.call(orders.action_confirm, records=len(main_ids), capture=True)

                self.measure(cr, "confirm", confirm_plain)
                return self.finish(started)

            # 1. submit in one batch (the sales manager submits every order)
            def submit_batch(op):
                cr.rollback()
                orders = manager_env["sale.order"].browse(main_ids)
                op.call(lambda: self.submit(orders), records=len(main_ids), capture=True)

            self.measure(cr, "submit_batch", submit_batch)
            analyze(cr)

            # 2. "to review by me" count, for a reviewer with N pending orders
            def count(op):
                Orders = rev_envs[0]["sale.order"]
                self.to_review_count(Orders)  # warms the registry caches, as a running server has them
                values = []
                for index in range(20):
                    cr.rollback()
                    op.call(lambda: values.append(self.to_review_count(Orders)), capture=(index == 1))
                op.result = values[-1]
                if values[-1] != self.n:
                    op.error = f"counted {values[-1]} orders to review, expected {self.n}"

            self.measure(cr, "to_review_count", count)

            # 3. review columns of a list of all N orders, cold cache, as a reviewer
            def list_read(op):
                cr.rollback()
                orders = rev_envs[0]["sale.order"].browse(main_ids)
                spec = self.list_spec()
                op.call(lambda: orders.web_read(spec), records=len(main_ids), capture=True)

            self.measure(cr, "list_read", list_read)

            # 4. the form's review block, one record at a time, cold cache
            def form_block(op, spec):
                sample = main_ids[:N_SINGLE]
                for index, order_id in enumerate(sample):
                    cr.rollback()
                    order = rev_envs[0]["sale.order"].browse(order_id)
                    # The form reads the order itself anyway: only the review part is counted.
                    order.name  # noqa: B018
                    op.call(lambda order=order: order.web_read(spec), capture=(index == self.capture_index))

            self.measure(cr, "form_block", lambda op: form_block(op, self.form_block_spec()))
            self.measure(cr, "form_review_lines", lambda op: form_block(op, self.form_lines_spec()))

            # 5. submit one by one, each order by its own salesperson
            def submit_one(op):
                def fn(order_id):
                    order = self.env_for(cr, sales_of[order_id])["sale.order"].browse(order_id)
                    self.submit(order)

                self.one_by_one(op, cr, single_ids, fn, sales_of.get)

            self.measure(cr, "submit_one", submit_one)

            # 6. reject those, with a reason, by a member of the reviewer group
            def reject(op):
                def fn(order_id):
                    order = rev_envs[order_id % 3]["sale.order"].browse(order_id)
                    self.reject(order, "Delivery address missing")

                self.one_by_one(op, cr, single_ids, fn, lambda order_id: order_id % 3)
                states = self.state_of(env["sale.order"].browse(single_ids))
                expected = "rejected"
                if states.get(expected) != len(single_ids):
                    op.error = f"after reject: {dict(states)}"

            self.measure(cr, "reject", reject)

            # 7. approve each step one by one, as its reviewer
            limit = approve_limit or len(main_ids)

            def approve_step(op, ids_, envs):
                def fn(order_id):
                    order = envs[order_id % len(envs)]["sale.order"].browse(order_id)
                    result = self.approve(order)
                    if isinstance(result, dict) and self.sys == "oca":
                        raise RuntimeError(f"validate_tier opened {result.get('res_model')}")

                self.one_by_one(op, cr, ids_[:limit], fn, lambda order_id: order_id % len(envs))
                rest = ids_[limit:]
                if rest:  # not measured: moves the other orders to the next step
                    for order_id in rest:
                        fn(order_id)
                        cr.commit()

            big = [i for i in main_ids if totals[i] > DIRECTOR_LIMIT]
            self.measure(cr, "approve_group", lambda op: approve_step(op, main_ids, rev_envs))
            self.measure(cr, "approve_controller", lambda op: approve_step(op, main_ids, [controller_env]))
            self.measure(cr, "approve_director", lambda op: approve_step(op, big, [director_env]))
            cr.rollback()
            states = self.state_of(env["sale.order"].browse(main_ids))
            self.final_states = {str(k): v for k, v in states.items()}

            # 8. confirm the approved orders (one call, as the sales manager)
            def confirm(op):
                cr.rollback()
                orders = manager_env["sale.order"].browse(main_ids)
                op.call(orders.action_confirm, records=len(main_ids), capture=True)
                cr.rollback()
                confirmed = env["sale.order"].browse(main_ids).filtered(lambda o: o.state == "sale")
                if len(confirmed) != len(main_ids):
                    op.error = f"{len(confirmed)} of {len(main_ids)} orders confirmed"

            self.measure(cr, "confirm", confirm)

            # 9. the reminder cron, with N_REMIND orders submitted and overdue
            def remind(op):
                cr.rollback()
                self.submit(manager_env["sale.order"].browse(remind_ids))
                cr.commit()
                expected = self.make_overdue(env, remind_ids)
                cr.commit()
                analyze(cr)
                op.call(lambda: self.send_reminders(env), records=expected, capture=True)
                cr.rollback()
                reminded = self.reminded(env, remind_ids)
                if reminded != expected:
                    op.error = f"{reminded} reviews reminded, expected {expected}"

            self.measure(cr, "reminder_cron", remind)

            if self.sys == "crm":
                # 10. forward (crm_review only): a group member hands step 1 to the director, with a comment
                routed = remind_ids[:N_SINGLE]

                def forward(op):
                    def fn(order_id):
                        order = rev_envs[order_id % 3]["sale.order"].browse(order_id)
                        order.action_review_forward(u["director"].id, "Ask the director: she knows this customer")

                    self.one_by_one(op, cr, routed, fn, lambda order_id: order_id % 3)

                self.measure(cr, "forward", forward)

                # 11. revoke: the director approves (not measured), then takes the approval back
                def revoke(op):
                    cr.rollback()
                    env["crm.review.rule"].search([]).write({"allow_revoke": True, "revoke_hours": 0})
                    for order_id in routed:
                        director_env["sale.order"].browse(order_id).action_review_approve()
                        cr.commit()

                    def fn(order_id):
                        director_env["sale.order"].browse(order_id).action_review_revoke()

                    self.one_by_one(op, cr, routed, fn, lambda order_id: 0)

                self.measure(cr, "revoke", revoke)

            # 10. a step whose reviewers are a group of 18, any one of whom approves: first with the
            #     step's default to-do limit (10: a larger group gets no to-do each), then with a to-do
            #     for every member (limit 0). OCA creates no to-do either way: it runs the same twice.
            member_envs = [self.env_for(cr, m) for m in u["members"]]
            for variant, todo_limit in (("approve_group18", None), ("approve_group18_todos", 0)):
                cr.rollback()
                if self.sys == "crm" and todo_limit is not None:
                    env["crm.review.step"].search([("name", "=", "Any one of 18")]).todo_limit = todo_limit
                plan18 = order_plan(N_SINGLE, seed=7 * self.n + (1 if todo_limit is None else 2))
                ids18 = create_orders(env, u, plan18, ref=GROUP18_REF)
                self.submit(manager_env["sale.order"].browse(ids18))
                cr.commit()
                analyze(cr)
                self.measure(
                    cr,
                    variant,
                    lambda op, ids18=ids18: self.one_by_one(
                        op,
                        cr,
                        ids18,
                        lambda order_id: self.approve(member_envs[order_id % N_MEMBERS]["sale.order"].browse(order_id)),
                        lambda order_id: order_id % N_MEMBERS,
                    ),
                )
        return self.finish(started)

    def finish(self, started):
        return {
            "load_average": [round(x, 2) for x in (*self.load_start, *os.getloadavg())],
            "system": self.sys,
            "n": self.n,
            "setup_seconds": round(getattr(self, "setup_seconds", 0.0), 2),
            "total_seconds": round(time.perf_counter() - started, 2),
            "peak_rss_kb": peak_rss_kb(),
            "final_states": getattr(self, "final_states", None),
            "ops": self.results,
        }


def cmd_load_prepare(odoo, registry, args):
    """For bench/load.py: ``--orders`` orders waiting for the group of 18, and a password for its users."""
    with registry.cursor() as cr:
        env = user_env(odoo, cr, odoo.SUPERUSER_ID)
        u = bench_users(env)
        # The load test logs in as these users; each password is the login.
        for user in (*u["members"], u["controller"], u["director"]):
            user.password = user.login
        cr.commit()
        plan = order_plan(args.orders, seed=args.orders)
        ids = create_orders(env, u, plan, ref=GROUP18_REF)
        manager = user_env(odoo, cr, u["manager"].id)
        workload = Workload(odoo, registry, args.system, args.orders)
        for chunk in range(0, len(ids), 500):
            workload.submit(manager["sale.order"].browse(ids[chunk : chunk + 500]))
            cr.commit()
        analyze(cr)
    print(f"{args.system}: {len(ids)} orders waiting for the group of 18")


def git_describe():
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "crm_review"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + ("+local changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def module_versions(registry, odoo):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed' AND name IN %s",
            [("crm_review", "base_tier_validation", "sale_tier_validation", "partner_tier_validation", "sale")],
        )
        return dict(cr.fetchall())


def cmd_run(odoo, registry, args):
    workload = Workload(odoo, registry, args.system, args.n)
    result = workload.run(approve_limit=args.approve_limit)
    result.update(
        db=args.db,
        revision=git_describe(),
        modules=module_versions(registry, odoo),
        approve_limit=args.approve_limit,
        python=sys.version.split()[0],
        date=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    rss_mb = result["peak_rss_kb"] / 1024
    print(f"{args.system} N={args.n}: done in {result['total_seconds']:.0f}s, peak RSS {rss_mb:.0f} MB")


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

OPERATIONS = [
    # key, label, per ("rec" or "call")
    ("submit_batch", "Submit, one batch of N", "rec"),
    ("submit_one", "Submit one record (100 calls)", "rec"),
    ("list_read", "List: review columns of N records, cold cache", "rec"),
    ("form_block", "Form: review block, one record, cold cache (100)", "rec"),
    ("form_review_lines", "Form: review lines tab, one record (100)", "rec"),
    ("approve_group", "Approve step 1 (group, any member), one record", "rec"),
    ("approve_controller", "Approve step 2 (controller), one record", "rec"),
    ("approve_director", "Approve step 3 (director, > 10,000), one record", "rec"),
    ("reject", "Reject with a reason, one record (100)", "rec"),
    ("approve_group18", "Approve step 1, group of 18 (any one), default to-do limit: no to-dos (100)", "rec"),
    ("approve_group18_todos", "Approve step 1, group of 18 (any one), a to-do for each member (100)", "rec"),
    ("forward", "Forward step 1 to another reviewer, one record (100; crm_review only)", "rec"),
    ("revoke", "Revoke one's approval, one record (100; crm_review only)", "rec"),
    ("confirm", "Confirm the approved orders, one batch", "rec"),
    ("reminder_cron", f"Reminder cron, {N_REMIND} overdue orders (per reminded review)", "rec"),
    ("to_review_count", '"To review by me" count (per call)', "call"),
]


# Files of bench/results that are not the result of one system and one N.
NOT_RUN_FILES = ("summary.json", "run.json", "scale.json", "categories.json", "load.json")


def load_results(results_dir):
    data = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        if path.name in NOT_RUN_FILES:
            continue
        item = json.loads(path.read_text())
        data[(item["system"], item["n"])] = item
    return data


def targets_for(op, n, crm, oca, plain):
    """[(description, met or None)] of the targets of one row (crm_review side)."""
    out = []
    official = n in (1000, 5000)

    def check(desc, ok):
        out.append((desc, ok if official else None))

    q = crm["q_per_rec"]
    q_call = crm["q_per_call"]
    ratio = (oca["ms_per_rec"] / crm["ms_per_rec"]) if oca and crm["ms_per_rec"] else None
    if crm.get("error"):
        out.append((f"error: {crm['error']}", False if official else None))
        return out
    if op == "submit_batch":
        check("≤ 0.5 q/rec", q <= 0.5)
        check("≥ 3× faster than OCA", ratio is not None and ratio >= 3)
    elif op == "list_read":
        if n == 1000:
            out.append(("≤ 0.05 q/rec", q <= 0.05))
    elif op == "form_block":
        check("≤ 4 queries", q <= 4)
    elif op == "submit_one":
        check("≤ 25 queries", q <= 25)
        check("time ≤ 1.3× OCA's", ratio is not None and ratio >= 1 / 1.3)
    elif op.startswith("approve_"):
        # A decision that opens the next step may cost more than a final one (the director's step).
        limit = 20 if op == "approve_director" else 25
        check(f"≤ {limit} queries", q <= limit)
        check("time ≤ OCA's", ratio is not None and ratio >= 1)
    elif op == "reject":
        check("≤ 20 queries", q <= 20)
        check("time ≤ OCA's", ratio is not None and ratio >= 1)
    elif op == "to_review_count":
        check("≤ 3 queries", q_call <= 3)
    elif op == "reminder_cron":
        check("≤ 1 q per reminded review", q <= 1)
        check("≥ 10× faster than OCA", ratio is not None and ratio >= 10)
    elif op == "confirm":
        if plain and not plain.get("error"):
            extra = q - plain["q_per_rec"]
            more = crm["queries"] - plain["queries"]
            check(
                f"≤ 1 q/rec more than without the addon ({plain['q_per_rec']:.2f}: {more:+,} queries "
                f"for {crm['records']:,} orders)",
                extra <= 1,
            )
        else:
            check("≤ 1 q/rec more than without the addon (no baseline)", False)
    return out


def cpu_section(data, ns):
    """CPU time per record: Odoo's process and the PostgreSQL process serving it, at the largest N."""
    n = max(ns)
    if not any("cpu_ms_per_rec" in op for item in data.values() for op in item.get("ops", {}).values()):
        return []
    lines = [
        f"### CPU time per record (N = {n:,})",
        "",
        "Wall time moves with the load of the machine; CPU time hardly does. Odoo: the benchmark's own "
        "process (`time.process_time()`); PostgreSQL: the server process of its connection (`/proc`, in "
        "clock ticks of 10 ms, so a few hundred calls are needed for a steady figure).",
        "",
        "| operation | crm_review Odoo ms | crm_review PostgreSQL ms | OCA Odoo ms | OCA PostgreSQL ms "
        "| ratio (OCA / crm_review, both) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label, per in OPERATIONS:
        if per != "rec":
            continue
        crm = (data.get(("crm", n)) or {}).get("ops", {}).get(key) or {}
        oca = (data.get(("oca", n)) or {}).get("ops", {}).get(key) or {}
        if "cpu_ms_per_rec" not in crm:
            continue
        c_total = crm["cpu_ms_per_rec"] + crm["db_cpu_ms_per_rec"]
        o_total = (oca.get("cpu_ms_per_rec") or 0) + (oca.get("db_cpu_ms_per_rec") or 0)
        ratio = f"{o_total / c_total:.1f}×" if c_total and o_total else "—"
        lines.append(
            f"| {label} | {crm['cpu_ms_per_rec']:.2f} | {crm['db_cpu_ms_per_rec']:.2f} "
            f"| {fmt(oca.get('cpu_ms_per_rec'))} | {fmt(oca.get('db_cpu_ms_per_rec'))} | {ratio} |"
        )
    lines.append("")
    return lines


def load_text(item):
    load = item.get("load_average")
    if not load:
        return "—"
    return f"{load[0]:.1f} / {load[1]:.1f}"


def fmt(value, digits=2):
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def report_meta(args):
    """Run time and mode of the last ``bench/run.sh``, kept for a later report (``bench/scale.sh`` writes one)."""
    path = Path(args.results) / "run.json"
    if args.elapsed:
        meta = {"elapsed": args.elapsed, "quick": bool(args.quick)}
        path.write_text(json.dumps(meta, indent=1))
        return meta
    if path.exists():
        return json.loads(path.read_text())
    return {"elapsed": None, "quick": bool(args.quick)}


def cmd_report(args):  # noqa: C901 - one document, written top to bottom
    data = load_results(args.results)
    if not data:
        sys.exit(f"no results in {args.results}")
    ns = sorted({n for (_s, n) in data})
    any_item = max(data.values(), key=lambda item: item.get("date", ""))
    meta = report_meta(args)
    args.quick, args.elapsed = meta["quick"], meta["elapsed"]
    lines = []
    w = lines.append
    w("# Benchmark: crm_review against OCA tier validation")
    w("")
    w("Generated by `bench/run.sh" + (" --quick" if args.quick else "") + "`; do not edit by hand.")
    w("")
    w(
        f"Run of {any_item.get('date', '?')}, repository revision {any_item.get('revision', '?')}, "
        f"N = {', '.join(str(n) for n in ns)}, on {os.cpu_count()} CPU(s), "
        f"PostgreSQL on the same machine, total run time {args.elapsed or '?'}."
    )
    mods = {}
    for item in data.values():
        mods.update(item.get("modules") or {})
    if mods:
        w("Modules: " + ", ".join(f"`{k}` {v}" for k, v in sorted(mods.items())) + ".")
    w("")
    w("## Workload")
    w("")
    w(
        f"Two databases built in the same run from one fresh `sale_management` database without demo data: "
        f"(a) with `crm_review`, (b) with OCA `base_tier_validation`, `sale_tier_validation`, "
        f"`partner_tier_validation` (and `partner_stage`). A third, with neither, gives the baseline for "
        f"confirming orders. Each N runs on fresh copies of them. Shared data: {N_SALESPEOPLE} salespeople, "
        f"a sales manager, {N_CUSTOMERS} customers, {N_PRODUCTS} products without taxes; N sale orders of "
        f"3 lines plus {N_SINGLE} more for the one-by-one operations, created by their salespeople; 60 % of "
        f"them total 1,000–10,000 and 40 % more than 10,000."
    )
    w("")
    w("The same three steps on both sides:")
    w("")
    w("| step | who | applies to | crm_review | OCA |")
    w("| --- | --- | --- | --- | --- |")
    w(
        "| 1 | any member of the group *Order reviewers* (3 users) | amount > 1,000 | "
        "rule *Orders over 1,000*, step `group`, `any` | `tier.definition` `review_type=group`, sequence 30 |"
    )
    w("| 2 | the controller | amount > 1,000 | same rule, step `users` | `review_type=individual`, sequence 20 |")
    w(
        "| 3 | the director | amount > 10,000 | rule *Orders over 10,000*, step `users` (sequence 30) | "
        "`review_type=individual`, sequence 10 |"
    )
    w("")
    w(
        "OCA definitions use `approve_sequence` so the tiers are decided in order, as crm_review's steps "
        "are (OCA's `request_validation()` reviews the highest definition sequence first); both sides keep "
        "their default notification settings. Users get in-app notifications."
    )
    w("")
    w(
        "Operations, in this order, each in its own transaction (the measured block ends with `cr.commit()`, "
        "which flushes the ORM and runs the pre-commit hooks such as mail tracking, so deferred SQL is counted). "
        "Orders are created as in the web client (creation logged in the chatter); PostgreSQL statistics are "
        "refreshed (`ANALYZE`, not measured) after the orders are created and after the batch submit, as "
        "autovacuum would be on a live database:"
    )
    w("")
    w(
        "- **Submit, batch**: the sales manager submits the N orders in one call "
        "(`action_review_submit()` / `request_validation()`)."
    )
    w(
        '- **"To review by me" count**: `search_count` by a reviewer with N orders waiting '
        "(`review_to_me` / OCA's *Needs my Review* filter `[('reviewer_ids', 'in', uid), ('state', 'not in', "
        "['sale', 'cancel'])]`); 20 calls, cold cache."
    )
    w(
        "- **List**: a reviewer reads, cold cache, the review columns of the N orders with `web_read` "
        "(crm_review: `review_state`, `review_step_label`, `review_reviewer_ids` with names, `review_to_me`; "
        "OCA: `validation_status`, `next_review`, `reviewer_ids` with names, `can_review`)."
    )
    w(
        "- **Form, review block**: per record, cold cache; the order itself is read first (the form does "
        "that anyway) and only the review part is counted: crm_review `review_state`, `review_required`, "
        "`review_can_decide`, `review_submitted_by_me`, `review_step_label`, `review_reviewers_label` (the "
        "reviewers' names the banner shows), `review_ids` (ids); OCA `validation_status`, `need_validation`, "
        "`hide_reviews`, `can_review`, `to_validate_message`, `next_review`, `review_ids` (ids). "
        "**Form, review lines**: the lines with the columns each form shows (informative, no target)."
    )
    w(
        f"- **Submit one**: {N_SINGLE} other orders, each submitted by its salesperson. In this and the "
        "other one-by-one operations, each user's first call is made once before the measured ones and "
        "rolled back (not counted), on both systems: a running server has filled its per-user caches "
        "(access rules, groups, defaults) since that user's first request."
    )
    w(
        f"- **Reject**: those {N_SINGLE}, by a group member, with reason *Incomplete information* and a "
        "comment (crm_review: reject wizard; OCA: what its comment wizard does — write the comment, "
        "`_rejected_tier()`, `_update_counter()`)."
    )
    w(
        "- **Approve**: every order, step by step, one record per call, as that step's reviewer "
        "(`action_review_approve()` / `validate_tier()`); crm_review also closes the reviewer's activity, "
        "opens the next step's and posts a note."
    )
    w(
        "- **Confirm**: the sales manager confirms the approved orders in one `action_confirm()` call; "
        "the baseline confirms the same orders in the database without a review addon."
    )
    w(
        f"- **Reminder cron**: {N_REMIND} more orders are submitted and their reviews dated back (not "
        "measured), then the cron runs once, as the superuser (crm_review: `_cron_send_reminders()`, one "
        "email digest per reviewer; OCA: `tier.definition._cron_send_review_reminder()` with a one-day "
        "`notify_reminder_delay`, which takes up to 50 reviews per tier definition and run). Per reminded "
        "review: crm_review reminds the pending step of each order, OCA its waiting and pending reviews."
    )
    w(
        f"- **Forward** (crm_review only; OCA's tier validation has no forward): {N_SINGLE} of those orders, "
        "step 1 forwarded by a group member to the director with a comment (`action_review_forward`); the "
        "director wants an email, which Odoo's *assigned to you* builds at once. **Revoke** (crm_review only): "
        "the director approves them (not measured), then takes each approval back (`action_review_revoke`; "
        "rules allow revoking, no time limit)."
    )
    w(
        f"- **Group of 18**: a third rule (and OCA tier) takes orders with the customer reference "
        f"`{GROUP18_REF}` only: step 1 any one of a group of 18 reviewers, step 2 the controller. {N_SINGLE} "
        "orders submitted (not measured), then step 1 approved one by one by the members, first with the "
        "step's default to-do limit (10: the 18 members get no to-do each), then, on another "
        f"{N_SINGLE} orders, with a to-do for each member (limit 0). OCA, which creates no to-do, runs the "
        "same twice."
    )
    w("")
    w(
        "q/rec: SQL queries per record (exact count of `cursor.execute`); ms/rec: wall time per record. "
        "For the count, per call. Ratio: OCA / crm_review (above 1: crm_review is cheaper). Query counts "
        "are exact and repeat from run to run; wall times come from one run and move with the load of the "
        "machine (a few tens of percent between runs)."
    )
    w("")
    w("## Results")
    w("")
    w(
        "| operation | N | crm_review q/rec | crm_review ms/rec | OCA q/rec | OCA ms/rec "
        "| ratio q | ratio ms | target (crm_review) |"
    )
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    summary = []
    for key, label, _per in OPERATIONS:
        for n in ns:
            crm = (data.get(("crm", n)) or {}).get("ops", {}).get(key)
            oca = (data.get(("oca", n)) or {}).get("ops", {}).get(key)
            plain = (data.get(("plain", n)) or {}).get("ops", {}).get(key)
            if not crm and not oca:
                continue
            qk, mk = ("q_per_call", "ms_per_call") if _per == "call" else ("q_per_rec", "ms_per_rec")
            cq, cm = (crm or {}).get(qk), (crm or {}).get(mk)
            oq, om = (oca or {}).get(qk), (oca or {}).get(mk)
            rq = (oq / cq) if (cq and oq is not None) else None
            rm = (om / cm) if (cm and om is not None) else None
            checks = targets_for(key, n, crm, oca, plain) if crm else []
            text = "; ".join(f"{desc}: **{'met' if ok else 'not met'}**" for desc, ok in checks if ok is not None)
            errors = [
                f"{side} error: {x['error']}" for side, x in (("crm_review", crm), ("OCA", oca)) if x and x.get("error")
            ]
            if errors and not text:
                text = "; ".join(errors)
            elif errors:
                text += "; " + "; ".join(e for e in errors if not e.startswith("crm_review"))
            w(
                f"| {label} | {n:,} | {fmt(cq)} | {fmt(cm)} | {fmt(oq)} | {fmt(om)} | "
                f"{fmt(rq, 1) + '×' if rq else '—'} | {fmt(rm, 1) + '×' if rm else '—'} | {text or '—'} |"
            )
            for desc, ok in checks:
                if ok is not None:
                    summary.append((label, n, desc, ok))
    w("")
    lines.extend(cpu_section(data, ns))
    # scaling
    w("### Time per record as N grows (crm_review)")
    w("")
    if 5000 in ns and 1000 in ns:
        a, b = 1000, 5000
    elif len(ns) >= 2:
        a, b = ns[-2], ns[-1]
    else:
        a = b = None
    if a:
        official = (a, b) == (1000, 5000)
        note = (
            ""
            if official
            else f" Not measured by this run (`--quick` has no N = 5,000); shown: N = {b:,} against "
            f"N = {a:,}, for information."
        )
        w("Target: ms/rec at N = 5,000 within 1.3× of N = 1,000." + note)
        w(
            'For the "to review by me" count, a record is one of the N orders it counts (ms per call ÷ N); '
            "its time per call is shown in the results table above."
        )
        w("")
        w(f"| operation | crm_review ms/rec N={a:,} | N={b:,} | growth | OCA growth | target |")
        w("| --- | ---: | ---: | ---: | ---: | --- |")
        for key, label, per in OPERATIONS:
            mk = "ms_per_call" if per == "call" else "ms_per_rec"
            ca = (data.get(("crm", a)) or {}).get("ops", {}).get(key)
            cb = (data.get(("crm", b)) or {}).get("ops", {}).get(key)
            oa = (data.get(("oca", a)) or {}).get("ops", {}).get(key)
            ob = (data.get(("oca", b)) or {}).get("ops", {}).get(key)
            if not ca or not cb:
                continue
            # per record: the count's records are the N orders it counts
            va, vb = (ca[mk] / a, cb[mk] / b) if per == "call" else (ca[mk], cb[mk])
            g = vb / va if va else None
            go = None
            if oa and ob and oa[mk]:
                go = (ob[mk] / b) / (oa[mk] / a) if per == "call" else ob[mk] / oa[mk]
            if official:
                ok = g is not None and g <= 1.3
                summary.append((label, b, "time/rec at 5,000 ≤ 1.3× 1,000", ok))
                verdict = "**met**" if ok else "**not met**"
            else:
                verdict = "n/a (quick run)"
            digits = 4 if per == "call" else 2
            if per == "call":
                label = label.replace("(per call)", "(per counted order)")
            w(f"| {label} | {fmt(va, digits)} | {fmt(vb, digits)} | {fmt(g)}× | {fmt(go)}× | {verdict} |")
        w("")
    # memory and run times
    w("### Peak memory and run time per database")
    w("")
    w(
        "| system | N | peak RSS (MB) | orders created in (s) | whole workload (s) "
        "| machine load (1 min) at start / end |"
    )
    w("| --- | ---: | ---: | ---: | ---: | --- |")
    for (system, n), item in sorted(data.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        name = {"crm": "crm_review", "oca": "OCA", "plain": "baseline (no review addon)"}[system]
        w(
            f"| {name} | {n:,} | {item['peak_rss_kb'] / 1024:.0f} | {item['setup_seconds']:.0f} "
            f"| {item['total_seconds']:.0f} | {load_text(item)} |"
        )
    w("")
    w("## Targets")
    w("")
    met = sum(1 for *_x, ok in summary if ok)
    w(f"{met} of {len(summary)} checks met.")
    w("")
    missed = [(label, n, desc) for label, n, desc, ok in summary if not ok]
    if missed:
        w("Not met:")
        w("")
        for label, n, desc in missed:
            w(f"- {label}, N = {n:,}: {desc}")
        w("")
    lines.extend(not_met_section(data, summary, args.results))
    lines.extend(DECISION_COST_SECTION)
    lines.extend(scale_section(Path(args.results) / "scale.json"))
    lines.extend(load_section(Path(args.results) / "load.json"))
    # where the queries go
    largest = max(n for (s, n) in data if s == "crm")
    crm_item = data.get(("crm", largest))
    if crm_item:
        w(f"## Where crm_review's queries go (N = {largest:,})")
        w("")
        w(
            "The statements of one call (the second record of a one-by-one operation, or the whole batch), "
            "grouped with literals removed, most repeated first. `bench/results/*.json` has them for every "
            "operation and both systems."
        )
        w("")
        for key, label, _per in OPERATIONS:
            op = crm_item["ops"].get(key)
            if not op or not op.get("sql_sample"):
                continue
            sample = op["sql_sample"]
            w(f"<details><summary>{label}: {sample['queries']} queries for {sample['records']} record(s)</summary>")
            w("")
            w("| queries | issued from (innermost crm_review line) |")
            w("| ---: | --- |")
            for count, origin in (sample.get("origins") or [])[:10]:
                w(f"| {count} | `{origin}` |")
            w("")
            w("| queries | statement |")
            w("| ---: | --- |")
            for count, stmt in sample["top"][:8]:
                stmt = stmt.replace("|", "\\|")
                if len(stmt) > 220:
                    stmt = stmt[:220] + "…"
                w(f"| {count} | `{stmt}` |")
            w("")
            w("</details>")
            w("")
    w("![time per record](time_per_record.png)")
    w("")
    Path(args.readme).write_text("\n".join(lines))
    (Path(args.results) / "summary.json").write_text(
        json.dumps([{"operation": op, "n": n, "target": d, "met": ok} for op, n, d, ok in summary], indent=1)
    )
    plot(data, ns, Path(args.png))
    print("\n".join(lines))


def _plan_times(plan):
    """(execution ms, JIT compilation ms) read from an EXPLAIN ANALYZE plan, or None."""
    execution = jit = None
    for line in plan or []:
        line = line.strip()
        if line.startswith("Execution Time:"):
            execution = float(line.split(":")[1].split()[0])
        elif line.startswith("Timing:") and "Total" in line:
            jit = float(line.rsplit("Total", 1)[1].split()[0])
    if execution is None:
        return None
    return execution, jit or 0.0


# Why a target is not met, and what meeting it would take (README: "Targets not met with public APIs").
# Fixed text; the counts next to it come from the run.
MAIL_FRAMEWORK = ("todo_remove", "todo_create", "todo_notice", "note")
NOT_MET_NOTES = {
    "mail": (
        "The to-dos go through `mail.activity`'s own `write()`, `create()` and `unlink()`, as the STYLE "
        "guide asks: a decision hands the decided step's to-do to whoever acts next with `write()` (mail "
        "subscribes the new assignee as a follower of the record, three queries and two more for a new "
        "follower, and tells the activity counters on the bus); a to-do nobody takes over is unlinked (the "
        "unlink cleans up its attachments, `ir.model.data` and defaults and notifies the bus, and empties "
        "the ORM cache, so the engine unlinks last); a new one is created (mail reads the model and "
        "subscribes the assignee). See *Decision cost, by design* for what each choice saves. Odoo's "
        "*assigned to you* email is not sent inside the decision: the decision marks the step and starts the "
        "job *Reviews: email reviewers whose turn it is* (`ir.cron._trigger()`), which emails each reviewer "
        "once for all the steps that became theirs meanwhile, at the start of the next minute (one run for "
        "all the decisions of a minute, and no connection opened after the commit to wake the cron "
        "workers). The engine itself "
        "(lock, lines, checks, writes, audit row, note) is the rest, with a delete and an insert in the "
        "waiting reviewers' relation that keeps *To review by me* as cheap as what is pending. Meeting the "
        "target would take writing `mail_activity` and `mail_followers` rows in SQL: that skips other apps' "
        "overrides of `mail.activity`, the follower subscription and the bus notifications that keep the "
        "activity counter and the chatter live, which is where the bugs were. The project keeps the public "
        "APIs: correctness first. Time follows the queries (OCA's `validate_tier()` issues 15: it creates no "
        "to-do)."
    ),
    "confirm": (
        "The extra query per order is Odoo's own (`SELECT mail_message.*` by id, once per order during the "
        "confirmation), not issued in the database without the addon, whose orders carry no review notes in "
        "their chatter; crm_review's own code issues a few dozen queries for the whole batch "
        "(`_confirmation_error_message`). Avoiding it would take pre-reading Odoo's messages for its parent "
        "lookup, which the engine no longer does."
    ),
    "form_block": (
        "Reads through the ORM: the access domain of the review lines (the user's companies), the "
        "`review_ids` one2many, the current lines with one `search_fetch` and their reviewers, then the "
        "reviewers' names (step names come with the rule's cached steps). Meeting 4 queries would take "
        "reading the lines with their reviewers' names in one SQL statement, outside the ORM's access rules "
        "and cache, as the engine did before."
    ),
    "submit_batch": (
        "The batch creates one to-do per reviewer and record and subscribes each reviewer as a follower "
        "(Odoo's `mail.activity.create()`), in batches; the records of the email listing a reviewer's new "
        "steps are read in one batch by the notification job, after the call."
    ),
    "reminder_cron": (
        "The digest reads the records it shows in one batch (a screenful per reviewer); the rest is the "
        "audit row of each reminded step and Odoo's email per reviewer."
    ),
    "growth": ("Wall time per record, measured once on a shared machine: see the note on wall times above."),
}
NOTE_OF_OP = {
    "submit_one": "mail",
    "approve_group": "mail",
    "approve_controller": "mail",
    "approve_director": "mail",
    "reject": "mail",
    "approve_group18": "mail",
    "approve_group18_todos": "mail",
    "form_block": "form_block",
    "submit_batch": "submit_batch",
    "reminder_cron": "reminder_cron",
    "confirm": "confirm",
}


# README: "Decision cost, by design". Fixed text: the counts are those of the query-count test
# (crm_review/tests/test_review_todos.py, TestReviewQueryCounts), not of this run.
DECISION_COST_SECTION = (
    """## Decision cost, by design

One record per call, counted by `TestReviewQueryCounts.test_submit_approve_reject_query_counts` \
(`crm_review/tests/test_review_todos.py`): each user's calls made once before, each as a request (the flush \
and the pre-commit hooks after it), then the measured call on a cold record cache. Before: revision 2136fda \
counted the same way.

| call | before | after | target |
| --- | ---: | ---: | --- |
| Approve a step that opens the next | 32 | 22 | ≤ 25: **met** |
| Reject (reason, comment, back to the submitter) | 35 | 22 | ≤ 20: **not met** |
| Approve the last step | 24 | 20 | ≤ 20: **met** |
| Submit one record (a resubmission after a recall) | 26 | 22 | ≤ 25: **met** |

Each change, with the queries it saves: what removing it alone from the new code costs, per call (approve \
opening the next step / reject / last approval / submit).

| change | saved |
| --- | --- |
| The decided step's to-do is handed with `mail.activity.write()` to whoever acts next (the next \
reviewer; on a rejection the submitter, as *Fix and resubmit*; on a resubmission the first reviewer) instead \
of being unlinked and another created. Mail still makes the new assignee a follower and tells the \
activity counters; the unlink's five queries and the create's read of the model go. The to-do keeps its \
creation date and author and its attached files. | 7 / 7 / – / – |
| The to-dos are found with what mail's `unlink()` and `write()` read of them (`search_fetch`) | 1 / 1 / 1 / – |
| Step name, to-do limit and step actions from the rule's cached steps (`crm.review.rule._step_spec`), \
not read from `crm.review.step` (also one query less for the form's review banner: 9 to 8) | 1 / 1 / 1 / 1 |
| The records' existence is looked up only for records the lock finds no line of (their lines are deleted \
with them); a submission looks it up only when reading a record fails | 1 / 1 / 1 / 1 |
| Read access to the decided records: the record rules applied by the database in one `search_count`, \
not record by record (a reviewer's rule computes `review_involves_me`); `check_access()` names a refusal | \
1 / 1 / 1 / – |
| The rejection reason: the user's catalog and its fields in one `search_fetch` | – / 1 / – / – |
| The rejected step and the waiting steps it cancels write the same columns (each line states \
`is_current`): one UPDATE | – / 1 / – / – |
| The assignees' partners (language, time zone) read with the note author's, to-dos made before the note \
in a rejection as in an approval | – / 1 / – / 1 |
| The planner reads the users the route's steps name (given users, group members) with their companies \
at once, not step by step | – / – / – / 1 |
| `user_tz` given in a new to-do's values: no UPDATE after its INSERT (for users with a time zone, as in \
the benchmark; the test's users have none) | – / – / – / 1 |
| The job that emails reviewers whose turn it is runs at the start of the next minute, once for every \
decision of that minute, rather than as soon as each decision commits: a decision whose next reviewer \
wants an email (the default, as in the benchmark; the test's users have no email) no longer opens a \
database connection after its commit to wake the cron workers (Odoo's `ir.cron._notifydb()`: a new \
PostgreSQL process each time, the largest single cost of a decision in wall time), and adds no run when one \
is planned (one query instead of two). | 1 query and 1 connection (benchmark) |
| The names of the reviewable models are cached (every new to-do checks them, by walking the registry) | \
CPU only |

### A step of a large group, any one of whom approves

A step whose reviewers are a group gives each member a to-do while the group has at most *To-dos for up \
to* members (`todo_limit` on the step, 10 by default; 0: always). A larger group (a department, a shared \
queue) finds the step in its *To review* list, the reminder digest and the email when a step becomes \
theirs, as Odoo's own team queues work: its members' activity counters do not flicker on every decision, \
and the decision creates and removes no to-do per member. The benchmark measures both sides with a group of \
18 (rows *group of 18*): with the default limit, a decision costs what a single reviewer's does plus the \
next step's new to-do; with a to-do for each member, queries stay the same (mail removes the other 17 \
to-dos in one batch) but 18 rows are written and deleted and 18 counters are told.

Measured and left out:

- Subscribing the route's reviewers at submission. Mail's `mail.activity` `create()` and `write()` call \
`message_subscribe()` for the assignee whatever they follow (three queries: active partners, customers, \
existing followers); only the two inserts of a new follower move. Approve 22 to 20, a submission 22 to 25 \
(a first one +5), and later reviewers would get the record's discussions before their turn.
- `res_model` in a new to-do's values: the ORM drops values of read-only precomputed fields and computes it \
from `res_model_id` (one read of `ir.model`), so it saves nothing.
- One UPDATE for the decided and the opened step of an approval: they change different columns (who and \
when decided; since when pending), and the ORM writes only what changes.
- Reject in 20: what is left is the wizard's row and the user read by its defaults (2), the reason (1), the \
lines locked and read with their reviewers and waiting reviewers (4), the access count (1), the to-dos (1), \
the submitter and the partners (2), mail's subscription of the submitter, who follows the record already \
(3), the note (the company for its reply-to, the insert: 2), the audit row (1), the waiting reviewers' delete \
(1), the lines' and the order's UPDATEs (2), the to-do's UPDATE (1) and the bus notification (1). Two \
fewer would mean going around mail's subscription or note, or no wizard.

The test's warm-up used to run the pre-commit hooks of all its calls at once, as the first user: the bus's \
defaults were then never cached for the deciding user, and the approvals and the submission counted one \
query (`ir_default`) a running server does not make. It counted 33, 35 and 27 before and 23, 22 and 23 \
(the last approval: 21) after with that warm-up.
""".replace("\\\n", "").splitlines()
    + [""]
)


def not_met_section(data, summary, results_dir):
    """Lines of "Targets not met with public APIs": one row per operation that misses a target."""
    missed = collections.OrderedDict()
    for label, n, desc, ok in summary:
        if not ok:
            missed.setdefault(label, []).append((n, desc))
    if not missed:
        return []
    key_of = {label: key for key, label, _per in OPERATIONS}
    crm_ns = sorted(n for (system, n) in data if system == "crm")
    # Categories of one call: from the largest run that has them (runs since the categories were added),
    # else from bench/results/categories.json (a short run of the same workload).
    source, cat_ops = None, {}
    for n in reversed(crm_ns):
        ops = data[("crm", n)]["ops"]
        if any((op.get("sql_sample") or {}).get("categories") for op in ops.values()):
            source, cat_ops = f"the run at N = {n:,}", ops
            break
    extra = Path(results_dir) / "categories.json"
    if not cat_ops and extra.exists():
        item = json.loads(extra.read_text())
        source, cat_ops = f"a run of the same workload at N = {item['n']:,}, revision {item['revision']}", item["ops"]
    lines = []
    w = lines.append
    w("## Targets not met with public APIs")
    w("")
    w(
        "The engine now goes through Odoo's public APIs only: review to-dos are `mail.activity` records "
        "created, handed over and unlinked by the ORM, notes go through `_message_log_batch`, review lines and states "
        "are written by the ORM. Some targets were set for an engine that wrote those rows in SQL. Where "
        "one is not met, the row below says where the queries of one call go (the measured call of the "
        f"operation, counted by category{f', in {source}' if source else ''}) and the note under it what "
        "meeting the target would take."
    )
    w("")
    w("| operation | target not met | crm_review | where the queries of one call go | note |")
    w("| --- | --- | ---: | --- | --- |")
    notes_used = []
    for label, items in missed.items():
        key = key_of.get(label.replace("(per counted order)", "(per call)"), "growth")
        is_growth = any("1.3×" in desc for _n, desc in items)
        note = "growth" if is_growth and key not in NOTE_OF_OP else NOTE_OF_OP.get(key, "growth")
        if is_growth and all("1.3×" in desc for _n, desc in items):
            note = "growth"
        if note not in notes_used:
            notes_used.append(note)
        at = max(n for n, _d in items)
        crm = data[("crm", at)]["ops"].get(key) or {}
        per = "call" if key == "to_review_count" else "rec"
        measured = f"N = {at:,}: {crm.get('q_per_' + per, 0):.2f} q/{per}, {crm.get('ms_per_' + per, 0):.1f} ms/{per}"
        categories = ((cat_ops.get(key) or {}).get("sql_sample") or {}).get("categories") or {}
        total = sum(categories.values())
        origins = (crm.get("sql_sample") or {}).get("origins") or []
        digest = sum(count for count, origin in origins if "_digest_details" in origin)
        if note in ("submit_batch", "reminder_cron") and digest:
            sample = crm["sql_sample"]
            where = (
                f"{sample['queries']:,} queries for {sample['records']:,} records, of which {digest:,} in "
                f"`_digest_details` (a batch per list of records shown, not per record)"
            )
        elif categories and note == "mail":
            mail = sum(categories.get(c, 0) for c in MAIL_FRAMEWORK)
            where = (
                f"{total} queries: mail framework {mail} ("
                + ", ".join(f"{QUERY_SHORT[c]} {categories[c]}" for c in MAIL_FRAMEWORK if categories.get(c))
                + f"); engine and Odoo {total - mail} ("
                + ", ".join(
                    f"{QUERY_SHORT[c]} {v}"
                    for c, v in sorted(categories.items(), key=lambda kv: -kv[1])
                    if c not in MAIL_FRAMEWORK
                )
                + ")"
            )
        elif note == "confirm":
            own = sum(count for count, origin in origins if origin.startswith("crm_review/"))
            where = (
                f"{crm.get('queries', 0):,} queries for {crm.get('records', 0):,} orders, {own} in crm_review's code"
            )
        elif categories and note != "growth":
            where = f"{total} queries: " + ", ".join(
                f"{QUERY_SHORT[c]} {v}" for c, v in sorted(categories.items(), key=lambda kv: -kv[1])
            )
        else:
            where = "—"
        descs = [desc for n, desc in items if n == at]
        targets = "; ".join(descs) + " (N = " + ", ".join(f"{n:,}" for n in sorted({n for n, _d in items})) + ")"
        w(f"| {label} | {targets} | {measured} | {where} | {notes_used.index(note) + 1} |")
    w("")
    for index, note in enumerate(notes_used, start=1):
        w(f"{index}. {NOT_MET_NOTES[note]}")
    w("")
    return lines


QUERY_SHORT = {
    "engine_read": "lines read and checks",
    "engine_write": "lines and state written",
    "todo_remove": "to-do unlinked",
    "todo_create": "next to-do created",
    "todo_notice": "assigned-to-you message",
    "note": "note",
    "audit": "audit row",
    "wizard": "wizard",
    "odoo": "Odoo at commit",
    "other": "other",
}

SCALE_TARGET_MINUTES = 30
SCALE_HISTORY_GROWTH = 1.3  # "to review by me" with twice the history, same pending
SCALE_DEADLINE_MINUTES = 28  # bench/scale.sh stops the last reminder run then


def _seconds(value):
    if value is None:
        return "—"
    if value >= 120:
        return f"{value / 60:.1f} min"
    if value >= 10:
        return f"{value:.0f} s"
    return f"{value:.1f} s"


def _ms(value):
    return "—" if value is None else (_seconds(value / 1000) if value >= 1000 else f"{value:.0f} ms")


def reminder_row(run, runs):
    """Table row of one reminder run of the scale run (finished, or stopped at the run's deadline)."""
    size = run["overdue"]
    if not run["finished"]:
        done = [x for x in runs if x["finished"] and x["overdue"] < size]
        guess = ""
        if done:
            last = done[-1]
            guess = (
                f"; extrapolated from the run over {last['overdue']:,} with the square of the number of steps: "
                f"about {_seconds(last['seconds'] * (size / last['overdue']) ** 2)}"
            )
        marked = run.get("marked")
        progress = (
            f" with {marked:,} steps marked for the digests (committed batches), the digests not sent yet"
            if marked
            else ""
        )
        return (
            f"| Reminder cron, one run | {size:,} overdue steps | **not finished**: stopped at the run's "
            f"deadline{progress}{guess} | > {_seconds(run['stopped_after'])} | — |"
        )
    emails = run["emails"]
    per_person = sorted({info["emails"] for info in emails.values()})
    listed = sorted({info["listed"] for info in emails.values()})
    more = sorted({info["and_more"] for info in emails.values()})
    result = (
        f"{run['reminded']:,} reminded; {sum(i['emails'] for i in emails.values())} emails to {len(emails)} "
        f"reviewers ({'/'.join(map(str, per_person))} each), "
        f"{max((i['bytes'] for i in emails.values()), default=0) / 1024:.0f} kB, "
        f"{'/'.join(map(str, listed))} orders listed, most overdue first: "
        f"{'yes' if all(i['most_overdue_first'] for i in emails.values()) else '**no**'}"
    )
    if any(more):
        link = all(i["link_to_all"] for i in emails.values())
        result += f', "and {"/".join(f"{m:,}" for m in more)} more" with a link: {"yes" if link else "**no**"}'
    return (
        f"| Reminder cron, one run | {size:,} overdue steps | {result} | {_seconds(run['seconds'])} "
        f"| {run['queries']:,} ({run['q_per_step']:.2f}/step) |"
    )


def scale_section(path):
    """Lines of the scale-run section of README.md, from ``bench/results/scale.json`` (none without it)."""
    if not path.exists():
        return []
    r = json.loads(path.read_text())
    orders, customers = r["orders"], r["customers"]
    sub, hist = r["submit"], r["history"]
    count, page, runs, ana = r["to_review_count"], r["first_page"], r["reminder_runs"], r["analysis"]
    elapsed = r.get("elapsed_seconds")
    full = orders >= 1_000_000
    earlier = ", ".join(f"{x['overdue']:,}" for x in runs[:-1])
    lines = []
    w = lines.append
    w("## Scale run")
    w("")
    label = "" if full else " **Smaller than the scale run's specification (1,000,000 orders): trial size.**"
    w(
        f"Generated by `bench/scale.sh` (`make bench-scale`, not run by CI). Run of {r['date']}, repository "
        f"revision {r['revision']}, {orders:,} orders, on {r.get('cpus', '?')} CPU(s), total run time "
        f"{_seconds(elapsed)}.{label}"
    )
    w("")
    w(
        f"A fresh `sale_management` database without demo data and the shared users, into which "
        f"{customers:,} customers and {orders:,} orders (no lines; totals from 1,200 to 60,000) are written "
        f"in SQL, cloned from one customer and one order created by the ORM. `crm_review` is installed over "
        f"it and over a copy taken before the data. Rule: orders over 1,000, one step, any one of three "
        f"reviewers. History, written in SQL into crm_review's own tables: {hist['lines']:,} decided review "
        f"lines, one per order for nine orders in ten (approved and confirmed; one in twenty rejected; one in "
        f"twenty approved then changed, so no longer current), each with its three reviewers "
        f"({hist['reviewer_rows']:,} reviewer rows). Then, through the addon's public methods and committed "
        f"like requests: the sales manager submits {sub['records']:,} quotations in batches of "
        f"{sub['batch']:,} (`action_review_submit()`), giving {r['review_lines']:,} review lines; a reviewer "
        f"counts and opens the first page of *To review by me*, cold cache (median of {count['calls']} calls; "
        f"columns of the *Orders to Review* list); a review administrator opens the analysis "
        f"(`crm.review.report`) as its pivot view does, and grouped by month. Then pending steps are dated "
        f"back (2 to 31 days) and the reminder cron method `_cron_send_reminders()` runs once over them as "
        f"the superuser, in a process of its own: first over "
        f"{earlier or 'no'} of them (how its time grows), then over "
        f"all {r['pending_lines']:,}, stopped if it has not finished when the run reaches "
        f"{SCALE_DEADLINE_MINUTES} minutes. Statistics are refreshed (`VACUUM ANALYZE`, not measured) after "
        f"the SQL data, after the submissions and before each reminder run, as autovacuum would."
    )
    w("")
    w("| operation | size | result | time | queries |")
    w("| --- | --- | --- | ---: | ---: |")
    inst = r["install_seconds"]
    w(
        f"| Install `crm_review` (`-i`, whole `odoo-bin` run) | empty database | installed "
        f"| {_seconds(inst['empty'])} | — |"
    )
    w(
        f"| Install `crm_review` (`-i`, whole `odoo-bin` run) | {orders:,} orders, {customers:,} customers "
        f"| installed | {_seconds(inst['large'])} | — |"
    )
    w(
        f"| Submit in batches of {sub['batch']:,} | {sub['records']:,} orders, {len(sub['batches'])} calls "
        f"| {r['pending_lines']:,} steps pending | {_seconds(sub['seconds'])} ({sub['ms_per_rec']:.2f} ms/order, "
        f"slowest call {_seconds(sub['slowest_batch_seconds'])}) | {sub['q_per_rec']:.2f}/order |"
    )
    w(
        f'| "To review by me" count (`search_count`) | {r["review_lines"]:,} review lines '
        f"| {count['value']:,} orders | {_ms(count['ms'])} | {count['queries']} |"
    )
    w(
        f'| "To review by me" first page (`search(limit=80)` + `web_read`) | {r["review_lines"]:,} review lines '
        f"| {page['rows']} rows | {_ms(page['ms'])} | {page['queries']} |"
    )
    more_count, more_page = r.get("to_review_count_more"), r.get("first_page_more")
    if more_count:
        w(
            f'| "To review by me" count, twice the history | {r["review_lines_more"]:,} review lines, the same '
            f"{r['pending_lines']:,} pending | {more_count['value']:,} orders | {_ms(more_count['ms'])} "
            f"| {more_count['queries']} |"
        )
        w(
            f'| "To review by me" first page, twice the history | {r["review_lines_more"]:,} review lines '
            f"| {more_page['rows']} rows | {_ms(more_page['ms'])} | {more_page['queries']} |"
        )
    for run in runs:
        w(reminder_row(run, runs))
    piv, month = ana["pivot"], ana["by_month"]
    w(
        f"| Analysis: pivot rule × outcome (`formatted_read_grouping_sets`) | {r['review_lines']:,} review lines "
        f"| {piv['submissions']:,} submissions, {piv['cells']} cells | {_ms(piv['ms'])} | {piv['queries']} |"
    )
    w(
        f"| Analysis: by month, count, average cycle time and rejection rate | {r['review_lines']:,} review lines "
        f"| {month['groups']} months | {_ms(month['ms'])} | {month['queries']} |"
    )
    w("")
    if more_count:
        growth = [more_count["ms"] / max(count["ms"], 0.1), more_page["ms"] / max(page["ms"], 0.1)]
        verdict = "met" if max(growth) <= SCALE_HISTORY_GROWTH else "not met"
        w(
            f'"To review by me" as the history grows from {r["review_lines"]:,} to {r["review_lines_more"]:,} '
            f"review lines (an older submission of every decided order, {r['older_history']['lines']:,} lines "
            f"written in SQL after the analysis) while the same {r['pending_lines']:,} steps are pending: count "
            f"time × {growth[0]:.2f}, first page × {growth[1]:.2f}. Target: the cost depends on what is pending "
            f"only (within {SCALE_HISTORY_GROWTH}×): **{verdict}**."
        )
        w("")
        jit = [_plan_times(page.get("plan")), _plan_times(more_page.get("plan"))]
        if all(jit):
            (run_before, jit_before), (run_after, jit_after) = jit
            w(
                f"In the plans below, the first page's search takes {run_before:.1f} ms, then {run_after:.1f} ms "
                f"with twice the history, of which PostgreSQL's JIT compilation {jit_before:.1f} ms, then "
                f"{jit_after:.1f} ms; the rest, the search itself, goes from {run_before - jit_before:.1f} to "
                f"{run_after - jit_after:.1f} ms (each order of the page is probed once, and the probe also meets "
                "the order's older, decided submission). The server compiles a query whose estimated cost passes "
                "`jit_above_cost` (100,000 by default), and that estimate grows with the history. `jit` is a "
                "setting of the PostgreSQL server, not of the addon."
            )
            w("")
        plans = [
            ("the count with twice the history", more_count.get("plan")),
            ("the first page", page.get("plan")),
            ("the first page with twice the history", more_page.get("plan")),
        ]
        for title, plan in plans:
            if not plan:
                continue
            w(f"<details><summary>Plan of {title} (EXPLAIN ANALYZE)</summary>")
            w("")
            w("```")
            lines.extend(plan)
            w("```")
            w("")
            w("</details>")
            w("")
    finished = [x for x in runs if x["finished"]]
    if len(finished) >= 2:
        steps = [
            f"{a['overdue']:,} → {b['overdue']:,} steps: time × {b['seconds'] / a['seconds']:.1f}"
            for a, b in zip(finished, finished[1:], strict=False)
            if a["seconds"]
        ]
        w("Reminder run time as the overdue steps grow: " + "; ".join(steps) + ".")
        w("")
    # Faster than the steps: the time ratio of two runs well above the ratio of their sizes.
    superlinear = any(
        b["seconds"] / a["seconds"] > 1.5 * b["overdue"] / a["overdue"]
        for a, b in zip(finished, finished[1:], strict=False)
        if a["seconds"] and a["overdue"]
    )
    if any(not x["finished"] for x in runs) or superlinear:
        w(
            "The reminder run grows faster than the number of steps: some work is done per step that "
            "should be done per batch (a recordset built with `|=` in a loop over the steps, a record read "
            "one at a time). Look for it in `crm_review/models/crm_review_reminder.py`."
        )
        w("")
    phases = r.get("phases", {})
    gen = r.get("generate", {})
    parts = [
        ("database and users", r.get("build_seconds")),
        ("customers (SQL)", gen.get("customers_seconds")),
        ("orders (SQL)", gen.get("orders_seconds")),
        ("VACUUM ANALYZE", gen.get("vacuum_seconds")),
        ("install, empty", inst["empty"]),
        ("install, large", inst["large"]),
        *phases.items(),
    ]
    w("Time per phase: " + "; ".join(f"{name} {_seconds(value)}" for name, value in parts) + ".")
    if elapsed is not None:
        ok = elapsed < SCALE_TARGET_MINUTES * 60
        stopped = [x for x in runs if not x["finished"]]
        verdict = "met" if ok else "not met"
        if ok and stopped:
            verdict = (
                f"met only by stopping the reminder run over {stopped[0]['overdue']:,} steps**; one reminder "
                f"run over all the pending steps within it: **not met"
            )
        w(
            f"Whole run: {_seconds(elapsed)}, target under {SCALE_TARGET_MINUTES} min: **{verdict}**. "
            f"Database size at the end: {r['database_bytes'] / 2**30:.1f} GB; peak memory of the driver "
            f"{r['peak_rss_kb'] / 1024:.0f} MB."
        )
    w("")
    return lines


LOAD_CPU_RATIO = 1.5  # target: approvals per Odoo CPU-second, crm_review / OCA


def _ms_text(value):
    return "—" if value is None else f"{value:,.0f}"


def load_section(path):
    """Lines of the load-test section of README.md, from ``bench/results/load.json`` (none without it)."""
    if not path.exists():
        return []
    from load import SCENARIOS, aggregate  # noqa: PLC0415 - bench/load.py, next to this file

    run = json.loads(path.read_text())
    totals = aggregate(run["rounds"])
    lines = ["## Load test", ""]
    w = lines.append
    w(
        f"Generated by `bench/load.sh` (`make bench-load`, not run by CI). Run of {run['date']}, repository "
        f"revision {run['revision']}, on {run['cpus']} CPU(s), PostgreSQL and the clients on the same machine, "
        f"total run time {run['elapsed_seconds'] // 60} min {run['elapsed_seconds'] % 60} s."
    )
    w("")
    w(
        "Built as the databases of `make bench` (same users, customers and products); each system has "
        "4,000 orders waiting for a step whose reviewers are a group of 18, any one of whom approves "
        "(crm_review: the step's default to-do limit of 10, so the members get no to-do each and find the "
        "step in their *To review* list; OCA: a `review_type=group` tier, no to-do), then the controller. "
        f"Each system is served by an Odoo server of its own with {run['workers']} HTTP workers and no cron "
        "worker, on a fresh copy of its database for each round; rounds alternate between the two systems "
        f"({run['rounds_per_system']} rounds of {run['seconds']} s each per scenario and system). The clients "
        "log in with `/web/session/authenticate` and call `/web/dataset/call_kw` as the web client does, one "
        "thread and session per user; crm_review's `action_review_approve`, OCA's `validate_tier`. A warm-up "
        "(three decisions per reviewer, not measured) fills each worker's caches. Browsing: the reviewer's "
        "*to review* list (80 rows with the review columns) then one order's form. Odoo CPU: user and system "
        "time of the server's processes during the measured part, read from `/proc`; the email job that "
        "crm_review starts after a decision is not run (no cron worker), OCA sends no email here."
    )
    w("")
    w(
        "| scenario | system | decisions | decisions/s | p50 ms | p95 ms | errors | refused | Odoo CPU s "
        "| decisions per CPU-s | browse p50 / p95 ms | load start / end |"
    )
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    names = {"crm": "crm_review", "oca": "OCA"}
    for scenario, spec in SCENARIOS.items():
        for system in ("crm", "oca"):
            t = totals.get((scenario, system))
            if not t:
                continue
            browse = f"{_ms_text(t['browse_p50'])} / {_ms_text(t['browse_p95'])}" if t["browse"] else "—"
            load = t["load"]
            w(
                f"| {spec['label']} | {names[system]} | {t['approvals']:,} | {t['per_s']:.1f} | {_ms_text(t['p50'])} "
                f"| {_ms_text(t['p95'])} | {t['errors']} | {t['refused']:,} | {t['cpu']:.1f} | {t['per_cpu_s']:.1f} "
                f"| {browse} | {min(load[0::2]):.1f}–{max(load[0::2]):.1f} "
                f"/ {min(load[1::2]):.1f}–{max(load[1::2]):.1f} |"
            )
    w("")
    w(
        f"Targets: at least {LOAD_CPU_RATIO}× OCA's decisions per Odoo CPU-second, and a p95 no higher than "
        "OCA's, in every scenario."
    )
    w("")
    for scenario, spec in SCENARIOS.items():
        crm, oca = totals.get((scenario, "crm")), totals.get((scenario, "oca"))
        if not (crm and oca):
            continue
        ratio = crm["per_cpu_s"] / oca["per_cpu_s"] if oca["per_cpu_s"] else 0.0
        cpu_ok = ratio >= LOAD_CPU_RATIO
        p95_ok = crm["p95"] is not None and oca["p95"] is not None and crm["p95"] <= oca["p95"]
        w(
            f"- {spec['label']}: decisions per CPU-second {ratio:.2f}× OCA's (**{'met' if cpu_ok else 'not met'}**); "
            f"p95 {_ms_text(crm['p95'])} ms against {_ms_text(oca['p95'])} (**{'met' if p95_ok else 'not met'}**)."
        )
    w("")
    w(
        "Why the CPU targets are not met on public APIs: a crm_review decision does what OCA's does (check who "
        "decides, lock, write the step, open the next) and three things OCA's does not: it gives the next "
        "step's reviewer a to-do (`mail.activity`: created or handed over, the assignee subscribed as a "
        "follower, the activity counters told on the bus), posts a note in the record's chatter "
        "(`_message_log_batch`, which also works out the note's reply-to address) and writes an audit-trail "
        "row. Profiled in one process (cProfile on process time, 80 approvals of the group-of-18 step), the "
        "to-do takes 30 % of the decision's Odoo CPU and the note 20 %, the commit 12 %, reading and locking the "
        "steps and the decision policy 13 %, the audit row 3 %. Without the to-do and the note a decision would "
        "cost about what OCA's does, not a third of it: 1.5× OCA's decisions per CPU-second would take dropping "
        "what reviewers see in Odoo (their activities and the chatter) or writing those rows in SQL, which the "
        "project does not do. Where the work is refusing, crm_review is cheaper: in the race, a loser is "
        "refused after reading the step (and told who decided) while OCA's call goes through its whole "
        "validation to change nothing."
    )
    w("")
    for system in ("crm", "oca"):
        race = (totals.get(("race", system)) or {}).get("race")
        if not race:
            continue
        w(
            f"- Race, {names[system]}: of {race['orders']} orders, {race['decided_once']} decided once, "
            f"{race['decided_twice_or_more']} more than once, {race['undecided']} undecided; "
            f"{race['losers_refused']:,} losing calls refused, {race['losers_told_who_decided']:,} of them "
            f"naming who decided; {max(race['calls_without_decision'], 0):,} calls returned without deciding "
            "anything or telling why." + (f' A refusal reads: "{race["samples"][0]}"' if race.get("samples") else "")
        )
    w("")
    return lines


def cmd_load_table(args):
    print("\n".join(load_section(Path(args.results) / "load.json")))


def cmd_scale_table(args):
    print("\n".join(scale_section(Path(args.results) / "scale.json")))


SERIES = (("crm", "crm_review", "o-"), ("oca", "OCA", "s--"), ("plain", "no review addon", "^:"))


def plot(data, ns, path):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import matplotlib.ticker  # noqa: PLC0415

    ops = [o for o in OPERATIONS if any(o[0] in (item.get("ops") or {}) for item in data.values())]
    cols = 4
    rows = (len(ops) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (key, label, per) in zip(axes.flat, ops, strict=False):
        mk = "ms_per_call" if per == "call" else "ms_per_rec"
        for system, name, style in SERIES:
            ops_of = {n: (data.get((system, n)) or {}).get("ops", {}) for n in ns}
            points = [(n, ops_of[n][key][mk]) for n in ns if key in ops_of[n] and not ops_of[n][key].get("error")]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], style, label=name)
        ax.set_title(label, fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(ns)
        ax.set_xticklabels([f"{n:,}" for n in ns], fontsize=7)
        ax.set_xlabel("N", fontsize=7)
        ax.set_ylabel("ms per call" if per == "call" else "ms per record", fontsize=7)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(ops) :]:
        ax.axis("off")
    fig.suptitle("Time per record against N: crm_review vs OCA tier validation", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("base", "config", "run", "load-prepare"):
        p = sub.add_parser(name)
        p.add_argument("--db", required=True)
        p.add_argument("--addons-path", default=os.environ.get("ADDONS_PATH"))
        if name in ("config", "run", "load-prepare"):
            p.add_argument("--system", choices=["crm", "oca", "plain"], required=True)
        if name == "load-prepare":
            p.add_argument("--orders", type=int, required=True)
        if name == "run":
            p.add_argument("--n", type=int, required=True)
            p.add_argument("--out", required=True)
            p.add_argument("--approve-limit", type=int, default=None, help="approvals measured per step (default: all)")
    p = sub.add_parser("scale-table", help="print the scale-run section of README.md")
    p.add_argument("--results", default=str(BENCH_DIR / "results"))
    p = sub.add_parser("load-table", help="print the load-test section of README.md")
    p.add_argument("--results", default=str(BENCH_DIR / "results"))
    p = sub.add_parser("report")
    p.add_argument("--results", default=str(BENCH_DIR / "results"))
    p.add_argument("--readme", default=str(BENCH_DIR / "README.md"))
    p.add_argument("--png", default=str(BENCH_DIR / "time_per_record.png"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--elapsed", default=None)
    args = parser.parse_args()
    if args.cmd == "report":
        return cmd_report(args)
    if args.cmd == "scale-table":
        return cmd_scale_table(args)
    if args.cmd == "load-table":
        return cmd_load_table(args)
    odoo, registry = boot(args.db, args.addons_path)
    commands = {"base": cmd_base, "config": cmd_config, "run": cmd_run, "load-prepare": cmd_load_prepare}
    commands[args.cmd](odoo, registry, args)
    return None


if __name__ == "__main__":
    main()
