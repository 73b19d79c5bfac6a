#!/usr/bin/env bash
# Upstream stage of `make test`: Odoo's and OCA's own tests of the reviewed models, run
# with review rules configured, as in a company that uses the addon.
#   1. a fresh database (no demo data: these tests make their own records) with
#      crm_review and crm_review_contract installed;
#   2. on each reviewed model (res.partner, sale.order, contract.contract): two active
#      rules whose conditions match no record of the tests, one with explicit key fields
#      (editable computed fields among them), one with the model's default key fields,
#      both with steps; and an ARCHIVED and a DRAFT rule that match every record;
#   3. the upstream test classes below, with Odoo's test runner, once every addon is
#      loaded. Zero failures and no error logged.
# Logs in var/test/upstream-*.log.
#
# Usage: scripts/test_upstream.sh [--keep | --reuse | --baseline]   (database: UPSTREAM_DB)
#   --keep      keep the database after the run (it is dropped otherwise);
#   --reuse     run the tests again on the database kept by the last run (and keep it);
#   --baseline  the same tests on a database with the same Odoo and OCA addons but
#               without crm_review (UPSTREAM_DB_baseline): a test that fails there
#               fails without the addon, and belongs in EXCLUDED below.
#
# How the tests are run: without -i/-u, `odoo-bin --test-enable --test-tags ...` runs
# the at_install tests of each module while loading that module, before the addons that
# depend on it are loaded (base's partner tests would run without crm_review), and the
# post_install tests once the registry is complete. So the post_install classes go
# through `odoo-bin --test-enable --test-tags` (HTTP server up for HttpCase), and the
# at_install classes through the same loader (odoo.tests.loader.make_suite and
# run_suite) in `odoo-bin shell`, where every addon is loaded.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

DB=${UPSTREAM_DB:-crm_review_upstream}
LOGS=var/test
MODULES=crm_review,crm_review_contract
KEEP=
REUSE=
case "${1:-}" in
    --keep) KEEP=1 ;;
    --reuse) KEEP=1 REUSE=1 ;;
    --baseline)
        DB=${DB}_baseline
        MODULES=contract,sale_management,contacts # what the addons depend on
        ;;
    "") ;;
    *)
        echo "usage: $0 [--keep | --reuse | --baseline]" >&2
        exit 2
        ;;
esac
mkdir -p "$LOGS"

tags() { tr -d ' \n' | sed 's/,$//'; }
# post_install test classes: run by the server once every addon is loaded.
POST_INSTALL_TAGS=$(tags << 'TAGS'
/sale:TestSaleOrder,
/sale:TestSalePrices,
/sale:TestSaleToInvoice,
/sale:TestSaleRefund,
/sale:TestAccessRights,
/sale:TestSaleOnchanges,
/sale:TestSaleOrderCreditLimit,
/sale:TestSalesTeam,
/sale_management:TestSaleOrder,
/base:TestPartnerForm,
TAGS
)
# at_install test classes: run in `odoo-bin shell` once every addon is loaded.
AT_INSTALL_TAGS=$(tags << 'TAGS'
/sale:TestSaleFlow,
/contract:TestContract,
/contract:TestContractManuallyCreateInvoice,
/contract:ContractMulticompanyCase,
/base:TestPartner,
/base:TestPartnerAddressCompany,
/base:TestPartnerRecursion,
/base:TestMergePartner,
TAGS
)
# Tests that fail without crm_review too (see --baseline); the reasons are in README.md.
EXCLUDED=$(tags << 'TAGS'
-/base:TestPartner.test_display_name_translation,
-/base:TestPartnerAddressCompany.test_address_parent_company_creation,
-/base:TestPartnerAddressCompany.test_commercial_field_sync_reset,
-/base:TestMergePartner.test_merge_partners_with_peon_user,
TAGS
)

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=${UPSTREAM_HTTP_PORT:-$(free_port)}
FAILED=0
TESTS=0
T0=$(date +%s)
since() { echo "$(($(date +%s) - $1))s"; }
odoo() {
    "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" --http-interface=127.0.0.1 --http-port="$PORT" "$@"
}
odoo_shell() {
    local db=$1
    shift
    "$PYTHON" "$ODOO_BIN" shell -d "$db" --addons-path="$ADDONS_PATH" --no-http "$@"
}
drop_db() {
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$1"
    rm -rf "${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}/filestore/${1:?}"
}
log_problems() {
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |Traceback \(most recent call last\)|^(FAIL|ERROR): ' "$1"
}
fail() {
    echo "FAILED: $1" >&2
    if [ -n "${2:-}" ]; then
        log_problems "$2" | grep -E ' (ERROR|CRITICAL) ' | cut -c1-300 | head -40 >&2
        echo "--- (details in $2)" >&2
    fi
    FAILED=1
}
# Checks a test run: exit code, a report "N failed, N error(s) of N tests" with none
# failed, no error logged, and tests of every class of $2 run (a misspelt tag runs
# nothing, silently). Prints the report; returns 1 on any problem.
check_tests() {
    local log=$1 tags=$2 rc=$3 report missing=() spec module class
    report=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)
    for spec in ${tags//,/ }; do
        module=${spec#/} module=${module%%:*} class=${spec#*:}
        grep -qE " odoo\.addons\.$module\.tests\.[a-z0-9_.]+: Starting $class\." "$log" || missing+=("$spec")
    done
    echo "${report:-no test report}${missing[*]:+; no test run of ${missing[*]}}"
    [ "$rc" = 0 ] && [ ${#missing[@]} = 0 ] && ! log_problems "$log" > /dev/null \
        && echo "$report" | grep -q '^0 failed, 0 error(s)'
}

# 1. A fresh database with both addons -------------------------------------------------
install_addons() {
    local t rc
    t=$(date +%s)
    drop_db "$DB"
    odoo -d "$DB" -i "$MODULES" --stop-after-init > "$LOGS/upstream-install.log" 2>&1
    rc=$?
    if [ $rc != 0 ] || log_problems "$LOGS/upstream-install.log" > /dev/null; then
        fail "install of $MODULES on $DB (exit code $rc)" "$LOGS/upstream-install.log"
        return 1
    fi
    echo "installed $MODULES on $DB ($(since "$t"))"
}

# 2. Rules on every reviewed model ---------------------------------------------------------
create_rules() {
    odoo_shell "$DB" > "$LOGS/upstream-rules.log" 2>&1 << 'PY'
from odoo.fields import Command

NEVER = "crm-review-never-matches"
Rule = env["crm.review.rule"]
admin = env.ref("base.user_admin")


def field_ids(model, names):
    fields = env["ir.model.fields"].search([("model", "=", model), ("name", "in", names)])
    missing = set(names) - set(fields.mapped("name"))
    assert not missing, f"{model}: no field {missing}"
    return [Command.set(fields.ids)]


def steps(model, condition):
    """A step of given users, one of a group, one of the submitter's manager, one with a condition."""
    return [
        Command.create({"name": "Reviewers", "approver_type": "users", "user_ids": [Command.set(admin.ids)]}),
        Command.create(
            {"name": "Managers", "approver_type": "group", "group_id": env.ref("base.group_system").id}
        ),
        Command.create({"name": "Manager", "approver_type": "manager", "approval_mode": "all"}),
        Command.create(
            {
                "name": "Conditional",
                "approver_type": "users",
                "user_ids": [Command.set(admin.ids)],
                "domain": repr(condition),
            }
        ),
    ]


# model: (condition matching no record, a step condition, explicit key fields)
setup = {
    "res.partner": (
        [("ref", "=", NEVER)],
        [("country_id", "!=", False), ("company_registry", "!=", False)],
        ["name", "vat", "company_registry", "company_id", "parent_id", "email", "property_payment_term_id"],
    ),
    "sale.order": (
        [("client_order_ref", "=", NEVER)],
        [("amount_total", ">", 1000)],
        ["order_line", "partner_id", "pricelist_id", "payment_term_id", "fiscal_position_id", "validity_date"],
    ),
    "contract.contract": (
        [("code", "=", NEVER)],
        [("recurring_next_date", "!=", False)],
        ["contract_line_ids", "partner_id", "pricelist_id", "date_end", "recurring_next_date", "journal_id"],
    ),
}
for model, (condition, step_condition, key_fields) in setup.items():
    model_id = env["ir.model"]._get_id(model)
    Rule.create(
        [
            {
                "name": f"Upstream: {model}, explicit key fields",
                "state": "active",
                "model_id": model_id,
                "domain": repr(condition),
                "key_field_ids": field_ids(model, key_fields),
                "block_sending": model == "sale.order",
                "step_ids": steps(model, step_condition),
            },
            {
                "name": f"Upstream: {model}, default key fields",
                "state": "active",
                "model_id": model_id,
                "domain": repr(condition),
                "company_id": env.ref("base.main_company").id,
                "step_ids": steps(model, step_condition),
            },
            {
                "name": f"Upstream: {model}, inactive, every record",
                "state": "active",
                "model_id": model_id,
                "domain": "[]",
                "active": False,
                "key_field_ids": field_ids(model, key_fields),
                "block_sending": model == "sale.order",
                "step_ids": steps(model, step_condition),
            },
            {
                "name": f"Upstream: {model}, draft, every record",
                "model_id": model_id,
                "domain": "[]",
                "key_field_ids": field_ids(model, key_fields),
                "block_sending": model == "sale.order",
                "step_ids": steps(model, step_condition),
            },
        ]
    )
env.cr.commit()
rules = Rule.with_context(active_test=False).search([])
in_force = rules.filtered(lambda rule: rule.active and rule.state == "active")
print("RULES", len(rules), "in force", len(in_force), "draft", len(rules.filtered(lambda rule: rule.state == "draft")))
PY
    if grep -q "^RULES 12 in force 6 draft 3$" "$LOGS/upstream-rules.log"; then
        echo "rules: 2 active rules that match no record, 1 archived and 1 draft rule for every record, on each of 3 models"
    else
        fail "creating the review rules on $DB" "$LOGS/upstream-rules.log"
        return 1
    fi
}

# 3a. post_install classes: Odoo's server runs them once every addon is loaded -------------
run_post_install() {
    local t rc report
    t=$(date +%s)
    odoo -d "$DB" --test-enable --test-tags "$POST_INSTALL_TAGS${EXCLUDED:+,$EXCLUDED}" --stop-after-init \
        > "$LOGS/upstream-post-install.log" 2>&1
    rc=$?
    report=$(check_tests "$LOGS/upstream-post-install.log" "$POST_INSTALL_TAGS" $rc)
    local ok=$?
    TESTS=$((TESTS + $(echo "$report" | grep -oE 'of [0-9]+ tests' | grep -oE '[0-9]+' || echo 0)))
    if [ $ok = 0 ]; then
        echo "post_install classes: $report ($(since "$t"))"
    else
        fail "post_install classes: $report (exit code $rc, $(since "$t"))" "$LOGS/upstream-post-install.log"
    fi
}

# 3b. at_install classes: the same loader, in a shell where every addon is loaded ----------
run_at_install() {
    local t rc report
    t=$(date +%s)
    # Not --test-enable: the shell would run the at_install tests while loading each module.
    UPSTREAM_TEST_TAGS="$AT_INSTALL_TAGS${EXCLUDED:+,$EXCLUDED}" odoo_shell "$DB" \
        > "$LOGS/upstream-at-install.log" 2>&1 << 'PY'
import os

from odoo.modules.module import get_modules
from odoo.tests import loader
from odoo.tools import config

config["test_tags"] = os.environ["UPSTREAM_TEST_TAGS"]
env.cr.rollback()  # the tests open their own cursors
installed = env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
suite = loader.make_suite([name for name in installed if name in get_modules()], "at_install")
result = loader.run_suite(suite)
result.log_stats()
print(f"{result} when running the at_install tests")
PY
    rc=$?
    report=$(check_tests "$LOGS/upstream-at-install.log" "$AT_INSTALL_TAGS" $rc)
    local ok=$?
    TESTS=$((TESTS + $(echo "$report" | grep -oE 'of [0-9]+ tests' | grep -oE '[0-9]+' || echo 0)))
    if [ $ok = 0 ]; then
        echo "at_install classes: $report ($(since "$t"))"
    else
        fail "at_install classes: $report (exit code $rc, $(since "$t"))" "$LOGS/upstream-at-install.log"
    fi
}

# The last line printed is the stage's result (`make test` shows it).
finish() {
    [ -n "$KEEP" ] || drop_db "$DB"
    echo "$TESTS upstream tests with review rules: $([ $FAILED = 0 ] && echo "none failed" || echo FAILED) ($(since "$T0"))"
    exit $FAILED
}
if [ -z "$REUSE" ]; then
    install_addons || finish
    if [ "$MODULES" = crm_review,crm_review_contract ]; then
        create_rules || finish
    fi
fi
run_post_install
run_at_install
finish
