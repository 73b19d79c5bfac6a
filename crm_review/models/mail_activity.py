from collections import defaultdict

from odoo import api, models
from odoo.exceptions import ValidationError

REVIEW_TYPE = "crm_review.mail_activity_type_review"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.constrains("activity_type_id", "res_model")
    def _check_review_activity_model(self):
        """The "Review" to-do belongs to records that can be reviewed: on others, marking it done means nothing."""
        review_type_id = self.env["ir.model.data"]._xmlid_to_res_id(REVIEW_TYPE, raise_if_not_found=False)
        reviewable = set(self.env["crm.review.rule"]._reviewable_models())
        wrong = self.filtered(lambda a: a.activity_type_id.id == review_type_id and a.res_model not in reviewable)
        if wrong:
            raise ValidationError(
                self.env._(
                    "A Review to-do can only be planned on a record that can be reviewed, not on %(model)s.",
                    model=self.env["ir.model"]._get(wrong[0].res_model).name or wrong[0].res_model,
                )
            )

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a "Review" to-do done approves the step the user may decide, with the same checks.

        A to-do whose record has no step waiting any more (decided, recalled) is
        simply done; a step waiting for someone else is refused with why.
        """
        review_type_id = self.env["ir.model.data"]._xmlid_to_res_id(REVIEW_TYPE, raise_if_not_found=False)
        reviewable = set(self.env["crm.review.rule"]._reviewable_models())
        reviews = self.filtered(lambda a: a.activity_type_id.id == review_type_id and a.res_model in reviewable)
        Review = self.env["crm.review"]
        decided = self.browse()
        for model, activities in reviews.grouped("res_model").items():
            records = self.env[model].browse(activities.mapped("res_id"))
            records._review_check_may("decide")
            chain = Review._review_lines_of(records)
            # Parallel steps: the to-do's own step, when its summary names one.
            step_ids = self._review_steps_named(activities, chain)
            allowed, refused = Review.with_context(crm_review_line_ids=step_ids)._review_decision_policy(records, chain)
            for record, (error, message) in refused.items():
                if record.review_state == "pending":
                    raise error(message)
            approve = records.browse([record.id for record in records if record.id in allowed])
            # The approval removes these to-dos; the others are stale and done as any to-do.
            decided |= activities.filtered(lambda a, ids=set(approve.ids): a.res_id in ids)
            if approve:
                approve.with_context(crm_review_no_wizard=True, crm_review_line_ids=step_ids).action_review_approve(
                    comment=feedback or None
                )
        others = (self - decided).exists()
        if others:
            return super(MailActivity, others)._action_done(feedback=feedback, attachment_ids=attachment_ids)
        return self.env["mail.message"], self.env["mail.activity"]

    @api.model
    def _review_steps_named(self, activities, chain):
        """Ids of the pending steps these review to-dos are for: of each record, the steps its to-dos'
        summaries name ("Review: Legal"), or all its pending steps when they name none."""
        pending = chain.filtered(lambda line: line.state == "pending")
        summaries = defaultdict(set)
        for activity in activities:
            summaries[activity.res_id].add(activity.summary or "")
        line_ids = []
        for res_id, lines in pending.grouped("res_id").items():
            named = lines.filtered(
                lambda line, res_id=res_id: self.env._("Review: %(step)s", step=line._review_step_name())
                in summaries[res_id]
            )
            line_ids += (named or lines).ids
        return line_ids
