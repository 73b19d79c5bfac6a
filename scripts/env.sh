# Shared settings for the scripts; sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ODOO_SRC=${ODOO_SRC:-/opt/odoo/19.0}
export VENV=${VENV:-$ROOT/.venv}
export OCA_DIR=${OCA_DIR:-$ROOT/.oca}
export ADDONS_PATH="$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$OCA_DIR/odoo/addons,$ROOT"
export PYTHON="$VENV/bin/python"
export ODOO_BIN="$ODOO_SRC/odoo-bin"
