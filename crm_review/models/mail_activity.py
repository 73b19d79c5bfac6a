from odoo import api, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model
    def _review_create(self, vals_list):
        """Create review to-dos in one batch, whatever the reviewer may read.

        Reviewers see them in their activity menu; no email per to-do (the
        reminder digest carries the email).
        """
        if not vals_list:
            return self.browse()
        model_ids = {}
        for vals in vals_list:
            model = vals.pop("res_model")
            if model not in model_ids:
                model_ids[model] = self.env["ir.model"]._get_id(model)
            vals["res_model_id"] = model_ids[model]
        return self.sudo().with_context(mail_activity_quick_update=True).create(vals_list)

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a "Review" to-do done approves the step (with the same checks)."""
        review_type = self.env.ref("crm_review.mail_activity_type_review", raise_if_not_found=False)
        reviews = self.filtered(lambda a: review_type and a.activity_type_id == review_type)
        if not reviews:
            return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        for model, activities in reviews.grouped("res_model").items():
            records = self.env[model].browse(activities.mapped("res_id"))
            records.with_context(crm_review_no_wizard=True).action_review_approve(comment=feedback or None)
        others = (self - reviews).exists()
        messages, next_activities = (
            super(MailActivity, others)._action_done(feedback=feedback, attachment_ids=attachment_ids)
            if others
            else (self.env["mail.message"], self.env["mail.activity"])
        )
        return messages, next_activities
