"""Rules start as drafts (``crm.review.rule.state``): the rules already there stay in force.

Left to the ORM, the new column would take its default, draft, on every
existing rule and switch them all off.
"""

from odoo.tools import SQL, sql


def migrate(cr, version):
    if sql.column_exists(cr, "crm_review_rule", "state"):
        return
    sql.create_column(cr, "crm_review_rule", "state", "varchar")
    cr.execute(SQL("UPDATE crm_review_rule SET state = 'active'"))
