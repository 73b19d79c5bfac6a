from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain


class CrmReview(models.Model):
    """One step of one submission of a reviewed record.

    Lines are never deleted while their record exists: a recall, rejection or
    resubmission closes the current lines (``is_current`` off) and creates new
    ones, so the record keeps its whole review history. Only the engine in
    ``crm.review.mixin`` writes them, with ``sudo()`` after its own checks.
    """

    _name = "crm.review"
    _description = "Review Step of a Record"
    _order = "res_model, res_id, submission desc, position, id"
    _rec_name = "name"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", required=True, readonly=True)
    res_name = fields.Char("Document", readonly=True, help="Name of the record when it was submitted.")
    rule_id = fields.Many2one("crm.review.rule", readonly=True, ondelete="set null", index="btree_not_null")
    step_id = fields.Many2one("crm.review.step", "Rule step", readonly=True, ondelete="set null")
    name = fields.Char("Step", required=True, readonly=True)
    position = fields.Integer(readonly=True, help="Order of the step in the review.")
    submission = fields.Integer(readonly=True, help="Number of the submission that created the line.")
    is_current = fields.Boolean(
        "Current",
        readonly=True,
        default=True,
        help="Part of the review in progress (or of the last finished one).",
    )
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("pending", "To review"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        readonly=True,
        default="waiting",
        index=True,
    )
    approval_mode = fields.Selection([("any", "Any one"), ("all", "All")], required=True, readonly=True, default="any")
    comment_required = fields.Boolean(readonly=True)
    reviewer_ids = fields.Many2many(
        "res.users",
        "crm_review_reviewer_rel",
        "review_id",
        "user_id",
        string="Reviewers",
        readonly=True,
        help="Fixed when the record is submitted: the whole route is known from the start.",
    )
    approved_by_ids = fields.Many2many(
        "res.users", "crm_review_approved_by_rel", "review_id", "user_id", string="Approved by", readonly=True
    )
    submitter_id = fields.Many2one("res.users", readonly=True, index=True)
    pending_since = fields.Datetime(readonly=True)
    done_date = fields.Datetime("Decided on", readonly=True)
    done_by_id = fields.Many2one("res.users", "Decided by", readonly=True)
    reason_id = fields.Many2one("crm.review.reason", readonly=True, ondelete="restrict")
    note = fields.Text("Comment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    team_id = fields.Many2one("crm.team", "Sales team", readonly=True, ondelete="set null")
    next_reminder_at = fields.Datetime(
        "Next reminder",
        readonly=True,
        help="When the reviewers are reminded if the step is still pending.",
    )
    reminder_count = fields.Integer("Reminders sent", readonly=True)
    escalated = fields.Boolean(readonly=True)
    is_overdue = fields.Boolean("Overdue", compute="_compute_is_overdue", search="_search_is_overdue")
    duration_hours = fields.Float(
        "Cycle time (h)",
        readonly=True,
        aggregator="avg",
        help="Hours between the step becoming pending and its decision.",
    )

    _record_index = models.Index("(res_model, res_id, is_current)")
    _reminder_index = models.Index("(next_reminder_at) WHERE state = 'pending' AND escalated IS NOT TRUE")

    @api.depends("state", "next_reminder_at", "reminder_count")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for line in self:
            line.is_overdue = line.state == "pending" and (
                line.reminder_count > 0 or bool(line.next_reminder_at and line.next_reminder_at <= now)
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on %(field)s.", field="is_overdue"))
        domain = Domain("state", "=", "pending") & (
            Domain("reminder_count", ">", 0) | Domain("next_reminder_at", "<=", fields.Datetime.now())
        )
        return domain if (operator == "=") == value else ~domain

    def action_open_record(self):
        """Open the reviewed record."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # Engine helpers (called in sudo by crm.review.mixin after its checks)
    # ------------------------------------------------------------------

    def _review_close(self):
        """Take lines out of the current review: open steps are cancelled, decisions kept."""
        open_lines = self.filtered(lambda line: line.state in ("waiting", "pending"))
        open_lines._review_remove_activities()
        open_lines.write({"state": "cancelled", "is_current": False})
        (self - open_lines).write({"is_current": False})

    def _review_hours_since_pending(self, now):
        self.ensure_one()
        if not self.pending_since:
            return 0.0
        return round((now - self.pending_since).total_seconds() / 3600.0, 2)

    def _review_remove_activities(self, users=None):
        """Remove the review to-dos of these steps (of all reviewers, or only of ``users``)."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review")
        for model, lines in self.grouped("res_model").items():
            self.env["mail.activity"]._review_remove(
                model, set(lines.mapped("res_id")), [type_id], None if users is None else users.ids
            )

    def _review_schedule_activities(self):
        """One "Review" to-do per reviewer of each pending line, created in one batch."""
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id("crm_review.mail_activity_type_review")
        today = fields.Date.context_today(self)
        vals_list = []
        for line in self:
            approved = line.approved_by_ids if line.approval_mode == "all" else self.env["res.users"]
            for user in line.reviewer_ids - approved:
                vals = {
                    "res_model": line.res_model,
                    "res_id": line.res_id,
                    "activity_type_id": activity_type_id,
                    "user_id": user.id,
                    "summary": self.env._("Review: %(step)s", step=line.name),
                    # Due when the reviewers are to be reminded (today without reminders).
                    "date_deadline": fields.Date.context_today(self, line.next_reminder_at)
                    if line.next_reminder_at
                    else today,
                }
                if line.res_name:
                    vals["res_name"] = line.res_name  # spares reading the record
                vals_list.append(vals)
        self.env["mail.activity"]._review_create(vals_list)
