from odoo import api, fields, models, tools
from odoo.tools import SQL

from .crm_review_mixin import REVIEW_STATES


class CrmReviewReport(models.Model):
    """Review analysis: one row per submission of a record, whatever its number of steps."""

    _name = "crm.review.report"
    _inherit = ["crm.review.record.access"]
    _description = "Review Analysis"
    _auto = False
    _rec_name = "res_name"
    _order = "submitted_on desc"

    res_model = fields.Char("Document type", readonly=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", readonly=True)
    res_name = fields.Char("Document", readonly=True)
    submission = fields.Integer(readonly=True)
    state = fields.Selection(
        [*[state for state in REVIEW_STATES if state[0] != "draft"], ("cancelled", "Recalled")],
        string="Outcome",
        readonly=True,
    )
    rule_id = fields.Many2one("crm.review.rule", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    submitter_id = fields.Many2one("res.users", "Submitted by", readonly=True)
    step_name = fields.Char(
        "Step name", readonly=True, help="The step that rejected the record, or the one it waits for, as submitted."
    )
    step_id = fields.Many2one("crm.review.step", "Rule step", readonly=True)
    step_label = fields.Char(
        "Step",
        compute="_compute_step_label",
        help="The step that rejected the record, or the one it waits for, in the reader's language.",
    )
    reviewer_id = fields.Many2one("res.users", readonly=True, help="Who took the last decision.")
    reason_id = fields.Many2one("crm.review.reason", "Rejection reason", readonly=True)
    submitted_on = fields.Datetime(readonly=True)
    decided_on = fields.Datetime(readonly=True)
    submission_count = fields.Integer("Submissions", readonly=True)
    approved_count = fields.Integer("Approved", readonly=True)
    rejected_count = fields.Integer("Rejected", readonly=True)
    overdue_count = fields.Integer("Overdue", readonly=True, help="Waiting beyond the reminder delay of its step.")
    rejection_rate = fields.Float("Rejection rate (%)", readonly=True, aggregator="avg")
    cycle_hours = fields.Float(
        "Cycle time (h)", readonly=True, aggregator="avg", help="Hours from submission to the final decision."
    )
    cycle_days = fields.Float("Cycle time (days)", readonly=True, aggregator="avg")

    # Rows follow their record, as review lines do; a company rule keeps each company's rows in it.

    @api.depends("step_name", "step_id.name")
    @api.depends_context("lang")
    def _compute_step_label(self):
        # A name the row already shows (as submitted), in the reader's language: one read for all.
        steps = self.sudo().step_id
        steps.fetch(["name"])
        names = {step.id: step.name for step in steps}
        for row in self:
            row.step_label = names.get(row.step_id.id) or row.step_name

    def _query(self):
        # The lines of one submission share (res_model, res_id, submission); the
        # outcome is the worst state among them, the step the one that rejects
        # or waits.
        return SQL(
            """
            WITH submissions AS (
                SELECT
                    MIN(r.id) AS id,
                    r.res_model,
                    r.res_id,
                    r.submission,
                    (ARRAY_AGG(r.res_name ORDER BY r.position, r.id))[1] AS res_name,
                    (ARRAY_AGG(r.rule_id ORDER BY r.position, r.id))[1] AS rule_id,
                    (ARRAY_AGG(r.team_id ORDER BY r.position, r.id))[1] AS team_id,
                    (ARRAY_AGG(r.company_id ORDER BY r.position, r.id))[1] AS company_id,
                    (ARRAY_AGG(r.submitter_id ORDER BY r.position, r.id))[1] AS submitter_id,
                    CASE
                        WHEN BOOL_OR(r.state = 'rejected') THEN 'rejected'
                        WHEN BOOL_OR(r.state IN ('pending', 'waiting')) THEN 'pending'
                        WHEN BOOL_AND(r.state IN ('approved', 'skipped')) THEN 'approved'
                        ELSE 'cancelled'
                    END AS state,
                    (ARRAY_AGG(r.name ORDER BY r.state = 'rejected' DESC, r.state = 'pending' DESC,
                        r.position DESC, r.id DESC))[1] AS step_name,
                    (ARRAY_AGG(r.step_id ORDER BY r.state = 'rejected' DESC, r.state = 'pending' DESC,
                        r.position DESC, r.id DESC))[1] AS step_id,
                    (ARRAY_AGG(r.done_by_id ORDER BY r.done_date DESC NULLS LAST, r.id DESC))[1] AS reviewer_id,
                    MAX(r.reason_id) FILTER (WHERE r.state = 'rejected') AS reason_id,
                    -- when its first step opened: the time of the submission, in whole
                    -- seconds as the decision dates are (a submission whose steps were all
                    -- skipped never waited: when its lines were written)
                    COALESCE(MIN(r.pending_since), DATE_TRUNC('second', MIN(r.create_date))) AS submitted_on,
                    MAX(r.done_date) AS decided_on,
                    BOOL_OR(r.state = 'pending'
                        AND (r.reminder_count > 0 OR r.next_reminder_at <= NOW() AT TIME ZONE 'UTC')) AS overdue
                FROM crm_review r
                GROUP BY r.res_model, r.res_id, r.submission
            )
            SELECT
                s.id, s.res_model, s.res_id, s.submission, s.res_name, s.rule_id, s.team_id, s.company_id,
                s.submitter_id, s.state, s.step_name, s.step_id, s.reviewer_id, s.reason_id, s.submitted_on,
                CASE WHEN s.state IN ('approved', 'rejected') THEN s.decided_on END AS decided_on,
                1 AS submission_count,
                CASE WHEN s.state = 'approved' THEN 1 ELSE 0 END AS approved_count,
                CASE WHEN s.state = 'rejected' THEN 1 ELSE 0 END AS rejected_count,
                CASE WHEN s.overdue THEN 1 ELSE 0 END AS overdue_count,
                CASE WHEN s.state = 'rejected' THEN 100.0 WHEN s.state = 'approved' THEN 0.0 END AS rejection_rate,
                CASE WHEN s.state IN ('approved', 'rejected')
                    THEN GREATEST(EXTRACT(EPOCH FROM s.decided_on - s.submitted_on), 0) / 3600.0
                END AS cycle_hours,
                CASE WHEN s.state IN ('approved', 'rejected')
                    THEN GREATEST(EXTRACT(EPOCH FROM s.decided_on - s.submitted_on), 0) / 86400.0
                END AS cycle_days
            FROM submissions s
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
