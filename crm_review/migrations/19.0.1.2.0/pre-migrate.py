"""The waiting reviewers of pending steps are stored (``crm.review.waiting_reviewer_ids``).

The relation is created and filled here from the pending steps alone. Left to
the ORM, a new stored field is computed for every review line of the history.
"""

from odoo.tools import SQL, sql


def migrate(cr, version):
    if sql.table_exists(cr, "crm_review_waiting_rel"):
        return
    # The table the ORM would create for this many2many (Many2many.update_db).
    cr.execute(
        SQL(
            """
            CREATE TABLE crm_review_waiting_rel (
                review_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                PRIMARY KEY (review_id, user_id)
            );
            COMMENT ON TABLE crm_review_waiting_rel IS 'RELATION BETWEEN crm_review AND res_users';
            CREATE INDEX ON crm_review_waiting_rel (user_id, review_id);
            """
        )
    )
    # What _review_waiting_reviewers gives: the active reviewers of a pending step,
    # less those who approved an "all" step already.
    cr.execute(
        SQL(
            """
            INSERT INTO crm_review_waiting_rel (review_id, user_id)
            SELECT rel.review_id, rel.user_id
              FROM crm_review_reviewer_rel rel
              JOIN crm_review line ON line.id = rel.review_id
              JOIN res_users u ON u.id = rel.user_id AND u.active
             WHERE line.state = 'pending'
               AND (line.approval_mode = 'any' OR NOT EXISTS (
                    SELECT 1 FROM crm_review_approved_by_rel done
                     WHERE done.review_id = rel.review_id AND done.user_id = rel.user_id))
            """
        )
    )
