from odoo import fields, models
from odoo.exceptions import UserError


class CrmReviewTestDocument(models.Model):
    """A document of another app, made reviewable: the whole glue is below the fields."""

    _name = "crm.review.test.document"
    _inherit = ["mail.thread", "crm.review.mixin"]
    _description = "Reviewable Test Document"

    name = fields.Char(required=True)
    amount = fields.Float()
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)

    _review_default_key_fields = ("amount",)

    def action_done(self):
        """The app's own step that needs an approval first: gate it at the hook."""
        blocked = self._review_blocking_records()
        if blocked:
            raise UserError(blocked[0]._review_status_text())
        self.write({"state": "done"})
        return True

    def _review_resettable(self):
        """A done document is past its review: editing it does not send it back."""
        return self.filtered(lambda document: document.state == "draft")
