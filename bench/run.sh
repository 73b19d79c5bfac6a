#!/usr/bin/env bash
# Benchmark crm_review against the OCA tier-validation modules.
#
#   bench/run.sh            N = 100, 1,000 and 5,000 (under 45 minutes on 2 cores)
#   bench/run.sh --quick    N = 100 and 1,000 (under 15 minutes)
#   bench/run.sh --n "50 200"   other sizes (for trying the bench itself)
#
# Builds, in this run, a fresh database with sale_management and the shared
# data (no demo data), copies it into one with crm_review and one with the OCA
# modules, then runs the same workload (bench/bench.py) on fresh copies of
# both for each N, plus a baseline without any review addon. Writes
# bench/results/*.json, bench/README.md and bench/time_per_record.png.
# Databases: $BENCH_DB_PREFIX (default "bench") + _plain, _crm, _oca, and
# _<system>_<N> copies, dropped and recreated at each run.
set -euo pipefail
cd "$(dirname "$0")/.."

NS="100 1000 5000"
QUICK=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) NS="100 1000"; QUICK="--quick" ;;
        --n) NS="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

start=$(date +%s)
scripts/setup.sh
# shellcheck source=../scripts/env.sh
. scripts/env.sh
export ADDONS_PATH

PREFIX=${BENCH_DB_PREFIX:-bench}
RESULTS=bench/results
LOGS=bench/results/logs

# shellcheck source=build.sh
. bench/build.sh
build_databases "$PREFIX" "$LOGS"

rm -f "$RESULTS"/plain-*.json "$RESULTS"/crm-*.json "$RESULTS"/oca-*.json "$RESULTS"/summary.json "$RESULTS"/categories.json "$LOGS"/run-*.log
for n in $NS; do
    for system in plain crm oca; do
        db=${PREFIX}_${system}_${n}
        log "N=$n: $system on a fresh copy ($db)"
        createdb -T "${PREFIX}_${system}" "$db"
        bench run --db "$db" --system "$system" --n "$n" --out "$RESULTS/$system-$n.json" \
            2>&1 | tee "$LOGS/run-$system-$n.log"
        dropdb "$db"
    done
done

elapsed=$(( $(date +%s) - start ))
log "Report"
bench report $QUICK --elapsed "$((elapsed / 60)) min $((elapsed % 60)) s" > "$LOGS/report.txt"
log "Done in $((elapsed / 60)) min $((elapsed % 60)) s: bench/README.md, bench/time_per_record.png, $RESULTS/"
