from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


class CrmReviewStep(models.Model):
    """One ordered approval step (tier) of a review rule."""

    _name = "crm.review.step"
    _description = "Review Step"
    _order = "sequence, id"

    rule_id = fields.Many2one("crm.review.rule", required=True, ondelete="cascade", index=True)
    model_id = fields.Many2one(related="rule_id.model_id")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Lower steps are reviewed first.")
    approver_type = fields.Selection(
        [
            ("users", "Specific users"),
            ("group", "Members of a group"),
            ("manager", "Submitter's manager / sales team leader"),
            ("field", "User field on the record"),
        ],
        string="Approved by",
        required=True,
        default="users",
    )
    user_ids = fields.Many2many("res.users", string="Reviewers", domain=[("share", "=", False)])
    group_id = fields.Many2one("res.groups")
    user_field_id = fields.Many2one(
        "ir.model.fields",
        string="User field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), "
        "('ttype', 'in', ('many2one', 'many2many'))]",
    )
    approval_mode = fields.Selection(
        [("any", "Any one of them"), ("all", "All of them")],
        required=True,
        default="any",
    )
    domain = fields.Text(
        string="Condition",
        help="Optional: the step only applies to records matching this domain; otherwise it is skipped.",
    )
    comment_required = fields.Boolean(help="Reviewers must write a comment to approve.")

    @api.constrains("approver_type", "user_ids", "group_id", "user_field_id")
    def _check_approvers(self):
        for step in self:
            missing = {
                "users": not step.user_ids and self.env._("reviewers"),
                "group": not step.group_id and self.env._("a group"),
                "field": not step.user_field_id and self.env._("a user field"),
            }.get(step.approver_type)
            if missing:
                raise ValidationError(self.env._("Step %(step)s needs %(missing)s.", step=step.name, missing=missing))

    @api.constrains("domain", "rule_id")
    def _check_domain(self):
        for step in self.filtered("domain"):
            step.rule_id._parse_domain(step.domain, step.rule_id.model)

    def _applies_to(self, records):
        """Records among ``records`` whose condition this step matches (one query at most)."""
        self.ensure_one()
        if not self.domain or self.domain.strip() in ("", "[]"):
            return records
        domain = self.rule_id._parse_domain(self.domain, records._name) & Domain("id", "in", records.ids)
        return records.browse(records.sudo().with_context(active_test=False).search(domain).ids)

    def _resolve_reviewers(self, record, submitter):
        """Users who review this step for ``record``, fixed when the step becomes pending."""
        self.ensure_one()
        record = record.sudo()
        if self.approver_type == "users":
            users = self.user_ids
        elif self.approver_type == "group":
            users = self.group_id.sudo().all_user_ids
        elif self.approver_type == "field":
            users = record[self.user_field_id.name] if self.user_field_id.name in record else self.env["res.users"]
        else:
            users = record._review_manager_of(submitter)
        return users.filtered(lambda u: u.active and not u.share)
