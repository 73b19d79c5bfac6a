from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        # Review to-dos do not make their assignee a follower (see mail.activity._review_create).
        if self.env.context.get("crm_review_no_subscribe"):
            return True
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)
