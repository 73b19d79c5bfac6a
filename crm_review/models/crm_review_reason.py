from odoo import fields, models


class CrmReviewReason(models.Model):
    """Catalog of reasons given when a review is rejected or an order cancelled."""

    _name = "crm.review.reason"
    _inherit = ["crm.review.cached"]
    _description = "Review Reason"
    _order = "reason_type, sequence, id"

    name = fields.Char(required=True, translate=True)
    reason_type = fields.Selection(
        [("reject", "Reject"), ("cancel", "Cancel")],
        string="Type",
        required=True,
        default="reject",
    )
    guidance = fields.Text(
        string="How to fix",
        translate=True,
        help="Told to the submitter with the rejection, as the next thing to do.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the reason with every company.")
