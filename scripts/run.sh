#!/usr/bin/env bash
# Serves the demo: a database (crm_review_demo) with crm_review and
# crm_review_contract installed with demo data, on http://127.0.0.1:8069.
# Re-running reuses the database; the addons are upgraded only when their
# files changed since the last run. Nothing is ever dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

DB=${DEMO_DB:-crm_review_demo}
PORT=${HTTP_PORT:-8069}
MODULES=crm_review,crm_review_contract,crm_review_dashboard
STAMP=var/$DB.checksum
mkdir -p var

log() { printf '\n== %s\n' "$*"; }
odoo() {
    "$PYTHON" "$ODOO_BIN" -d "$DB" --addons-path="$ADDONS_PATH" --db-filter="^$DB\$" \
        --http-interface=127.0.0.1 --http-port="$PORT" "$@"
}
db_exists() { [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; }
sql() { psql -d "$DB" -Atc "$1"; }
# Checksum of the addons' files: an upgrade is needed when it changes.
addons_checksum() {
    find crm_review crm_review_contract crm_review_dashboard -type f ! -path '*/__pycache__/*' ! -path '*/.pytest_cache/*' -print0 \
        | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40
}
count_installed() {
    sql "SELECT count(*) FROM ir_module_module
         WHERE name IN ('crm_review', 'crm_review_contract') AND state = 'installed' $1"
}

if db_exists && [ "$(sql "SELECT to_regclass('ir_module_module') IS NOT NULL")" != t ]; then
    # An earlier creation stopped before Odoo initialised it: nothing to keep.
    log "Database $DB is empty (its creation was interrupted): creating it again"
    dropdb "$DB"
fi

if ! db_exists; then
    log "Creating database $DB with demo data (about two minutes)"
    rm -f "$STAMP"
    odoo -i "$MODULES" --with-demo --stop-after-init --log-level=warn
    addons_checksum > "$STAMP"
elif [ "$(count_installed "")" != 2 ]; then
    log "Installing $MODULES in $DB"
    odoo -i "$MODULES" --stop-after-init --log-level=warn
    addons_checksum > "$STAMP"
elif [ "$(cat "$STAMP" 2>/dev/null)" != "$(addons_checksum)" ]; then
    log "The addons changed since the last run: upgrading them in $DB"
    odoo -u "$MODULES" --stop-after-init --log-level=warn
    addons_checksum > "$STAMP"
else
    log "Reusing database $DB (addons unchanged)"
fi

if [ "$(count_installed "AND demo")" != 2 ]; then
    echo "ERROR: database $DB has crm_review without demo data (it was not created by this script)." >&2
    echo "Drop it with 'dropdb $DB' and run 'make run' again, or set DEMO_DB to another name." >&2
    exit 1
fi

cat <<MSG

== crm_review demo
   URL:      http://127.0.0.1:$PORT/odoo
   Login:    admin
   Password: admin
   Database: $DB
   (Ctrl+C stops the server; 'make run' again restarts it on the same data.)

MSG
exec "$PYTHON" "$ODOO_BIN" -d "$DB" --addons-path="$ADDONS_PATH" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
