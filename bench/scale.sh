#!/usr/bin/env bash
# Scale run of crm_review (make bench-scale; not run by CI).
#
#   bench/scale.sh                      1,000,000 orders, 200,000 customers, 100,000 submitted
#   bench/scale.sh --orders 20000       smaller (customers: a fifth, submitted: a tenth of the orders)
#
# Builds a fresh sale_management database without demo data, writes the
# customers and orders into it in SQL, then times the installation of
# crm_review over it and over a copy taken before the data (empty). On the
# large one: a history of decided review lines (SQL), then, through the
# addon's public methods, orders submitted in batches, the "to review by me"
# count and first page, one reminder run over every pending step and the
# analysis. Writes bench/results/scale.json and regenerates bench/README.md
# when the results of bench/run.sh are present.
# Databases: $BENCH_SCALE_PREFIX (default "bench_scale") + _base, _empty,
# _large, dropped at the start of each run (and the first two at its end).
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=1000000
CUSTOMERS=""
SUBMIT=""
BATCH=5000
# The run must end within 30 minutes: the last reminder run is stopped when this much has passed.
DEADLINE_MINUTES=28
while [ $# -gt 0 ]; do
    case "$1" in
        --orders) ORDERS="$2"; shift ;;
        --customers) CUSTOMERS="$2"; shift ;;
        --submit) SUBMIT="$2"; shift ;;
        --batch) BATCH="$2"; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
CUSTOMERS=${CUSTOMERS:-$((ORDERS / 5))}
SUBMIT=${SUBMIT:-$((ORDERS / 10))}

start=$(date +%s)
scripts/setup.sh
# shellcheck source=../scripts/env.sh
. scripts/env.sh
export ADDONS_PATH

PREFIX=${BENCH_SCALE_PREFIX:-bench_scale}
BASE=${PREFIX}_base
EMPTY=${PREFIX}_empty
LARGE=${PREFIX}_large
RESULTS=bench/results
LOGS=bench/results/logs
mkdir -p "$LOGS"

log() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
now() { date +%s%N; }
since() { local ns=$(( $(now) - $1 )); printf '%d.%01d' $((ns / 1000000000)) $(((ns / 100000000) % 10)); }
odoo_init() {  # odoo_init DB MODULES
    "$PYTHON" "$ODOO_BIN" -d "$1" --addons-path="$ADDONS_PATH" -i "$2" --without-demo=True \
        --stop-after-init --no-http --max-cron-threads=0 --log-level=warn
}

log "Dropping the databases of the previous run"
psql -d postgres -Atc "SELECT datname FROM pg_database WHERE datname ~ '^${PREFIX}_(base|empty|large)$'" |
    while read -r db; do dropdb --if-exists "$db"; done

log "Database $BASE: sale_management without demo data, and the shared data"
t=$(now)
createdb "$BASE"
odoo_init "$BASE" sale_management,contacts
"$PYTHON" bench/bench.py base --db "$BASE"
createdb -T "$BASE" "$EMPTY"
createdb -T "$BASE" "$LARGE"
build=$(since "$t")

log "Database $LARGE: $CUSTOMERS customers and $ORDERS orders, in SQL"
"$PYTHON" bench/scale.py generate --db "$LARGE" --orders "$ORDERS" --customers "$CUSTOMERS" \
    --out "$LOGS/scale-generate.json"

log "Installing crm_review over the empty database ($EMPTY)"
t=$(now)
odoo_init "$EMPTY" crm_review > "$LOGS/scale-install-empty.log" 2>&1 || { cat "$LOGS/scale-install-empty.log"; exit 1; }
install_empty=$(since "$t")
log "... in $install_empty s. Installing crm_review over the large one ($LARGE)"
t=$(now)
odoo_init "$LARGE" crm_review > "$LOGS/scale-install-large.log" 2>&1 || { cat "$LOGS/scale-install-large.log"; exit 1; }
install_large=$(since "$t")
log "... in $install_large s"
dropdb "$EMPTY"
dropdb "$BASE"

log "History, submit, to review by me, reminder cron, analysis ($LARGE)"
"$PYTHON" bench/scale.py run --db "$LARGE" --generate-json "$LOGS/scale-generate.json" \
    --submit "$SUBMIT" --batch "$BATCH" --install-empty "$install_empty" --install-large "$install_large" \
    --build-seconds "$build" --deadline "$((start + DEADLINE_MINUTES * 60))" --out "$RESULTS/scale.json" \
    2>&1 | tee "$LOGS/scale-run.log"

elapsed=$(( $(date +%s) - start ))
"$PYTHON" - "$RESULTS/scale.json" "$elapsed" <<'EOF'
import json, sys
path, elapsed = sys.argv[1], int(sys.argv[2])
data = json.load(open(path))
data["elapsed_seconds"] = elapsed
json.dump(data, open(path, "w"), indent=1)
EOF
if ls "$RESULTS"/crm-*.json >/dev/null 2>&1; then
    log "Report"
    "$PYTHON" bench/bench.py report > "$LOGS/report.txt"
else
    "$PYTHON" bench/bench.py scale-table
fi
log "Done in $((elapsed / 60)) min $((elapsed % 60)) s: $RESULTS/scale.json (database $LARGE kept for inspection)"
