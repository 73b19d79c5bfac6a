import logging

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import format_datetime

_logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one in a link names no record


class CrmReviewController(http.Controller):
    @http.route("/crm_review/approve/<int:line_id>", type="http", auth="user", methods=["GET", "POST"])
    def crm_review_approve(self, line_id, user_id=None, token=None, comment=None, **kwargs):
        """Approve a review step from the link of a reminder email.

        GET shows the step and a confirmation button and changes nothing (mail
        scanners open links); the button POSTs the form, with Odoo's CSRF
        token, and approves as the logged-in user through the engine, which
        still checks that the user may decide. The link is signed for one
        activation of one step and for the reviewer it was sent to.
        """
        line, error = self._review_link_line(line_id, user_id, token)
        values = {"line": line, "message": error, "link_user_id": user_id, "token": token, "comment": comment or ""}
        if error:
            return self._review_link_render(values)
        # In the record's company, as the web client would open it (the user may work in several).
        companies = request.env.user.company_ids
        if line.company_id in companies:
            companies = line.company_id | companies
        record = request.env[line.res_model].with_context(allowed_company_ids=companies.ids).browse(line.res_id)
        if not record.has_access("read"):
            # A genuine link, but the user no longer reads the record: nothing of it is shown.
            return self._review_link_render({"message": self._review_link_unavailable()})
        values["record_url"] = f"/odoo/{line.res_model}/{line.res_id}"
        # The viewer's own time zone and language: the session keeps the time zone of its login,
        # and a step is read by someone else than whoever opened it.
        values["step"] = line.with_context(lang=request.env.lang)._review_step_name()
        values["since"] = format_datetime(request.env, line.pending_since, tz=request.env.user.tz or "UTC")
        values.update(self._review_link_summary(line, record))
        if request.httprequest.method != "POST":
            values["message"] = self._review_link_refusal(record, line)
            values["can_approve"] = not values["message"]
            return self._review_link_render(values)
        try:
            with request.env.cr.savepoint():
                # Locked first: the step checked is the one the engine decides.
                values["message"] = self._review_link_refusal(record, line, lock=True)
                if not values["message"]:
                    # The step of the link, not another parallel step the user also reviews.
                    record.with_context(crm_review_no_wizard=True, crm_review_line_ids=line.ids).action_review_approve(
                        comment=comment or None
                    )
                    values["approved"] = True
                    values["message"] = request.env._(
                        "You approved step %(step)s of %(record)s.", step=values["step"], record=line.res_name
                    )
        except AccessError as error:
            _logger.info("Approval from the link of review step %s refused: %s", line.id, error)
            values["message"] = error.args[0]
        except UserError as error:
            # The user may decide but the engine asks for more (a comment): the form again, with why.
            values["message"] = error.args[0]
            values["can_approve"] = True
        return self._review_link_render(values)

    @http.route("/crm_review/approve/<string:model>", type="http", auth="user", methods=["GET"])
    def crm_review_approve_legacy(self, model, **kwargs):
        """Links of emails sent before links were signed per step approve nothing any more."""
        return self._review_link_render({"message": self._review_link_invalid()})

    def _review_link_line(self, line_id, user_id, token):
        """The step of a link, if the link is genuine and was sent to the logged-in user.

        :return: (crm.review line in sudo or None, message saying why the link cannot be used)
        """
        if not token or not str(user_id or "").isdigit():
            return None, self._review_link_invalid()
        # Read in sudo to check the signature: what the user may do is checked by the engine.
        line = request.env["crm.review"].sudo().browse(line_id if line_id <= MAX_ID else ()).exists()
        if not line or line.res_model not in request.env:
            return None, request.env._("This review no longer exists: its record was deleted.")
        if not consteq(line._review_approve_token(int(user_id)), str(token)):
            return None, self._review_link_invalid()
        if int(user_id) != request.env.uid:
            return None, request.env._(
                "This link was sent to another reviewer. Sign in as that reviewer, or open the record from Odoo."
            )
        if not request.env[line.res_model].browse(line.res_id).exists():
            return None, request.env._("This review no longer exists: its record was deleted.")
        return line, None

    def _review_link_summary(self, line, record):
        """What the email shows of the record (customer, amount), as far as the user may read it."""
        # The user's rights, in the record's company: the inbox's columns of the step.
        summary = line.with_env(record.env)
        partner_field, amount_field = summary._review_summary_fields(record)
        values = {}
        customer = summary.partner_id
        # A customer under review is its own customer: the page names it already.
        if partner_field != "id" and customer and customer.has_access("read"):
            values["customer"] = customer.display_name
        if amount_field and summary.currency_id:
            values.update(amount=summary.amount, currency=summary.currency_id)
        return values

    def _review_link_refusal(self, record, line, lock=False):
        """Why the user cannot approve the step of the link now; None when they can."""
        chain = record._review_lines(lock=lock)
        # Parallel steps are pending together: the link's step is the one that must still be.
        pending = next((current for current in chain if current.state == "pending" and current == line), None)
        if not pending:
            step = line.with_context(lang=request.env.lang)._review_step_name()
            names = {"step": step, "record": line.res_name, "user": line.done_by_id.name}
            if line.state == "approved":
                return request.env._("Step %(step)s of %(record)s was already approved by %(user)s.", **names)
            if line.state == "rejected":
                return request.env._("Step %(step)s of %(record)s was already rejected by %(user)s.", **names)
            return request.env._(
                "Step %(step)s of %(record)s is no longer waiting for a decision (recalled, resubmitted or sent"
                " back): open the record to see where its review stands.",
                **names,
            )
        try:
            # The engine's rule of who may decide, on the link's step.
            request.env["crm.review"].with_context(crm_review_line_ids=line.ids)._review_decidable(record, chain)
        except (AccessError, UserError) as error:
            return error.args[0]
        return None

    def _review_link_unavailable(self):
        return request.env._("This review is not available to you. Open Odoo to see the reviews waiting for you.")

    def _review_link_invalid(self):
        return request.env._("This link is not valid. Open the record from Odoo to review it.")

    def _review_link_render(self, values):
        return request.render("crm_review.review_approve_link_page", values)
