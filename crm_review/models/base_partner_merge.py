from odoo import api, models

from .crm_review_mixin import REVIEW_KEEP_STATE


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_values(self, src_partners, dst_partner):
        # The surviving partner keeps its own review state: it is set by its review, not copied.
        return super()._update_values(src_partners, dst_partner.with_context(crm_review_write=REVIEW_KEEP_STATE))

    def _update_reference_fields(self, src_partners, dst_partner):
        """The review lines and audit trail of the merged partners go to the surviving one."""
        result = super()._update_reference_fields(src_partners, dst_partner)
        lines = (
            self.env["crm.review"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "in", src_partners.ids)])
        )
        lines.write({"res_id": dst_partner.id, "is_current": False})
        self.env["crm.review.log"]._move_to_record("res.partner", src_partners.ids, dst_partner.id)
        return result
