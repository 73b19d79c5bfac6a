#!/usr/bin/env bash
# The test command (`make test`):
#   1. set-up (scripts/setup.sh) and lint (scripts/lint.sh);
#   2. scratch database: install, upgrade, then uninstall both addons;
#   3. test database with demo data: install both addons with Odoo's own test
#      runner on (at_install tests during the install, post_install tests after);
#   4. pytest-odoo on that database, browser tours included;
#   5. Odoo's and OCA's own tests of the reviewed models with review rules configured,
#      on a fresh database (scripts/test_upstream.sh);
#   6. reliability on copies of the test database (scripts/test_workers.sh).
# Any ERROR or Traceback in an Odoo log, a failed test, no test at all or a
# skipped browser tour fails the run. The last line printed is pytest's summary.
# Logs are kept in var/test/. Database names: SCRATCH_DB, TEST_DB, UPSTREAM_DB.
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)

scripts/setup.sh || exit 1
. scripts/env.sh
export CRM_REVIEW_SETUP_DONE=1

SCRATCH_DB=${SCRATCH_DB:-crm_review_scratch}
TEST_DB=${TEST_DB:-crm_review_test}
MODULES=crm_review,crm_review_contract,crm_review_dashboard
# The test database also gets the test-only addon that makes a fourth model reviewable.
TEST_MODULES=$MODULES,test_crm_review
TEST_TAGS=/crm_review,/crm_review_contract,/crm_review_dashboard,/test_crm_review
LOGS=var/test
rm -rf "$LOGS"
mkdir -p "$LOGS"
# A free port, so that tests never collide with a running `make run`.
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

RESULTS=()
FAILED=0
stage() { printf '\n== %s\n' "$*"; }
since() { echo "$(($(date +%s) - $1))s"; }
ok() { RESULTS+=("ok      $1"); echo "ok: $1"; }
ko() { RESULTS+=("FAILED  $1"); echo "FAILED: $1" >&2; FAILED=1; }
print_results() {
    stage "Results ($(since "$T0") in all; logs in $LOGS/)"
    printf '   %s\n' "${RESULTS[@]}"
}
abort() {
    print_results
    echo "make test: FAILED" >&2
    exit 1
}
odoo() {
    "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" --http-interface=127.0.0.1 --http-port="$PORT" "$@"
}
odoo_shell() {
    local db=$1
    shift
    "$PYTHON" "$ODOO_BIN" shell -d "$db" --addons-path="$ADDONS_PATH" --no-http "$@"
}
# ERROR/CRITICAL log lines, tracebacks and failed tests in an Odoo log.
log_problems() {
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |Traceback \(most recent call last\)|^(FAIL|ERROR): ' "$1"
}
# Runs "$@" with its output in log file $1; fails on exit code or problems in the log.
run_logged() {
    local name=$1 log=$LOGS/$1.log t
    shift
    t=$(date +%s)
    "$@" > "$log" 2>&1
    local rc=$?
    if [ $rc != 0 ] || log_problems "$log" > /dev/null; then
        echo "--- $log (exit code $rc), problems:" >&2
        log_problems "$log" | head -40 >&2
        echo "--- last lines:" >&2
        tail -30 "$log" >&2
        ko "$name ($(since "$t"))"
        return 1
    fi
    ok "$name ($(since "$t"))"
}
installed_count() {
    psql -d "$1" -Atc "SELECT count(*) FROM ir_module_module
                       WHERE name IN ('crm_review', 'crm_review_contract') AND state = 'installed' $2"
}

# 1. Lint -----------------------------------------------------------------
stage "Lint"
t=$(date +%s)
if scripts/lint.sh 2>&1 | tee "$LOGS/lint.log"; then
    ok "lint: ruff, pylint-odoo ($(since "$t"))"
else
    ko "lint: ruff, pylint-odoo (see above)"
fi

# 2. Install, upgrade, uninstall on a scratch database -----------------------
stage "Scratch database $SCRATCH_DB: install, upgrade, uninstall"
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$SCRATCH_DB"
run_logged scratch-install odoo -d "$SCRATCH_DB" -i "$MODULES" --stop-after-init || abort
run_logged scratch-upgrade odoo -d "$SCRATCH_DB" -u "$MODULES" --stop-after-init || abort
run_logged scratch-uninstall odoo_shell "$SCRATCH_DB" <<'PY' || abort
modules = ["crm_review_dashboard", "crm_review_contract", "crm_review"]  # the bridges first
for name in modules:
    module = env["ir.module.module"].search([("name", "=", name)])
    assert module.state == "installed", f"{name} is {module.state}, not installed"
    module.button_immediate_uninstall()
states = {m.name: m.state for m in env["ir.module.module"].search([("name", "in", modules)])}
assert set(states.values()) == {"uninstalled"}, f"after uninstall: {states}"
left_models = env["ir.model"].search([("model", "=like", "crm.review%")]).mapped("model")
assert not left_models, f"models left after uninstall: {left_models}"
env.cr.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'crm_review%'"
    " UNION ALL SELECT table_name || '.' || column_name FROM information_schema.columns"
    " WHERE table_schema = 'public' AND column_name LIKE 'review%'"
)
left_over = [row[0] for row in env.cr.fetchall()]
assert not left_over, f"tables or columns left after uninstall: {left_over}"
print("uninstalled:", states)
PY
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$SCRATCH_DB"

# 3. Test database with demo data, Odoo's own test runner --------------------
stage "Test database $TEST_DB: install with demo data and Odoo's test runner ($TEST_TAGS)"
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$TEST_DB"
t=$(date +%s)
odoo -d "$TEST_DB" -i "$TEST_MODULES" --with-demo --test-enable --test-tags "$TEST_TAGS" --stop-after-init \
    > "$LOGS/odoo-tests.log" 2>&1
rc=$?
report=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$LOGS/odoo-tests.log" | tail -1)
tests_run=$(echo "$report" | grep -oE 'of [0-9]+ tests' | grep -oE '[0-9]+')
skipped_tours=$(grep -iE 'skipped .*(chrome|browser|websocket|tour|devtools)' "$LOGS/odoo-tests.log")
if [ "$(installed_count "$TEST_DB" "")" != 2 ]; then
    log_problems "$LOGS/odoo-tests.log" | head -40 >&2
    tail -30 "$LOGS/odoo-tests.log" >&2
    ko "install with demo data: the addons are not installed (exit code $rc)"
    abort
fi
if [ "$(installed_count "$TEST_DB" "AND demo")" != 2 ]; then
    ko "install with demo data: ir_module_module.demo is not set"
fi
if [ $rc != 0 ] || log_problems "$LOGS/odoo-tests.log" > /dev/null; then
    echo "--- $LOGS/odoo-tests.log (exit code $rc), problems:" >&2
    log_problems "$LOGS/odoo-tests.log" | head -60 >&2
    ko "Odoo test runner: ${report:-no test report} ($(since "$t"))"
elif [ -z "$tests_run" ] || [ "$tests_run" = 0 ]; then
    ko "Odoo test runner: no test ran"
elif [ -n "$skipped_tours" ]; then
    echo "$skipped_tours" >&2
    ko "Odoo test runner: browser tours were skipped (is chromium installed, and websocket-client?)"
else
    ok "install with demo data + Odoo test runner: $report ($(since "$t"))"
fi

# Assets are built once here instead of inside the first tour.
run_logged assets odoo_shell "$TEST_DB" <<'PY' || abort
env["ir.qweb"]._pregenerate_assets_bundles()
env.cr.commit()
PY

# 4. pytest-odoo ---------------------------------------------------------------
stage "pytest-odoo on $TEST_DB"
t=$(date +%s)
"$VENV/bin/pytest" --odoo-database="$TEST_DB" --odoo-addons-path="$ADDONS_PATH" --odoo-http \
    --odoo-extra=http-interface=127.0.0.1 --rootdir=. -p no:cacheprovider -rs \
    crm_review crm_review_contract crm_review_dashboard test_crm_review > "$LOGS/pytest.log" 2>&1
rc=$?
summary=$(grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$LOGS/pytest.log" | tail -1)
[ -n "$summary" ] || summary=$(tail -1 "$LOGS/pytest.log")
grep -vxF -- "$summary" "$LOGS/pytest.log"
skipped_tours=$(grep -iE '^SKIPPED .*(chrome|browser|websocket|tour|devtools|HttpCase|odoo-http)' "$LOGS/pytest.log")
if [ $rc = 5 ]; then
    ko "pytest: no tests collected"
elif [ $rc != 0 ]; then
    ko "pytest: exit code $rc ($(since "$t"))"
elif [ -n "$skipped_tours" ]; then
    ko "pytest: browser tours were skipped (is chromium installed, and websocket-client?)"
else
    ok "pytest ($(since "$t"))"
fi

# 5. Odoo's and OCA's own tests, with review rules -----------------------------------
# Sale, sale_management, contract and base partner tests, on a fresh database where each
# reviewed model has active rules that match none of their records and an inactive rule
# that matches all of them: a rule must not change what Odoo does to other records.
stage "Upstream tests with review rules on ${UPSTREAM_DB:-crm_review_upstream}"
scripts/test_upstream.sh 2>&1 | tee "$LOGS/upstream.log"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    ok "$(tail -1 "$LOGS/upstream.log")"
else
    ko "$(tail -1 "$LOGS/upstream.log")"
fi

# 6. Reliability on copies of the test database ---------------------------------
# Upgrade and reinstall keep every row; the review races over HTTP on 2 workers
# and a cron worker; then var/test/reliability.md is written from this run's outcomes
# (`make reliability-report` copies it to docs/reliability.md: make test changes no
# tracked file).
stage "Reliability on copies of $TEST_DB: upgrade, 2 HTTP workers + cron worker, reinstall"
run_logged reliability scripts/test_workers.sh "$TEST_DB"

print_results
if [ $FAILED = 0 ]; then
    echo "make test: OK"
else
    echo "make test: FAILED"
fi
echo "$summary"
exit $FAILED
