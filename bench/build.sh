#!/usr/bin/env bash
# Sourced by bench/run.sh and bench/load.sh: the databases both compare.
#
# build_databases PREFIX LOGS builds, from scratch:
#   PREFIX_plain  sale_management without demo data, and the shared data (bench.py base);
#   PREFIX_crm    a copy with crm_review and its review rules (bench.py config);
#   PREFIX_oca    a copy with the OCA tier-validation modules and their tier definitions.
# Databases PREFIX_(plain|crm|oca) and PREFIX_<system>_<anything> of an earlier run are dropped first.

log() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
odoo_init() {  # odoo_init DB MODULES
    "$PYTHON" "$ODOO_BIN" -d "$1" --addons-path="$ADDONS_PATH" -i "$2" --without-demo=True \
        --stop-after-init --no-http --max-cron-threads=0 --log-level=warn
}
bench() { "$PYTHON" bench/bench.py "$@"; }

build_databases() {  # build_databases PREFIX LOGS
    local prefix=$1 logs=$2
    local plain=${prefix}_plain crm=${prefix}_crm oca=${prefix}_oca
    log "Dropping the databases of the previous run"
    psql -d postgres -Atc "SELECT datname FROM pg_database WHERE datname ~ '^${prefix}_(plain|crm|oca)(_\\w+)?$'" |
        while read -r db; do dropdb --if-exists "$db"; done

    log "Database $plain: sale_management without demo data, and the shared data"
    createdb "$plain"
    odoo_init "$plain" sale_management,contacts
    bench base --db "$plain"

    log "Databases $crm (crm_review) and $oca (OCA tier validation), installed in parallel"
    createdb -T "$plain" "$crm"
    createdb -T "$plain" "$oca"
    mkdir -p "$logs"
    odoo_init "$crm" crm_review > "$logs/install-crm.log" 2>&1 & local pid_crm=$!
    odoo_init "$oca" sale_tier_validation,partner_tier_validation > "$logs/install-oca.log" 2>&1 & local pid_oca=$!
    wait $pid_crm || { cat "$logs/install-crm.log"; echo "crm_review failed to install" >&2; exit 1; }
    wait $pid_oca || { cat "$logs/install-oca.log"; echo "OCA modules failed to install" >&2; exit 1; }
    bench config --db "$crm" --system crm
    bench config --db "$oca" --system oca
}
