#!/usr/bin/env python3
"""Scale run of crm_review: a million orders, a million review lines.

Called by ``bench/scale.sh`` (``make bench-scale``); not part of CI.
Sub-commands:

``generate``  customers and orders written in SQL into a ``sale_management``
              database (before crm_review is installed), cloned from one row
              created by the ORM so that every column holds a valid value;
``run``       after crm_review is installed: the review configuration, the
              history of decided review lines (SQL), then the measured
              operations, written to ``bench/results/scale.json``.

The history goes straight into the addon's own tables (``crm_review`` and its
reviewer relations): it stands for years of decisions. Everything measured
goes through the addon's public methods, as a user or the cron would call them.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402  (the shared boot, users and query counter)

HISTORY_REASON_XMLID = "crm_review.reason_incomplete"
# Columns of the "Orders to Review" list (crm_review's sale_order_view_list_to_review).
LIST_SPEC = {
    "currency_id": {"fields": {}},
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "amount_total": {},
    "review_step_label": {},
    "review_reviewers_label": {},
    "review_state": {},
}
PAGE = 80  # the web client's default page size


def log(message):
    print(f"== [{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Timer:
    """Wall time and exact query count of a block."""

    def __enter__(self):
        self.q0 = bench.sql_count()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.queries = bench.sql_count() - self.q0
        return False


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'"
        " ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in cr.fetchall()]


def clone_rows(cr, table, template_id, count, first_id, overrides):
    """Insert ``count`` copies of row ``template_id`` with ids ``first_id + g`` (g = 1..count).

    ``overrides``: {column: SQL expression over ``g`` and the template row ``t``}.
    """
    from odoo.tools import SQL  # noqa: PLC0415

    names = columns(cr, table)
    targets = [SQL.identifier(name) for name in ["id", *names]]
    values = [SQL("%s + g", first_id)]
    for name in names:
        if name in overrides:
            values.append(SQL(overrides[name].replace("%", "%%")))
        else:
            values.append(SQL("t.%s", SQL.identifier(name)))
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s t, generate_series(1, %s) g WHERE t.id = %s",
            SQL.identifier(table),
            SQL(", ").join(targets),
            SQL(", ").join(values),
            SQL.identifier(table),
            count,
            template_id,
        )
    )
    cr.execute(SQL("SELECT setval(%s, (SELECT MAX(id) FROM %s))", f"{table}_id_seq", SQL.identifier(table)))


def order_layout_sql(column):
    """Which part of the history an order belongs to, by its number ``g`` (``column``).

    g % 10 = 0: a quotation never submitted (the orders the run submits);
    g % 10 in 1..8: approved and confirmed; g % 20 = 9: rejected (a draft again);
    g % 20 = 19: approved, then changed, so a draft that needs a new review.
    """
    return {
        "to_submit": f"({column}) % 10 = 0",
        "history": f"({column}) % 10 != 0",
        "state": f"CASE WHEN ({column}) % 10 IN (0, 9) THEN 'draft' ELSE 'sale' END",
        "review_state": (
            f"CASE WHEN ({column}) % 10 = 0 THEN NULL WHEN ({column}) % 20 = 9 THEN 'rejected'"
            f" WHEN ({column}) % 20 = 19 THEN 'draft' ELSE 'approved' END"
        ),
        "line_state": f"CASE WHEN ({column}) % 20 = 9 THEN 'rejected' ELSE 'approved' END",
        "line_current": f"(({column}) % 20 != 19)",
    }


# ---------------------------------------------------------------------------
# generate: customers and orders, in SQL, before crm_review is installed
# ---------------------------------------------------------------------------


def cmd_generate(odoo, registry, args):
    stats = {"orders": args.orders, "customers": args.customers}
    with registry.cursor() as cr:
        env = bench.user_env(odoo, cr, odoo.SUPERUSER_ID)
        env = env(context=dict(env.context, mail_create_nolog=True, tracking_disable=True))
        users = bench.bench_users(env)
        template_partner = env["res.partner"].search([("name", "=", "Customer 001")], limit=1)
        template_order = env["sale.order"].create({"partner_id": template_partner.id, "user_id": users["sales"][0].id})
        env.flush_all()

        cr.execute("SELECT COALESCE(MAX(id), 0) FROM res_partner")
        p0 = cr.fetchone()[0]
        t0 = time.perf_counter()
        email = "'scale' || g || '@customers.example.com'"
        partner_overrides = {
            "name": "'Scale customer ' || lpad(g::text, 6, '0')",
            "complete_name": "'Scale customer ' || lpad(g::text, 6, '0')",
            "commercial_company_name": "'Scale customer ' || lpad(g::text, 6, '0')",
            "email": email,
            "email_normalized": email,
            "commercial_partner_id": f"{p0} + g",
            "create_date": "now() AT TIME ZONE 'UTC'",
            "write_date": "now() AT TIME ZONE 'UTC'",
        }
        clone_rows(cr, "res_partner", template_partner.id, args.customers, p0, partner_overrides)
        stats["customers_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"{args.customers:,} customers in {stats['customers_seconds']} s")

        cr.execute("SELECT COALESCE(MAX(id), 0) FROM sale_order")
        o0 = cr.fetchone()[0]
        sales = "ARRAY[%s]" % ",".join(str(u.id) for u in users["sales"])
        customer = f"{p0} + 1 + ((g * 7) % {args.customers})"
        # two years of orders, the newest last
        minutes = f"(({args.orders} - g)::float * 1051200 / {args.orders})"
        date = f"(now() AT TIME ZONE 'UTC') - interval '1 minute' * {minutes}"
        amount = "round(1200 + ((g::bigint * 7919) % 58800) + (g % 100) / 100.0, 2)"
        layout = order_layout_sql("g")
        order_overrides = {
            "name": "'SC' || lpad(g::text, 7, '0')",
            "partner_id": customer,
            "partner_invoice_id": customer,
            "partner_shipping_id": customer,
            "user_id": f"({sales})[1 + g % {len(users['sales'])}]",
            "create_uid": f"({sales})[1 + g % {len(users['sales'])}]",
            "write_uid": f"({sales})[1 + g % {len(users['sales'])}]",
            "date_order": date,
            "create_date": date,
            "write_date": date,
            "amount_untaxed": amount,
            "amount_total": amount,
            "amount_tax": "0",
            "state": layout["state"],
            "invoice_status": "'no'",
            "access_token": "NULL",
        }
        t0 = time.perf_counter()
        clone_rows(cr, "sale_order", template_order.id, args.orders, o0, order_overrides)
        cr.execute("DELETE FROM sale_order WHERE id = %s", (template_order.id,))
        stats["orders_seconds"] = round(time.perf_counter() - t0, 1)
        stats["first_order_id"] = o0
        log(f"{args.orders:,} orders in {stats['orders_seconds']} s")
        cr.commit()
        # Statistics and visibility map, as autovacuum would have them on a live database (not measured).
        t0 = time.perf_counter()
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE res_partner, sale_order")
        cr._cnx.autocommit = False
        stats["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"VACUUM ANALYZE in {stats['vacuum_seconds']} s")
    Path(args.out).write_text(json.dumps(stats, indent=1))


# ---------------------------------------------------------------------------
# run: configuration, history, measured operations
# ---------------------------------------------------------------------------


def configure(odoo, env, users):
    """Groups, one rule (orders over 1,000: any one of the three reviewers) and a review administrator."""
    from odoo.fields import Command  # noqa: PLC0415

    reviewers = users["reviewers"]
    env.ref("crm_review.group_review_reviewer").write({"user_ids": [Command.link(u.id) for u in reviewers]})
    env.ref("crm_review.group_review_submitter").write(
        {"user_ids": [Command.link(u.id) for u in (*users["sales"], users["manager"])]}
    )
    admin = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "login": "reviewadmin",
                "name": "Review Administrator",
                "email": "reviewadmin@bench.example.com",
                "group_ids": [
                    Command.set(
                        [
                            env.ref("sales_team.group_sale_salesman_all_leads").id,
                            env.ref("crm_review.group_review_manager").id,
                        ]
                    )
                ],
            }
        )
    )
    rule = env["crm.review.rule"].create(
        {
            "name": "Orders over 1,000",
            "state": "active",
            "model_id": env["ir.model"]._get_id("sale.order"),
            "domain": f"[('amount_total', '>', {bench.GROUP_LIMIT:.0f})]",
            "step_ids": [
                Command.create(
                    {
                        "name": "Reviewers",
                        "sequence": 10,
                        "approver_type": "group",
                        "group_id": users["group"].id,
                        "approval_mode": "any",
                    }
                )
            ],
        }
    )
    return rule, admin


def write_history(cr, rule, step, reviewers, reason_id, first_order_id, orders):
    """Decided review lines of every order but the ones left to submit (one line per order).

    The statements are built here from integers only (ids and counts).
    """
    g = f"(o.id - {int(first_order_id)})"
    layout = order_layout_sql(g)
    reviewer_array = "ARRAY[%s]" % ",".join(str(int(u.id)) for u in reviewers)
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM crm_review")
    before = cr.fetchone()[0]
    last_order_id = int(first_order_id + orders)
    cr.execute(
        f"""
        INSERT INTO crm_review (
            res_model, res_id, res_name, rule_id, step_id, name, position, submission, is_current, state,
            approval_mode, comment_required, submitter_id, pending_since, done_date, done_by_id, reason_id,
            company_id, team_id, reminder_count, escalated, duration_hours,
            create_uid, create_date, write_uid, write_date)
        SELECT 'sale.order', o.id, o.name, {int(rule.id)}, {int(step.id)}, 'Reviewers', 1, 1,
            {layout["line_current"]}, {layout["line_state"]},
            'any', false, o.user_id, o.date_order + interval '1 hour', o.date_order + interval '1 day',
            ({reviewer_array})[1 + o.id % 3],
            CASE WHEN {layout["line_state"]} = 'rejected' THEN {int(reason_id)} END,
            o.company_id, o.team_id, 0, false, 23.0,
            o.user_id, o.date_order, ({reviewer_array})[1 + o.id % 3], o.date_order + interval '1 day'
        FROM sale_order o
        WHERE o.id > {int(first_order_id)} AND o.id <= {last_order_id} AND {layout["history"]}
        ORDER BY o.id
        """  # noqa: S608 - integers only
    )
    lines = cr.rowcount
    cr.execute(
        "INSERT INTO crm_review_reviewer_rel (review_id, user_id)"  # noqa: S608 - integers only
        f" SELECT r.id, u FROM crm_review r, unnest({reviewer_array}) u WHERE r.id > {int(before)}"
    )
    reviewer_rows = cr.rowcount
    cr.execute(
        "INSERT INTO crm_review_approved_by_rel (review_id, user_id)"  # noqa: S608 - integers only
        f" SELECT id, done_by_id FROM crm_review WHERE id > {int(before)} AND state = 'approved'"
    )
    approved_rows = cr.rowcount
    by_order = order_layout_sql(f"(id - {int(first_order_id)})")
    cr.execute(
        f"UPDATE sale_order SET review_state = {by_order['review_state']}"  # noqa: S608 - integers only
        f" WHERE id > {int(first_order_id)} AND id <= {last_order_id} AND {by_order['history']}"
    )
    return {"lines": lines, "reviewer_rows": reviewer_rows, "approved_by_rows": approved_rows}


def measure_to_review(odoo, cr, reviewer_id, repeat):
    """Count and first page of "to review by me" as ``reviewer_id``, cold cache (medians), and their plans."""
    rev_env = bench.user_env(odoo, cr, reviewer_id)
    Orders = rev_env["sale.order"]
    domain = [("review_to_me", "=", True)]
    Orders.search_count(domain)  # registry caches of a running server (rules, groups)
    Orders.search(domain, limit=PAGE).web_read(LIST_SPEC)
    cr.rollback()
    counts, pages = [], []
    for _i in range(repeat):
        cr.rollback()
        rev_env.invalidate_all()
        with Timer() as timer:
            value = Orders.search_count(domain)
        counts.append((timer.seconds, timer.queries, value))
        cr.rollback()
        rev_env.invalidate_all()
        with Timer() as timer:
            page = Orders.search(domain, limit=PAGE)
            rows = page.web_read(LIST_SPEC)
        pages.append((timer.seconds, timer.queries, len(rows)))
    cr.rollback()
    # The plan of the count, as the ORM writes it for this user (rules included).
    from odoo.tools import SQL  # noqa: PLC0415 - Odoo is importable once bench has booted it

    query = Orders._search(domain)
    cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM (%s) AS counted", query.select()))
    plan = [row[0] for row in cr.fetchall()]
    cr.rollback()
    # And of the first page's search (the list's order, one page).
    query = Orders._search(domain, limit=PAGE, order=Orders._order)
    cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query.select()))
    page_plan = [row[0] for row in cr.fetchall()]
    cr.rollback()
    count = {
        "value": counts[-1][2],
        "ms": round(1000 * sorted(c[0] for c in counts)[len(counts) // 2], 1),
        "queries": counts[-1][1],
        "calls": len(counts),
        "plan": plan,
    }
    page = {
        "rows": pages[-1][2],
        "ms": round(1000 * sorted(p[0] for p in pages)[len(pages) // 2], 1),
        "queries": pages[-1][1],
        "calls": len(pages),
        "plan": page_plan,
    }
    return count, page


def write_older_history(cr):
    """An older submission of every decided order: the decided lines again, a year earlier, no longer current."""
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM crm_review")
    before = cr.fetchone()[0]
    cr.execute(
        """
        INSERT INTO crm_review (
            res_model, res_id, res_name, rule_id, step_id, name, position, submission, is_current, state,
            approval_mode, comment_required, submitter_id, pending_since, done_date, done_by_id, reason_id,
            company_id, team_id, reminder_count, escalated, duration_hours,
            create_uid, create_date, write_uid, write_date)
        SELECT res_model, res_id, res_name, rule_id, step_id, name, position, 0, false, 'approved',
            approval_mode, comment_required, submitter_id, pending_since - interval '1 year',
            done_date - interval '1 year', done_by_id, NULL,
            company_id, team_id, 0, false, duration_hours,
            create_uid, create_date - interval '1 year', write_uid, write_date - interval '1 year'
        FROM crm_review
        WHERE state IN ('approved', 'rejected')
        ORDER BY id
        """
    )
    lines = cr.rowcount
    cr.execute(
        "INSERT INTO crm_review_reviewer_rel (review_id, user_id)"
        " SELECT r.id, rel.user_id FROM crm_review r"
        " JOIN crm_review old ON old.res_model = r.res_model AND old.res_id = r.res_id AND old.submission = 1"
        " JOIN crm_review_reviewer_rel rel ON rel.review_id = old.id"
        " WHERE r.id > %s",
        [before],
    )
    return {"lines": lines, "reviewer_rows": cr.rowcount}


def vacuum_analyze(cr, tables):
    cr.commit()
    cr._cnx.autocommit = True
    try:
        cr.execute("VACUUM ANALYZE " + ", ".join(tables))
    finally:
        cr._cnx.autocommit = False


def cmd_run(odoo, registry, args):  # noqa: C901 - one sequence of phases, read top to bottom
    gen = json.loads(Path(args.generate_json).read_text())
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "revision": bench.git_describe(),
        "orders": gen["orders"],
        "customers": gen["customers"],
        "generate": gen,
        "install_seconds": {"empty": args.install_empty, "large": args.install_large},
        "build_seconds": args.build_seconds,
        "cpus": os.cpu_count(),
        "phases": {},
    }
    phases = result["phases"]
    first_order_id = gen["first_order_id"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)

    def phase(name, seconds):
        phases[name] = round(seconds, 1)
        log(f"phase {name}: {seconds:.1f} s")

    with registry.cursor() as cr:
        su = bench.user_env(odoo, cr, odoo.SUPERUSER_ID)
        users = bench.bench_users(su)
        reviewers = users["reviewers"]

        # -- configuration and history (not measured: they stand for the past) --
        t0 = time.perf_counter()
        rule, admin = configure(odoo, su, users)
        su.flush_all()
        history = write_history(
            cr,
            rule,
            rule.step_ids,
            reviewers,
            su.ref(HISTORY_REASON_XMLID).id,
            first_order_id,
            gen["orders"],
        )
        vacuum_analyze(cr, ["crm_review", "crm_review_reviewer_rel", "crm_review_approved_by_rel", "sale_order"])
        result["history"] = history
        phase("history", time.perf_counter() - t0)

        # -- submit, in batches, as the sales manager --
        to_submit = (
            su["sale.order"]
            .search([("review_state", "=", False), ("amount_total", ">", bench.GROUP_LIMIT)], order="id")
            .ids[: args.submit]
        )
        manager_env = bench.user_env(odoo, cr, users["manager"].id)
        batches = []
        t0 = time.perf_counter()
        for start in range(0, len(to_submit), args.batch):
            ids = to_submit[start : start + args.batch]
            manager_env.invalidate_all()
            with Timer() as timer:
                manager_env["sale.order"].browse(ids).action_review_submit()
                cr.commit()
            batches.append({"records": len(ids), "seconds": round(timer.seconds, 2), "queries": timer.queries})
            print(
                f"  submit batch {len(batches)}: {len(ids)} orders, {timer.seconds:.1f} s, "
                f"{timer.queries / len(ids):.2f} q/rec",
                flush=True,
            )
        total_s = sum(b["seconds"] for b in batches)
        total_q = sum(b["queries"] for b in batches)
        result["submit"] = {
            "records": len(to_submit),
            "batch": args.batch,
            "batches": batches,
            "seconds": round(total_s, 1),
            "queries": total_q,
            "ms_per_rec": round(1000 * total_s / max(len(to_submit), 1), 3),
            "q_per_rec": round(total_q / max(len(to_submit), 1), 3),
            "slowest_batch_seconds": max((b["seconds"] for b in batches), default=0),
        }
        phase("submit", time.perf_counter() - t0)
        t0 = time.perf_counter()
        vacuum_analyze(
            cr,
            [
                "crm_review",
                "crm_review_reviewer_rel",
                "crm_review_waiting_rel",
                "sale_order",
                "mail_activity",
                "mail_followers",
            ],
        )
        phase("analyze after submit (not measured)", time.perf_counter() - t0)
        cr.execute("SELECT count(*), count(*) FILTER (WHERE state = 'pending') FROM crm_review")
        result["review_lines"], result["pending_lines"] = cr.fetchone()

        # -- "to review by me": count and first page, as a reviewer, cold cache --
        t0 = time.perf_counter()
        result["to_review_count"], result["first_page"] = measure_to_review(odoo, cr, reviewers[0].id, args.repeat)
        phase("to review by me", time.perf_counter() - t0)

        # -- the analysis, as a review administrator, cold cache --
        t0 = time.perf_counter()
        admin_env = bench.user_env(odoo, cr, admin.id)
        Report = admin_env["crm.review.report"]
        pivot_sets = [[], ["rule_id"], ["state"], ["rule_id", "state"]]
        Report.formatted_read_grouping_sets([], [[]], ["submission_count:sum"])  # registry caches
        cr.rollback()
        admin_env.invalidate_all()
        with Timer() as pivot:
            groups = Report.formatted_read_grouping_sets([], pivot_sets, ["submission_count:sum"])
        cr.rollback()
        admin_env.invalidate_all()
        with Timer() as by_month:
            months = Report.formatted_read_group(
                [], ["submitted_on:month"], ["__count", "cycle_hours:avg", "rejection_rate:avg"]
            )
        cr.rollback()
        total_rows = sum(g["submission_count:sum"] or 0 for g in groups[0])
        result["analysis"] = {
            "pivot": {
                "ms": round(1000 * pivot.seconds, 1),
                "queries": pivot.queries,
                "submissions": total_rows,
                "cells": sum(len(g) for g in groups),
            },
            "by_month": {"ms": round(1000 * by_month.seconds, 1), "queries": by_month.queries, "groups": len(months)},
        }
        phase("analysis", time.perf_counter() - t0)
        cr.commit()

        # -- the same pending steps under twice the history: "to review by me" must cost the same --
        t0 = time.perf_counter()
        result["older_history"] = write_older_history(cr)
        vacuum_analyze(cr, ["crm_review", "crm_review_reviewer_rel", "crm_review_approved_by_rel"])
        cr.execute("SELECT count(*) FROM crm_review")
        result["review_lines_more"] = cr.fetchone()[0]
        phase("older history (not measured)", time.perf_counter() - t0)
        t0 = time.perf_counter()
        result["to_review_count_more"], result["first_page_more"] = measure_to_review(
            odoo, cr, reviewers[0].id, args.repeat
        )
        phase("to review by me, twice the history", time.perf_counter() - t0)
        cr.commit()

    # -- reminder cron: one run over a growing number of overdue steps, the last one all of them --
    # Each run is a process of its own, stopped when the time left to the run's deadline is spent.
    t0 = time.perf_counter()
    result["reminder_runs"] = runs = []
    pending = result["pending_lines"]
    sizes = sorted({max(1, round(pending * float(f))) for f in args.reminder_fractions.split(",")})
    for size in sizes:
        left = (args.deadline - time.time() - 30) if args.deadline else 3600
        limit = max(60.0, left)
        out = Path(args.out).with_name(f"scale-remind-{size}.json")
        command = [sys.executable, __file__, "remind", "--db", args.db, "--overdue", str(size), "--out", str(out)]
        if args.addons_path:
            command += ["--addons-path", args.addons_path]
        log(f"reminder cron over {size:,} overdue steps (stopped after {limit:.0f} s)")
        started = time.perf_counter()
        try:
            subprocess.run(command, check=True, timeout=limit)
        except subprocess.TimeoutExpired:
            with registry.cursor() as cr:
                marked = stopped_state(cr)
            runs.append(
                {
                    "overdue": size,
                    "finished": False,
                    "stopped_after": round(time.perf_counter() - started),
                    "marked": marked,
                }
            )
            log(f"reminder cron over {size:,} steps stopped after {limit:.0f} s ({marked:,} steps marked)")
            break
        except subprocess.CalledProcessError as error:
            runs.append({"overdue": size, "finished": False, "error": str(error)[:300], "stopped_after": 0})
            break
        run = json.loads(out.read_text())
        out.unlink()
        run["finished"] = True
        runs.append(run)
        log(f"reminder cron over {size:,} steps: {run['seconds']} s, {run['queries']:,} queries")
    phase("reminder cron runs", time.perf_counter() - t0)

    with registry.cursor() as cr:
        cr.execute("SELECT pg_database_size(current_database())")
        result["database_bytes"] = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM mail_activity")
        result["activities"] = cr.fetchone()[0]
    result["peak_rss_kb"] = bench.peak_rss_kb()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    log(f"written {out}")


def stopped_state(cr):
    """Steps a stopped reminder run had marked for its digests (committed batches): how far it got."""
    cr.execute("SELECT count(*) FROM crm_review WHERE reminder_digest_due")
    return cr.fetchone()[0]


def cmd_remind(odoo, registry, args):
    """One run of the reminder cron method over ``--overdue`` pending steps dated back; figures as JSON."""
    with registry.cursor() as cr:
        su = bench.user_env(odoo, cr, odoo.SUPERUSER_ID)
        # The steps reminded least (never, first), oldest first; waiting 2 to 31 days.
        cr.execute(
            "UPDATE crm_review SET next_reminder_at = (now() AT TIME ZONE 'UTC') - interval '1 hour',"
            " pending_since = (now() AT TIME ZONE 'UTC') - interval '1 day' * (2 + id %% 30) - interval '1 minute' * id"
            " WHERE id IN (SELECT id FROM crm_review WHERE state = 'pending'"
            " ORDER BY COALESCE(reminder_count, 0), id LIMIT %s)"
            " RETURNING id, res_id, pending_since",
            (args.overdue,),
        )
        rows = cr.fetchall()
        line_ids = [row[0] for row in rows]
        oldest = min(rows, key=lambda row: (row[2], row[0]))[1] if rows else None
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_mail")
        mail_before = cr.fetchone()[0]
        vacuum_analyze(cr, ["crm_review"])
        su.invalidate_all()
        with Timer() as timer:
            su["crm.review"]._cron_send_reminders()
            cr.commit()
        cr.execute(
            "SELECT p.email, count(*), max(octet_length(m.body_html)), max(m.body_html)"
            " FROM mail_mail m JOIN mail_mail_res_partner_rel r ON r.mail_mail_id = m.id"
            " JOIN res_partner p ON p.id = r.res_partner_id"
            " WHERE m.id > %s GROUP BY p.email ORDER BY p.email",
            (mail_before,),
        )
        emails = {}
        for email_to, count, size, body in cr.fetchall():
            more = re.search(r"And\s+(?:<[^>]*>)?\s*(\d+)\s*(?:</[^>]*>)?\s*more", body or "")
            listed = re.findall(r"/odoo/sale\.order/(\d+)\"", body or "")
            emails[email_to] = {
                "emails": count,
                "bytes": size,
                "listed": len(listed),
                "and_more": int(more.group(1)) if more else 0,
                "link_to_all": "action-crm_review.crm_review_action_to_review" in (body or ""),
                # most overdue first: the first order listed is the one pending longest
                "most_overdue_first": bool(listed) and int(listed[0]) == oldest,
            }
        cr.execute(
            "SELECT count(*) FROM crm_review WHERE id = ANY(%s) AND next_reminder_at > (now() AT TIME ZONE 'UTC')",
            (line_ids,),
        )
        reminded = cr.fetchone()[0]
    result = {
        "overdue": len(line_ids),
        "reminded": reminded,
        "seconds": round(timer.seconds, 1),
        "queries": timer.queries,
        "q_per_step": round(timer.queries / max(len(line_ids), 1), 3),
        "emails": emails,
    }
    Path(args.out).write_text(json.dumps(result, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=200_000)
    p.add_argument("--out", required=True, help="JSON file for the generation figures")
    p = sub.add_parser("run")
    p.add_argument("--generate-json", required=True)
    p.add_argument("--submit", type=int, default=100_000, help="orders submitted (at most a tenth of the orders)")
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=5, help="cold calls of the count and the first page")
    p.add_argument("--install-empty", type=float, default=None)
    p.add_argument("--install-large", type=float, default=None)
    p.add_argument("--build-seconds", type=float, default=None)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "scale.json"))
    p.add_argument(
        "--reminder-fractions",
        default="0.01,0.02,0.05,1",
        help="reminder runs, each over this fraction of the pending steps (the last: all of them)",
    )
    p.add_argument("--deadline", type=float, default=None, help="epoch seconds: the last reminder run stops then")
    p = sub.add_parser("remind")
    p.add_argument("--overdue", type=int, required=True)
    p.add_argument("--out", required=True)
    for p in sub.choices.values():
        p.add_argument("--db", required=True)
        p.add_argument("--addons-path", default=os.environ.get("ADDONS_PATH"))
    args = parser.parse_args()
    odoo, registry = bench.boot(args.db, args.addons_path)
    {"generate": cmd_generate, "run": cmd_run, "remind": cmd_remind}[args.cmd](odoo, registry, args)


if __name__ == "__main__":
    main()
