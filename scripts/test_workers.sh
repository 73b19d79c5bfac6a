#!/usr/bin/env bash
# Reliability stage of `make test`, on copies of the test database:
#   1. upgrade (-u crm_review) keeps every review line and audit-trail row, and an
#      upgrade from 19.0.1.1.0 restores the waiting reviewers of pending steps;
#   2. the addon served by Odoo with 2 HTTP workers and a cron worker, as a
#      company would run it: the review races of scripts/reliability_workers.py
#      over XML-RPC;
#   3. uninstall then reinstall of both addons keeps every business record;
#   4. var/test/reliability.md rendered from the outcomes of the whole run (the tests'
#      and these); `make reliability-report` copies it to docs/reliability.md.
# Usage: scripts/test_workers.sh [TEST_DB]   (default crm_review_test)
# Logs in var/test/workers-*.log; outcomes in var/test/reliability/. Writes no tracked file.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

SOURCE_DB=${1:-${TEST_DB:-crm_review_test}}
DB=${WORKERS_DB:-crm_review_workers}
SCRATCH_DB=${WORKERS_SCRATCH_DB:-crm_review_workers_scratch}
LOGS=var/test
OUTCOMES=$LOGS/reliability
FILESTORE=${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}/filestore
mkdir -p "$OUTCOMES"
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
GEVENT_PORT=$(free_port)
CATEGORY_WORKERS="Multi-worker (HTTP, 2 workers + cron worker)"
FAILED=0
SERVER_PID=
T0=$(date +%s)
since() { echo "$(($(date +%s) - T0))s"; }

odoo() {
    "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" --http-interface=127.0.0.1 "$@"
}
odoo_shell() {
    local db=$1
    shift
    "$PYTHON" "$ODOO_BIN" shell -d "$db" --addons-path="$ADDONS_PATH" --no-http "$@"
}
copy_db() {
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$2"
    for _try in 1 2 3 4 5 6; do
        createdb -T "$1" "$2" 2> /dev/null && break
        sleep 5 # the template is still in use by a closing connection
    done
    rm -rf "${FILESTORE:?}/$2"
    [ -d "$FILESTORE/$1" ] && cp -r "$FILESTORE/$1" "$FILESTORE/$2"
    psql -d "$2" -Atc "SELECT 1" > /dev/null
}
drop_db() {
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$1"
    rm -rf "${FILESTORE:?}/$1"
}
# Records one case in the outcome files: category, case, held (0/1), rows lost, detail.
record() {
    "$PYTHON" - "$OUTCOMES" "$@" << 'PY'
import json, sys, time
from pathlib import Path
folder, category, case, held, lost, detail = sys.argv[1:7]
slug = "".join(c if c.isalnum() else "-" for c in f"{category}--{case}".lower())
data = {"category": category, "case": case, "tried": 1, "held": int(held), "failed": 1 - int(held),
        "rows_lost": int(lost), "details": [detail] if detail and held == "0" else [],
        "at": time.strftime("%Y-%m-%d %H:%M:%S")}
(Path(folder) / f"{slug}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
PY
}
# ERROR lines and tracebacks. A serialization failure that Odoo retries is logged as an ERROR
# "bad query" followed by a SERIALIZATION_FAILURE retry line: those are not problems.
problems() {
    local bad retried
    bad=$(grep -c 'ERROR .* odoo.sql_db: bad query' "$1")
    retried=$(grep -cE 'odoo.service.model: (SERIALIZATION_FAILURE|LOCK_NOT_AVAILABLE|DEADLOCK_DETECTED), [0-9]+ tries left' "$1")
    if [ "$bad" -gt "$retried" ]; then echo "$bad failed queries for $retried retries"; fi
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |Traceback \(most recent call last\)' "$1" \
        | grep -v 'odoo.sql_db: bad query'
}
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -INT "$SERVER_PID" 2> /dev/null # the workers finish their request, then stop
        for _try in $(seq 20); do
            kill -0 "$SERVER_PID" 2> /dev/null || break
            sleep 0.5
        done
        kill -KILL "$SERVER_PID" 2> /dev/null
        wait "$SERVER_PID" 2> /dev/null
        SERVER_PID=
    fi
}
trap 'stop_server; drop_db "$DB"; drop_db "$SCRATCH_DB"' EXIT

# Review rows and business records, one "table id" line each.
rows_of() {
    psql -d "$1" -Atc "
        SELECT 'crm_review ' || id FROM crm_review UNION ALL
        SELECT 'crm_review_log ' || id FROM crm_review_log UNION ALL
        SELECT 'sale_order ' || id || ' ' || coalesce(review_state, '-') FROM sale_order UNION ALL
        SELECT 'res_partner ' || id FROM res_partner UNION ALL
        SELECT 'crm_review_rule ' || id FROM crm_review_rule" | sort
}
# Business records (not the addons' own demo records, which uninstall removes with the addon).
business_rows_of() {
    psql -d "$1" -Atc "
        WITH own AS (SELECT model, res_id FROM ir_model_data WHERE module IN ('crm_review', 'crm_review_contract'))
        SELECT 'sale_order ' || id FROM sale_order
            WHERE id NOT IN (SELECT res_id FROM own WHERE model = 'sale.order') UNION ALL
        SELECT 'sale_order_line ' || id FROM sale_order_line
            WHERE order_id NOT IN (SELECT res_id FROM own WHERE model = 'sale.order') UNION ALL
        SELECT 'res_partner ' || id FROM res_partner
            WHERE id NOT IN (SELECT res_id FROM own WHERE model = 'res.partner') UNION ALL
        SELECT 'contract_contract ' || id FROM contract_contract
            WHERE id NOT IN (SELECT res_id FROM own WHERE model = 'contract.contract')" | sort
}

copy_db "$SOURCE_DB" "$DB" || { echo "FAILED: cannot copy $SOURCE_DB" >&2; exit 1; }

# 1. Upgrade keeps every review and history row ---------------------------------
rows_of "$DB" > "$LOGS/workers-rows-before.txt"
odoo -d "$DB" -u crm_review --stop-after-init --no-http > "$LOGS/workers-upgrade.log" 2>&1
rc=$?
rows_of "$DB" > "$LOGS/workers-rows-after.txt"
lost=$(comm -23 "$LOGS/workers-rows-before.txt" "$LOGS/workers-rows-after.txt" | wc -l)
total=$(wc -l < "$LOGS/workers-rows-before.txt")
if [ $rc = 0 ] && [ "$lost" = 0 ] && [ -z "$(problems "$LOGS/workers-upgrade.log")" ]; then
    echo "ok      upgrade -u crm_review: $total review, history and record rows kept ($(since))"
    record "Faults" "module upgrade keeps every review and history row" 1 0 ""
else
    echo "FAILED  upgrade -u crm_review (exit code $rc): $lost of $total rows lost or changed" >&2
    problems "$LOGS/workers-upgrade.log" | head -20 >&2
    comm -23 "$LOGS/workers-rows-before.txt" "$LOGS/workers-rows-after.txt" | head -10 >&2
    record "Faults" "module upgrade keeps every review and history row" 0 "$lost" "exit code $rc, $lost rows lost"
    FAILED=1
fi

# 1b. Upgrade from 19.0.1.1.0 (no stored waiting reviewers) fills them from the pending steps
waiting_of() { psql -d "$1" -Atc "SELECT review_id || ' ' || user_id FROM crm_review_waiting_rel" | sort; }
waiting_of "$DB" > "$LOGS/workers-waiting-before.txt"
psql -q -d "$DB" -c "
    DROP TABLE crm_review_waiting_rel;
    DELETE FROM ir_model_relation WHERE name = 'crm_review_waiting_rel';
    DELETE FROM ir_model_data WHERE model = 'ir.model.fields' AND name = 'field_crm_review__waiting_reviewer_ids';
    DELETE FROM ir_model_fields WHERE model = 'crm.review' AND name = 'waiting_reviewer_ids';
    UPDATE ir_module_module SET latest_version = '19.0.1.1.0' WHERE name = 'crm_review';"
odoo -d "$DB" -u crm_review --stop-after-init --no-http > "$LOGS/workers-migrate.log" 2>&1
rc=$?
waiting_of "$DB" > "$LOGS/workers-waiting-after.txt"
waiting=$(wc -l < "$LOGS/workers-waiting-before.txt")
if [ $rc = 0 ] && [ "$waiting" -gt 0 ] && cmp -s "$LOGS/workers-waiting-before.txt" "$LOGS/workers-waiting-after.txt" \
    && grep -q "pre-migrate" "$LOGS/workers-migrate.log" && ! grep -q "computation of crm.review.waiting" "$LOGS/workers-migrate.log" \
    && [ -z "$(problems "$LOGS/workers-migrate.log")" ]; then
    echo "ok      upgrade from 19.0.1.1.0: the $waiting waiting reviewers of pending steps restored ($(since))"
    record "Faults" "upgrade from 19.0.1.1.0 restores the waiting reviewers of pending steps" 1 0 ""
else
    echo "FAILED  upgrade from 19.0.1.1.0 (exit code $rc): waiting reviewers differ or the log has errors" >&2
    problems "$LOGS/workers-migrate.log" | head -20 >&2
    diff "$LOGS/workers-waiting-before.txt" "$LOGS/workers-waiting-after.txt" | head -10 >&2
    record "Faults" "upgrade from 19.0.1.1.0 restores the waiting reviewers of pending steps" 0 1 "exit code $rc"
    FAILED=1
fi

# 2. Races over HTTP on 2 workers and a cron worker ---------------------------
odoo_shell "$DB" > "$LOGS/workers-setup.log" 2>&1 << 'PY'
import json
from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user

sales = "sales_team.group_sale_salesman"
reviewers = f"{sales},crm_review.group_review_reviewer"
users = {
    login: new_test_user(env, login, groups=groups, name=login.replace("_", " ").title(), email=f"{login}@example.com")
    for login, groups in (
        ("http_salesman", sales),
        ("http_alice", reviewers),
        ("http_bob", reviewers),
        ("http_admin", "sales_team.group_sale_salesman_all_leads,crm_review.group_review_manager,base.group_system"),
    )
}
both = [users["http_alice"].id, users["http_bob"].id]
rules = {
    mode: env["crm.review.rule"].create({
        "name": f"HTTP race {mode}",
        "state": "active",
        "model_id": env["ir.model"]._get_id("sale.order"),
        "domain": repr([("client_order_ref", "=", f"http race {mode}")]),
        "step_ids": [Command.create({"name": f"Board {mode}", "approval_mode": mode, "user_ids": [Command.set(both)]})],
    })
    for mode in ("any", "all")
}
partner = env["res.partner"].create({"name": "HTTP race customer"})
product = env["product.product"].create({"name": "HTTP race widget", "list_price": 100.0})
orders = env["sale.order"].with_user(users["http_salesman"]).create([
    {
        "partner_id": partner.id,
        "client_order_ref": "http race any",
        "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0})],
    }
    for _i in range(2)
])
orders.action_review_submit()
lines = orders.sudo().review_ids.filtered(lambda line: line.state == "pending")
now = fields.Datetime.now()
lines.write({"pending_since": now - timedelta(hours=30), "next_reminder_at": now - timedelta(hours=6)})
env.cr.commit()
print("SETUP " + json.dumps({
    "uids": {login: user.id for login, user in users.items()},
    "salesman": "http_salesman", "alice": "http_alice", "bob": "http_bob", "admin": "http_admin",
    "any_ref": "http race any", "all_ref": "http race all",
    "any_step_id": rules["any"].step_ids.id,
    "partner_id": partner.id, "product_id": product.id,
    "reason_id": env.ref("crm_review.reason_incomplete").id,
    "review_activity_type_id": env.ref("crm_review.mail_activity_type_review").id,
    "reminder_cron_id": env.ref("crm_review.ir_cron_review_reminders").id,
    "overdue_ids": orders.ids,
}))
PY
grep '^SETUP ' "$LOGS/workers-setup.log" | cut -c7- > "$LOGS/workers-setup.json"
if [ ! -s "$LOGS/workers-setup.json" ]; then
    echo "FAILED  multi-worker set-up, see $LOGS/workers-setup.log" >&2
    tail -20 "$LOGS/workers-setup.log" >&2
    record "$CATEGORY_WORKERS" "set-up" 0 0 "set-up failed"
    FAILED=1
else
    # Started directly (not through a shell function) so that $! is the server's master process.
    "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" --http-interface=127.0.0.1 -d "$DB" --db-filter="^$DB\$" \
        --http-port="$PORT" --gevent-port="$GEVENT_PORT" --workers=2 --max-cron-threads=1 --limit-time-real=300 \
        > "$LOGS/workers-server.log" 2>&1 &
    SERVER_PID=$!
    for _try in $(seq 60); do
        curl -sf "http://127.0.0.1:$PORT/web/health" > /dev/null && break
        sleep 1
    done
    if "$PYTHON" scripts/reliability_workers.py "http://127.0.0.1:$PORT" "$DB" "$LOGS/workers-setup.json"; then
        echo "ok      races over HTTP on 2 workers + a cron worker ($(since))"
    else
        echo "FAILED  races over HTTP (server log: $LOGS/workers-server.log)" >&2
        FAILED=1
    fi
    stop_server
    retries=$(grep -c 'SERIALIZATION_FAILURE, [0-9]* tries left' "$LOGS/workers-server.log")
    echo "        serialization failures retried by Odoo: $retries"
    if [ -n "$(problems "$LOGS/workers-server.log")" ]; then
        echo "FAILED  errors in the multi-worker server log:" >&2
        problems "$LOGS/workers-server.log" | head -20 >&2
        first=$(problems "$LOGS/workers-server.log" | grep -m1 ' ERROR ' || problems "$LOGS/workers-server.log" | head -1)
        record "$CATEGORY_WORKERS" "no error in the server log while racing" 0 0 "${first:0:300}"
        FAILED=1
    else
        record "$CATEGORY_WORKERS" "no error in the server log while racing" 1 0 ""
    fi
fi

# 3. Uninstall, then reinstall: business records intact -------------------------
copy_db "$DB" "$SCRATCH_DB"
drop_db "$DB"
business_rows_of "$SCRATCH_DB" > "$LOGS/workers-business-before.txt"
odoo_shell "$SCRATCH_DB" > "$LOGS/workers-reinstall.log" 2>&1 << 'PY'
for name in ("crm_review_contract", "crm_review"):  # the bridge first
    env["ir.module.module"].search([("name", "=", name)]).button_immediate_uninstall()
PY
odoo_shell "$SCRATCH_DB" >> "$LOGS/workers-reinstall.log" 2>&1 << 'PY'
modules = env["ir.module.module"].search([("name", "in", ("crm_review", "crm_review_contract"))])
modules.button_immediate_install()
modules.invalidate_recordset()
print("REINSTALLED", sorted(modules.mapped("state")))
PY
business_rows_of "$SCRATCH_DB" > "$LOGS/workers-business-after.txt"
lost=$(comm -23 "$LOGS/workers-business-before.txt" "$LOGS/workers-business-after.txt" | wc -l)
total=$(wc -l < "$LOGS/workers-business-before.txt")
if grep -q "REINSTALLED \['installed', 'installed'\]" "$LOGS/workers-reinstall.log" && [ "$lost" = 0 ]; then
    echo "ok      uninstall then reinstall: $total orders, order lines, partners and contracts kept ($(since))"
    record "Faults" "uninstall then reinstall keeps the business records" 1 0 ""
else
    echo "FAILED  uninstall then reinstall: $lost of $total business rows lost" >&2
    tail -20 "$LOGS/workers-reinstall.log" >&2
    record "Faults" "uninstall then reinstall keeps the business records" 0 "$lost" "$lost rows lost"
    FAILED=1
fi
if [ -n "$(problems "$LOGS/workers-reinstall.log")" ]; then
    echo "FAILED  errors in the log of uninstall and reinstall (with review history):" >&2
    problems "$LOGS/workers-reinstall.log" | head -10 >&2
    first=$(grep -m1 -A1 -E '^[0-9-]+ [0-9:,]+ [0-9]+ ERROR ' "$LOGS/workers-reinstall.log" | tr '\n' ' ')
    record "Faults" "uninstall with review history logs no error" 0 0 "${first:0:300}"
    FAILED=1
else
    record "Faults" "uninstall with review history logs no error" 1 0 ""
fi

# 4. The report, under var/ (`make reliability-report` puts it in docs/) -------------------
"$PYTHON" scripts/reliability_report.py "$OUTCOMES" "$LOGS/reliability.md" || FAILED=1
exit $FAILED
