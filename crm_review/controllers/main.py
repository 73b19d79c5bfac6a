import logging

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import consteq

from odoo.addons.mail.controllers.mail import MailController

_logger = logging.getLogger(__name__)


class CrmReviewController(http.Controller):
    @http.route("/crm_review/approve/<string:model>", type="http", auth="user", methods=["GET"])
    def crm_review_approve(self, model, res_id, token):
        """Approve from the link in a review email, then show the record.

        The token signs the link's path (which names the model) and the record
        id, as ``_notify_get_action_link`` builds it; the engine still checks
        that the logged-in user reviews the current step.
        """
        if model not in request.env["crm.review.rule"]._reviewable_models() or not str(res_id).isdigit():
            return MailController._redirect_to_generic_fallback(model, res_id)
        expected = request.env["mail.thread"]._encode_link(request.httprequest.path, {"res_id": res_id})
        record = request.env[model].browse(int(res_id)).exists()
        if consteq(expected, str(token)) and record:
            try:
                record.with_context(crm_review_no_wizard=True).action_review_approve()
            except (AccessError, UserError) as error:
                # Not (or no longer) theirs to approve: the form shows where the review stands.
                _logger.info("Review link not applied on %s,%s: %s", model, res_id, error)
        return MailController._redirect_to_record(model, int(res_id))
