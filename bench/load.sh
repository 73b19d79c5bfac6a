#!/usr/bin/env bash
# HTTP load test: crm_review against the OCA tier-validation modules (make bench-load; not run by CI).
#
#   bench/load.sh                 3 scenarios, 2 rounds of 30 s per system each (about 15 minutes)
#   bench/load.sh --seconds 10 --rounds 1    a short try of the load test itself
#
# Builds the databases of bench/run.sh under its own prefix ($BENCH_LOAD_DB_PREFIX, default
# "benchload"), adds 4,000 orders waiting for a group of 18 reviewers to each (bench.py
# load-prepare), then runs bench/load.py: alternating rounds on fresh copies, one Odoo server
# with 3 workers per round. Writes bench/results/load.json and the "Load test" section of
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

LOAD_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds|--rounds|--scenarios|--workers|--port) LOAD_ARGS+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

start=$(date +%s)
scripts/setup.sh
# shellcheck source=../scripts/env.sh
. scripts/env.sh
export ADDONS_PATH PYTHON ODOO_BIN

PREFIX=${BENCH_LOAD_DB_PREFIX:-benchload}
RESULTS=bench/results
LOGS=bench/results/logs
ORDERS=4000

# shellcheck source=build.sh
. bench/build.sh
build_databases "$PREFIX" "$LOGS"

for system in crm oca; do
    log "Database ${PREFIX}_${system}_ready: $ORDERS orders waiting for the group of 18"
    createdb -T "${PREFIX}_${system}" "${PREFIX}_${system}_ready"
    bench load-prepare --db "${PREFIX}_${system}_ready" --system "$system" --orders "$ORDERS"
done

log "Load test"
"$PYTHON" bench/load.py --prefix "$PREFIX" --out "$RESULTS/load.json" --logs "$LOGS" "${LOAD_ARGS[@]}" \
    2>&1 | tee "$LOGS/load.log"

if ls "$RESULTS"/crm-*.json >/dev/null 2>&1; then
    log "Report"
    bench report > "$LOGS/report.txt"
else
    bench load-table
fi
elapsed=$(( $(date +%s) - start ))
log "Done in $((elapsed / 60)) min $((elapsed % 60)) s: $RESULTS/load.json, bench/README.md"
