from odoo import api, fields, models
from odoo.tools import SQL


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Computed before the INSERT, instead of an UPDATE of every new activity
    # right after it; the document name may be given (readonly=False keeps it).
    res_name = fields.Char(
        "Document Name", compute="_compute_res_name", compute_sudo=True, store=True, readonly=False, precompute=True
    )
    user_tz = fields.Selection(string="Timezone", related="user_id.tz", store=True, precompute=True)

    @api.model
    def _review_create(self, vals_list):
        """Create review to-dos in one batch, whatever the reviewer may read.

        Reviewers see them in their activity menu; no email per to-do (the
        reminder digest carries the email) and no follower subscription: a
        reviewer is reached by the to-do and reads the record through the
        review access rule, without receiving every message of the record.
        """
        if not vals_list:
            return self.browse()
        IrModel = self.env["ir.model"]
        model_ids = {}
        for vals in vals_list:
            model = vals.pop("res_model")
            if model not in model_ids:
                model_ids[model] = IrModel._get_id(model)
            vals["res_model_id"] = model_ids[model]
        # The model names are known: spare the ORM reading them back to compute res_model.
        models_ = IrModel.browse(list(model_ids.values()))
        IrModel._fields["model"]._insert_cache(models_, list(model_ids))
        return self.sudo().with_context(mail_activity_quick_update=True, crm_review_no_subscribe=True).create(vals_list)

    @api.model
    def _review_remove(self, res_model, res_ids, type_ids, user_ids=None):
        """Delete the review to-dos of these records in one statement.

        Review to-dos carry no attachment, external id or sub-activity, so the
        ORM's generic clean-up (five queries per call) has nothing to do.
        """
        if not res_ids:
            return
        self.flush_model()
        condition = SQL(
            "res_model = %s AND res_id IN %s AND activity_type_id IN %s",
            res_model,
            tuple(res_ids),
            tuple(type_ids),
        )
        if user_ids is not None:
            condition = SQL("%s AND user_id IN %s", condition, tuple(user_ids) or (0,))
        self.env.execute_query(SQL("DELETE FROM mail_activity WHERE %s", condition))
        self.invalidate_model()
        Model = self.env[res_model]
        Model.invalidate_model([name for name in Model._fields if "activit" in name])

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
