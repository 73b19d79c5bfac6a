from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a "Review" to-do done approves the step (with the same checks)."""
        review_type = self.env.ref("crm_review.mail_activity_type_review", raise_if_not_found=False)
        reviews = self.filtered(lambda a: review_type and a.activity_type_id == review_type)
        if not reviews:
            return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        others = self - reviews
        for model, activities in reviews.grouped("res_model").items():
            records = self.env[model].browse(activities.mapped("res_id"))
            records.with_context(crm_review_no_wizard=True).action_review_approve(comment=feedback or None)
        if others:
            return super(MailActivity, others)._action_done(feedback=feedback, attachment_ids=attachment_ids)
        return self.env["mail.message"], self.env["mail.activity"]
