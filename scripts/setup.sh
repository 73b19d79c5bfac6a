#!/usr/bin/env bash
# Prepares this machine to run or test crm_review: Debian packages, PostgreSQL,
# the Odoo 19.0 source, a virtualenv with Odoo's requirements and the OCA
# addons from PyPI. Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

log() { printf '\n== %s\n' "$*"; }

# 1. Debian packages (build headers for psycopg2/python-ldap, PostgreSQL, Chromium for tours)
debs=(postgresql libpq-dev libldap2-dev libsasl2-dev build-essential chromium)
missing=()
for pkg in "${debs[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. PostgreSQL: started every time (processes do not survive a session)
if ! pg_isready -q -t 2 2>/dev/null; then
    log "Starting PostgreSQL"
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start
    pg_isready -q -t 30
fi
if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
    su postgres -c "createuser -s $(id -un)" || true
fi

# 3. Odoo 19.0 source
if [ ! -f "$ODOO_SRC/odoo-bin" ]; then
    log "No Odoo source in $ODOO_SRC: trying a shallow clone of 19.0"
    if ! git clone -q --depth 1 --branch 19.0 https://github.com/odoo/odoo "$ODOO_SRC"; then
        echo "ERROR: the Odoo 19.0 source is not in $ODOO_SRC and could not be cloned." >&2
        echo "Put a checkout of odoo/odoo branch 19.0 there, or set ODOO_SRC to one." >&2
        exit 1
    fi
fi
grep -q "^version_info = (19, 0" "$ODOO_SRC/odoo/release.py" || {
    echo "ERROR: $ODOO_SRC is not Odoo 19.0 (see odoo/release.py); set ODOO_SRC." >&2
    exit 1
}

# 4. Virtualenv with Odoo's requirements and the project's tools
stamp="$VENV/.crm_review-$(cat "$ODOO_SRC/requirements.txt" requirements-dev.txt | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    log "Creating the virtualenv in $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip wheel "setuptools<81"
    sed 's/^cbor2==5.4.2.*/cbor2==5.4.6/' "$ODOO_SRC/requirements.txt" > "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q -r "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q -r requirements-dev.txt
    rm -f "$VENV"/.crm_review-*
    touch "$stamp"
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$ODOO_SRC" > "$site/odoo-src.pth"

# 5. OCA addons from PyPI (their wheels pin odoo==19.0.*, hence --no-deps)
if [ ! -f "$OCA_DIR/.stamp-$(sha1sum requirements-oca.txt | cut -c1-12)" ]; then
    log "Installing OCA addons into $OCA_DIR"
    rm -rf "$OCA_DIR"
    "$VENV/bin/pip" install -q --no-deps --target "$OCA_DIR" -r requirements-oca.txt
    touch "$OCA_DIR/.stamp-$(sha1sum requirements-oca.txt | cut -c1-12)"
fi
log "Set-up done"
