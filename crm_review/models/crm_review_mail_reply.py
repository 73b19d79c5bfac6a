import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize

from ..tools.email_reply import DECIDED_BY_EMAIL, html_to_text, parse_reply, strip_quoted

_logger = logging.getLogger(__name__)


class CrmReviewMailReply(models.Model):
    """An email reply to a review email, received by the review alias: the decision it asked for and the
    answer it got.

    Odoo's mail gateway routes a reply sent to the review alias here (``message_new``), whatever the
    email it answers: one row per reply, the email itself in its chatter. Nothing else is created: the
    decision goes through the review engine, as the reviewer's own click would.
    """

    _name = "crm.review.mail.reply"
    _inherit = ["mail.thread"]
    _description = "Review Decision by Email"
    _order = "id desc"
    _primary_email = "email_from"

    name = fields.Char("Subject", readonly=True)
    email_from = fields.Char("From", readonly=True)
    user_id = fields.Many2one("res.users", "Reviewer", readonly=True, help="The reviewer the email was sent to.")
    review_id = fields.Many2one("crm.review", "Review step", readonly=True, ondelete="set null", index="btree_not_null")
    res_name = fields.Char("Document", readonly=True)
    decision = fields.Selection([("approve", "Approve"), ("reject", "Reject")], readonly=True)
    state = fields.Selection(
        [("new", "Received"), ("done", "Decided"), ("refused", "Refused")], default="new", readonly=True
    )
    answer = fields.Text(readonly=True, help="What the sender was told (nothing is sent to unknown senders).")
    company_id = fields.Many2one("res.company", readonly=True)

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A reply to a review email: decide the step it names when it is genuine, answer the sender."""
        values = dict(custom_values or {}, name=(msg_dict.get("subject") or "")[:250])
        reply = super().message_new(msg_dict, custom_values=values)
        reply._review_handle_reply(msg_dict)
        return reply

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        # Odoo ignores a sender whose emails made too many rows lately (an auto-replier answering itself). A
        # reviewer deciding a long list by email is not one: only refused replies count towards the limit.
        return [("email_from", "ilike", email_from_normalized), ("state", "=", "refused")]

    def message_update(self, msg_dict, update_vals=None):
        # A reply quoting an earlier reply is a new reply: it goes through message_new (the alias), not here.
        return True

    # ------------------------------------------------------------------
    # What the reply asks, and whether it may
    # ------------------------------------------------------------------

    def _review_handle_reply(self, msg_dict):
        self.ensure_one()
        sender_email = email_normalize(msg_dict.get("email_from") or "")
        sender = self._review_sender_user(sender_email)
        answer_user = sender
        try:
            line, user = self._review_reply_target(msg_dict, sender_email, sender)
            answer_user = user
            with self.env.cr.savepoint():
                decision, text = self._review_decide_reply(msg_dict, line, user)
            self.write({"state": "done", "decision": decision})
        except (UserError, AccessError) as error:
            text = error.args[0]
            self.state = "refused"
            _logger.info("Review reply %s from %s refused: %s", msg_dict.get("message_id"), sender_email, text)
        except Exception:
            # An unexpected failure (a server action run by the decision...) must not reach the mail gateway,
            # which would mark the review alias invalid for every reviewer: the sender is told, the log keeps it.
            _logger.exception("Review reply %s from %s failed", msg_dict.get("message_id"), sender_email)
            text = self.with_context(lang=answer_user.lang or self.env.lang).env._(
                "Your reply could not be processed, so nothing was decided. Open the record in Odoo to decide."
            )
            self.state = "refused"
        self.answer = text
        if answer_user:
            self._review_send_answer(msg_dict, answer_user, text)

    @api.model
    def _review_sender_user(self, sender_email):
        """The active internal user writing from ``sender_email`` (several sharing it: none is sure)."""
        if not sender_email:
            return self.env["res.users"]
        users = self.env["res.users"].sudo().search([("email_normalized", "=", sender_email), ("share", "=", False)])
        return users if len(users) == 1 else self.env["res.users"]

    def _review_reply_target(self, msg_dict, sender_email, sender):
        """(step, reviewer) of the one genuine reference the reply carries, sent by that reviewer, for the
        step's current activation. Raises UserError/AccessError saying why not, in the sender's language."""
        env = self.with_context(lang=sender.lang or self.env.lang).env
        Review = self.env["crm.review"].sudo()
        references = [msg_dict.get(key) for key in ("in_reply_to", "references", "subject", "to")]
        genuine, forged, digest = Review._review_reply_tokens_in(references)
        steps = {(line_id, user_id) for line_id, user_id, _activation in genuine}
        if len(steps) > 1 or (not steps and digest):
            raise UserError(
                env._(
                    "Your reply names several reviews, so nothing was decided. Answer each review on its own: use "
                    "the Reply to decide link of each record in the list, or reply to the email of that review."
                )
            )
        if not genuine:
            if forged:
                raise UserError(env._("The review reference of your reply is not valid, so nothing was decided."))
            raise UserError(
                env._(
                    "Your email does not answer a review email, so nothing was decided: reply to the email that "
                    "asked for your review."
                )
            )
        line_id, user_id, activation = genuine.pop()
        user = self.env["res.users"].sudo().browse(user_id).exists()
        line = Review.browse(line_id).exists()
        self.write(
            {"user_id": user.id, "review_id": line.id, "res_name": line.res_name, "company_id": line.company_id.id}
        )
        if not user or not sender_email or email_normalize(user.email or "") != sender_email:
            raise AccessError(
                env._(
                    "This review email was sent to another reviewer, so nothing was decided: only the reviewer it "
                    "was sent to can answer it, from their own address."
                )
            )
        env = self.with_context(lang=user.lang).env
        if not line or line.res_model not in self.env or not self.env[line.res_model].browse(line.res_id).exists():
            raise UserError(env._("This review no longer exists: its record was deleted."))
        if not line._review_reply_enabled()[line.id]:
            raise UserError(
                env._(
                    "Deciding by replying to emails is switched off for %(record)s: open it in Odoo to decide.",
                    record=line.res_name,
                )
            )
        names = {
            "step": line.with_context(lang=user.lang)._review_step_name(),
            "record": line.res_name,
            "user": line.done_by_id.name or "",
        }
        if line.state == "pending" and line._review_reply_activation() != activation:
            raise UserError(
                env._(
                    "Your reply answers an earlier round of the review of %(record)s, so nothing was decided: "
                    "step %(step)s was opened again since. Answer the latest email, or open the record in Odoo.",
                    **names,
                )
            )
        if line.state == "approved":
            raise UserError(env._("Step %(step)s of %(record)s was already approved by %(user)s.", **names))
        if line.state == "rejected":
            raise UserError(env._("Step %(step)s of %(record)s was already rejected by %(user)s.", **names))
        if line.state != "pending":
            raise UserError(
                env._(
                    "Step %(step)s of %(record)s is no longer waiting for a decision (recalled, resubmitted or sent"
                    " back): open the record to see where its review stands.",
                    **names,
                )
            )
        return line, user

    def _review_decide_reply(self, msg_dict, line, user):
        """Approve or reject ``line`` as ``user`` through the engine (who decides, four eyes, comments...).

        :return: (decision, what the reviewer is told)
        """
        record = self._review_record_as(line, user)
        env = record.env
        names = {"step": line.with_env(env)._review_step_name(), "record": line.res_name}
        if not record.has_access("read"):
            # The engine would refuse with the ORM's generic error: say it in the reviewer's words.
            raise AccessError(
                env._("You can no longer open %(record)s, so nothing was decided: ask a review administrator.", **names)
            )
        command = parse_reply(strip_quoted(html_to_text(msg_dict.get("body"))))
        if not command.decision:
            raise UserError(self._review_unknown_word_text(env, command.word))
        if command.decision == "approve":
            comment = "\n".join(part for part in (command.argument, command.comment) if part)
            record.action_review_approve(comment=comment or None)
            return "approve", env._("You approved step %(step)s of %(record)s.", **names)
        reason = self._review_find_reason(env, command.argument)
        record._review_reject(reason, note=command.comment or False)
        return "reject", env._("You rejected step %(step)s of %(record)s: %(reason)s.", reason=reason.name, **names)

    @api.model
    def _review_record_as(self, line, user):
        """The step's record as ``user`` sees it in the web client, in the record's company when they work
        in it, marked as decided by email (the chatter and the audit trail say so)."""
        companies = user.company_ids
        if line.company_id in companies:
            companies = line.company_id | companies
        return (
            self.env[line.res_model]
            .with_user(user)
            .with_context(
                allowed_company_ids=companies.ids,
                lang=user.lang,
                tz=user.tz,
                crm_review_no_wizard=True,
                crm_review_by_email=DECIDED_BY_EMAIL,
                # The step the reply's reference names, among parallel steps open at once.
                crm_review_line_ids=line.ids,
            )
            .browse(line.res_id)
        )

    @api.model
    def _review_unknown_word_text(self, env, word):
        if not word:
            return env._(
                "Your reply is empty, so nothing was decided. Write Approve or Reject (同意 / 驳回) as the first "
                "word of your reply."
            )
        return env._(
            "The first word of your reply, %(word)s, is not a decision, so nothing was decided. Write Approve or "
            "Reject (同意 / 驳回) as the first word of your reply.",
            word=word[:40],
        )

    @api.model
    def _review_find_reason(self, env, text):
        """The rejection reason named in ``text`` (its name in the reviewer's language or in English), among
        those the reviewer may give (``env``); else a refusal listing them."""
        reasons = env["crm.review.reason"].search_fetch([("reason_type", "=", "reject")], ["name"])
        wanted = (text or "").strip().rstrip(".").casefold()
        if wanted:
            for lang in dict.fromkeys([env.lang or "en_US", "en_US"]):
                for reason in reasons.with_context(lang=lang):
                    if reason.name.casefold() == wanted:
                        return reason.with_env(env)
        names = ", ".join(reasons.mapped("name"))
        if not wanted:
            raise UserError(
                env._(
                    "A rejection needs a reason, so nothing was decided. Write it after Reject on the same line, "
                    "one of: %(reasons)s.",
                    reasons=names,
                )
            )
        raise UserError(
            env._(
                "%(reason)s is not one of your rejection reasons, so nothing was decided. Write one of: %(reasons)s.",
                reason=text[:80],
                reasons=names,
            )
        )

    # ------------------------------------------------------------------
    # The answer
    # ------------------------------------------------------------------

    def _review_send_answer(self, msg_dict, user, text):
        """Email ``text`` back to ``user`` (the sender, a known user), in the thread of their reply."""
        self.ensure_one()
        env = self.with_context(lang=user.lang).env
        alias = self.env["crm.review"]._review_reply_alias()
        email_from = (alias.alias_domain_id.default_from_email if alias else False) or self.env.company.email_formatted
        subject = msg_dict.get("subject") or env._("Your review reply")
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        body = Markup("<p>%s</p><p>%s</p>") % (text, env._("Reviews are also decided in Odoo, from the record."))
        self.env["mail.mail"].sudo().create(
            {
                "subject": subject,
                "email_from": email_from,
                "email_to": user.email_formatted,
                "recipient_ids": [],
                "body_html": body,
                # Shown in the reply's chatter as what was answered, by the system rather than the sender.
                "body": body,
                "author_id": self.env.ref("base.partner_root").id,
                "references": msg_dict.get("message_id") or False,
                # An automatic answer: mail servers and out-of-office tools do not answer it in turn.
                "headers": repr({"Auto-Submitted": "auto-replied", "In-Reply-To": msg_dict.get("message_id") or ""}),
                "model": self._name,
                "res_id": self.id,
                "auto_delete": False,
            }
        )
