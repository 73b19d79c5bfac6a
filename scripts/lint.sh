#!/usr/bin/env bash
# Lints the addons: ruff (check and format, settings in .ruff.toml) and
# pylint-odoo restricted to the mandatory checks (.pylintrc). Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ "${CRM_REVIEW_SETUP_DONE:-}" != 1 ] && [ ! -x "$VENV/bin/pylint" ]; then
    scripts/setup.sh
fi

addons=()
for manifest in */__manifest__.py; do
    addons+=("$(dirname "$manifest")")
done

rc=0
echo "== ruff check"
"$VENV/bin/ruff" check --no-fix --output-format=concise . || rc=1
echo "== ruff format --check"
"$VENV/bin/ruff" format --check . || rc=1
echo "== pylint-odoo (${addons[*]})"
"$VENV/bin/pylint" --rcfile=.pylintrc "${addons[@]}" && echo "No pylint-odoo findings." || rc=1

if [ $rc = 0 ]; then
    echo "Lint: OK"
else
    echo "Lint: FAILED (fix the findings above; 'ruff format .' and 'ruff check --fix .' fix most of ruff's)"
fi
exit $rc
