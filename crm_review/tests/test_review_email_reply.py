import uuid

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from ..tools.email_reply import MAX_REPLY_CHARS, html_to_text, parse_reply, strip_quoted
from .common import ReviewCommon, RpcMixin
from .screenshots import TourScreenshotsMixin

# A reply as a mail client sends it: RFC 822 headers, then the body (text or HTML).
REPLY_TEMPLATE = """Return-Path: <{return_path}>
To: {to}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Date: Mon, 07 Dec 2026 10:05:00 +0000
Message-ID: {msg_id}
{extra}Content-Type: {content_type}; charset=utf-8
Content-Transfer-Encoding: 8bit

{body}
"""

QUOTED_HISTORY = """
On Mon, 7 Dec 2026 at 09:00, Notifications <notifications@review.example.com> wrote:
> Hello Rita,
> S00042 is waiting for your review at step Manager.
> Reject Wrong data
"""


class EmailReplyCommon(ReviewCommon):
    """An alias domain, the review alias on it, replies switched on, reviewers with their own addresses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": "review.example.com",
                "bounce_alias": "bounce.review",
                "catchall_alias": "catchall.review",
                "default_from": "notifications",
            }
        )
        cls.env.company.alias_domain_id = cls.alias_domain
        cls.alias = cls.env.ref("crm_review.mail_alias_review")
        cls.alias.alias_domain_id = cls.alias_domain
        cls.env.company.review_email_reply = True
        for user, email in (
            (cls.reviewer, "rita@example.com"),
            (cls.reviewer2, "rob@example.com"),
            (cls.director, "dora@example.com"),
            (cls.salesman, "sally@example.com"),
        ):
            user.write({"email": email, "review_notification": "email"})

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _submit(self, count=1):
        orders = self.env["sale.order"]
        for _i in range(count):
            orders |= self._order()
        orders.with_user(self.salesman).action_review_submit()
        # The notification job, as the scheduler runs it right after the submission.
        self.env["crm.review"].sudo()._cron_notify_new_steps()
        return orders

    def _review_emails(self, user):
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("recipient_ids", "in", user.partner_id.ids), ("model", "=", "res.users")], order="id")
        )

    def _turn_email(self, order, user=None):
        user = user or self.reviewer
        mails = self._review_emails(user).filtered(lambda mail: order.name in mail.subject)
        self.assertEqual(len(mails), 1, f"one 'your turn' email about {order.name} to {user.name}")
        return mails

    def _reply(self, mail, body, email_from=None, subject=None, extra="", to=None, content_type="text/plain"):
        """Send a reply to ``mail`` through Odoo's mail gateway; return the reply row it made."""
        if mail:
            extra = f"In-Reply-To: {mail.message_id}\nReferences: {mail.message_id}\n{extra}"
        email_from = email_from or self.reviewer.email_formatted
        message = REPLY_TEMPLATE.format(
            return_path=email_from,
            to=to or (mail.reply_to if mail else self.alias.alias_full_name),
            email_from=email_from,
            subject=subject or (f"Re: {mail.subject}" if mail else "Approve"),
            msg_id=f"<{uuid.uuid4().hex}@phone.example.com>",
            extra=extra,
            content_type=content_type,
            body=body,
        )
        existing = self.env["crm.review.mail.reply"].sudo().search([])
        self.env["mail.thread"].sudo().message_process(None, message)
        return self.env["crm.review.mail.reply"].sudo().search([]) - existing

    def _answers(self, user):
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "crm.review.mail.reply"), ("email_to", "ilike", user.email)], order="id")
        )

    def _answer_text(self, user):
        answers = self._answers(user)
        self.assertEqual(len(answers), 1, f"one answer to {user.name}")
        return answers.body_html

    def _pending_line(self, order):
        return order.review_ids.filtered(lambda line: line.state == "pending")

    def _assert_undecided(self, order, line):
        self.env.invalidate_all()
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(line.state, "pending")
        self.assertEqual(self._log_actions(order), ["submit"])


@tagged("post_install", "-at_install")
class TestReviewEmailReply(EmailReplyCommon):
    # ------------------------------------------------------------------
    # The emails
    # ------------------------------------------------------------------

    def test_turn_email_carries_the_reference_and_reply_instructions(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self.assertEqual(mail.reply_to, "review@review.example.com")
        self.assertIn(line._review_reply_token(self.reviewer), mail.message_id)
        self.assertIn("Decide by replying to this email", mail.body_html)
        self.assertIn("Incomplete information", mail.body_html, "the reasons a rejection may give")
        self.assertIn(f"/crm_review/approve/{line.id}?user_id={self.reviewer.id}", mail.body_html)
        # No "assigned to you" email on top of it.
        self.assertFalse(self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)]))

    def test_switched_off_emails_carry_no_reply_instructions_and_replies_are_refused(self):
        order = self._submit()
        mail = self._turn_email(order)
        line = self._pending_line(order)
        self.env.company.review_email_reply = False
        reply = self._reply(mail, "Approve")
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn("switched off", self._answer_text(self.reviewer))
        # The next emails are Odoo's own, without reply instructions.
        other = self._submit()
        self.assertFalse(self._review_emails(self.reviewer).filtered(lambda mail: other.name in mail.subject))

    # ------------------------------------------------------------------
    # Good replies
    # ------------------------------------------------------------------

    def test_approve_by_reply_with_quoted_history_stripped(self):
        order = self._submit()
        line = self._pending_line(order)
        reply = self._reply(self._turn_email(order), "Approve\n\nLooks fine to me.\n\n-- \nRita, sent from my phone\n")
        self.env.invalidate_all()
        self.assertEqual(line.state, "approved")
        self.assertEqual(line.done_by_id, self.reviewer)
        self.assertEqual(line.note, "Looks fine to me.")
        self.assertEqual(self._pending_line(order).name, "Controller", "the second step is now waiting")
        self.assertEqual((reply.state, reply.decision, reply.user_id), ("done", "approve", self.reviewer))
        log = order.review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual((log.user_id, log.note, log.by_email), (self.reviewer, "Looks fine to me.", True))
        note = order.message_ids.filtered(lambda msg: "Approved step" in (msg.body or ""))
        self.assertEqual(note.author_id, self.reviewer.partner_id)
        self.assertIn("Decided by email reply.", note.body)
        self.assertNotIn("Rita, sent from my phone", note.body)
        self.assertIn(f"You approved step Manager of {order.name}.", self._answer_text(self.reviewer))
        # The reply itself is kept with its row.
        self.assertIn("Looks fine to me.", reply.message_ids[0].body)

    def test_approve_with_history_quoted_by_the_mail_client(self):
        order = self._submit()
        line = self._pending_line(order)
        self._reply(self._turn_email(order), "approved.\nOK for me" + QUOTED_HISTORY)
        self.env.invalidate_all()
        self.assertEqual(line.state, "approved")
        self.assertEqual(line.note, "OK for me", "'Reject Wrong data' of the quoted email is not read")

    def test_approve_by_html_only_reply(self):
        order = self._submit()
        line = self._pending_line(order)
        html = (
            "<html><body><div dir='ltr'>APPROVE<br>Checked the margin.</div><br>"
            "<div class='gmail_quote'><div class='gmail_attr'>On Mon, 7 Dec 2026 at 09:00, Notifications "
            "&lt;notifications@review.example.com&gt; wrote:<br></div>"
            "<blockquote class='gmail_quote'>Reject Wrong data</blockquote></div></body></html>"
        )
        self._reply(self._turn_email(order), html, content_type="text/html")
        self.env.invalidate_all()
        self.assertEqual(line.state, "approved")
        self.assertEqual(line.note, "Checked the margin.")

    def test_reject_by_reply_with_reason_and_comment(self):
        order = self._submit()
        line = self._pending_line(order)
        self._reply(
            self._turn_email(order),
            "Reject Incomplete information\nThe VAT number is missing.\n\n"
            "-----Original Message-----\nFrom: Notifications\nApprove\n",
        )
        self.env.invalidate_all()
        self.assertEqual(order.review_state, "rejected")
        self.assertEqual(
            (line.state, line.reason_id, line.note), ("rejected", self.reject_reason, "The VAT number is missing.")
        )
        log = order.review_log_ids.filtered(lambda row: row.action == "reject")
        self.assertEqual((log.user_id, log.reason_id, log.by_email), (self.reviewer, self.reject_reason, True))
        note = order.message_ids.filtered(lambda msg: "Rejected at step" in (msg.body or ""))
        self.assertIn("Decided by email reply.", note.body)
        self.assertIn("The VAT number is missing.", note.body)
        self.assertIn(
            f"You rejected step Manager of {order.name}: Incomplete information.", self._answer_text(self.reviewer)
        )
        # The submitter's "Fix and resubmit" to-do, as for a click.
        self.assertTrue(self._review_activities(order, self.salesman, "crm_review.mail_activity_type_review_fix"))

    def test_chinese_words(self):
        orders = self.env["sale.order"]
        orders |= self._submit()
        orders |= self._submit()
        first, second = orders
        self._reply(self._turn_email(first), "同意\n没问题")
        self._reply(self._turn_email(second), "驳回 Wrong data\n请核对客户地址")
        self.env.invalidate_all()
        self.assertEqual(self._pending_line(first).name, "Controller")
        self.assertEqual(first.review_log_ids.filtered(lambda row: row.action == "approve").note, "没问题")
        self.assertEqual(second.review_state, "rejected")
        rejection = second.review_log_ids.filtered(lambda row: row.action == "reject")
        self.assertEqual(
            (rejection.reason_id, rejection.note), (self.env.ref("crm_review.reason_wrong_data"), "请核对客户地址")
        )

    def test_reviewer_writing_in_chinese_gets_a_chinese_answer(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_review"], ["zh_CN"], overwrite=True)
        self.reviewer.lang = "zh_CN"
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self.assertIn("直接回复本邮件即可审批", mail.body_html)
        reason_zh = self.reject_reason.with_context(lang="zh_CN").name
        self.assertNotEqual(reason_zh, self.reject_reason.name)
        self._reply(mail, f"驳回 {reason_zh}\n请补充税号")
        self.env.invalidate_all()
        self.assertEqual((line.state, line.reason_id, line.note), ("rejected", self.reject_reason, "请补充税号"))
        self.assertIn(f"您驳回了 {order.name} 的步骤", self._answer_text(self.reviewer))

    def test_many_decisions_by_email_are_not_a_mail_loop(self):
        # Odoo's loop guard stops a sender after 20 rows in two hours: decisions do not count, refusals do.
        rows = [{"email_from": self.reviewer.email_formatted, "state": "done"} for _i in range(25)]
        self.env["crm.review.mail.reply"].sudo().create(rows)
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self._reply(mail, "Approve")
        self.assertEqual(line.state, "approved")
        other = self._submit()
        other_line = self._pending_line(other)
        self.env["crm.review.mail.reply"].sudo().create([dict(row, state="refused") for row in rows])
        reply = self._reply(self._turn_email(other), "Approve")
        self.assertFalse(reply, "an auto-replier's loop is cut by Odoo before it reaches the review")
        self.assertEqual(other_line.state, "pending")

    def test_a_failing_decision_keeps_the_alias_working(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Broken on approval",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "state": "code",
                "code": "raise ValueError('broken action')",
                # Reviewers may run it: it fails for another reason than access.
                "group_ids": [(4, self.env.ref("crm_review.group_review_reviewer").id)],
            }
        )
        self.rule.step_ids[0].action_approved_id = action
        order = self._submit()
        line = self._pending_line(order)
        with mute_logger("odoo.addons.crm_review.models.crm_review_mail_reply"):
            reply = self._reply(self._turn_email(order), "Approve")
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn("could not be processed", self._answer_text(self.reviewer))
        self.assertEqual(self.alias.alias_status, "valid")

    def test_reject_without_a_known_reason_is_refused_with_the_list(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self._reply(mail, "Reject\nnot good")
        self._assert_undecided(order, line)
        answer = self._answer_text(self.reviewer)
        self.assertIn("A rejection needs a reason", answer)
        self.assertIn("Wrong data", answer)

    def test_comment_required_step_needs_a_comment_below(self):
        self.rule.step_ids[0].comment_required = True
        order = self._submit()
        line = self._pending_line(order)
        self._reply(self._turn_email(order), "Approve")
        self._assert_undecided(order, line)
        self.assertIn("needs a comment", self._answer_text(self.reviewer))

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------

    def test_wrong_sender_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        # Forwarded to a colleague, who answers it.
        reply = self._reply(mail, "Approve", email_from=self.reviewer2.email_formatted)
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn("sent to another reviewer", self._answer_text(self.reviewer2))
        self.assertFalse(self._answers(self.reviewer))

    def test_unknown_sender_gets_no_answer(self):
        order = self._submit()
        line = self._pending_line(order)
        reply = self._reply(self._turn_email(order), "Approve", email_from="mallory@evil.example.com")
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertFalse(self.env["mail.mail"].sudo().search([("email_to", "ilike", "mallory")]))

    def test_spoofed_sender_without_reference_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        # The reviewer's address in From, no reference: written by anyone.
        reply = self._reply(False, "Approve", subject=f"Re: To review: {order.name} (Manager)")
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn("does not answer a review email", self._answer_text(self.reviewer))

    def test_tampered_reference_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        token = line._review_reply_token(self.reviewer)
        forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
        message_id = mail.message_id.replace(token, forged)
        reply = self._reply(
            False,
            "Approve",
            subject=f"Re: {mail.subject}",
            extra=f"In-Reply-To: {message_id}\nReferences: {message_id}\n",
        )
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn("not valid", self._answer_text(self.reviewer))
        # Another step's reference, for another reviewer, renamed to this one: the signature does not match.
        other = token.replace(f"-{self.reviewer.id}-", f"-{self.reviewer2.id}-", 1)
        self._reply(False, "Approve", email_from=self.reviewer2.email_formatted, subject=f"Re: [{other}]")
        self._assert_undecided(order, line)

    def test_reply_to_an_earlier_activation_decides_nothing(self):
        order = self._submit()
        mail = self._turn_email(order)
        # Recalled and resubmitted: the step waiting now is a new one.
        order.with_user(self.salesman).action_review_recall()
        order.with_user(self.salesman).action_review_submit()
        self._reply(mail, "Approve")
        self.env.invalidate_all()
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._pending_line(order).name, "Manager")
        self.assertNotIn("approve", self._log_actions(order))
        self.assertIn("no longer waiting for a decision", self._answer_text(self.reviewer))

    def test_reply_to_an_earlier_opening_of_the_same_step_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        # The same step opened again (a new activation of the line).
        line.sudo().write({"pending_since": line.pending_since.replace(year=line.pending_since.year - 1)})
        self._reply(mail, "Approve")
        self._assert_undecided(order, line)
        self.assertIn("earlier round", self._answer_text(self.reviewer))

    def test_reply_to_a_step_decided_meanwhile(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        order.with_user(self.reviewer).action_review_approve()
        self._reply(mail, "Reject Wrong data")
        self.env.invalidate_all()
        self.assertEqual(line.state, "approved")
        self.assertEqual(self._log_actions(order), ["approve", "submit"])
        self.assertIn("already approved by Rita Reviewer", self._answer_text(self.reviewer))

    def test_unknown_word_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        self._reply(self._turn_email(order), "Maybe later\nI am on holiday")
        self._assert_undecided(order, line)
        self.assertIn("The first word of your reply, Maybe, is not a decision", self._answer_text(self.reviewer))

    def test_reviewer_who_lost_the_reviewer_access_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self.reviewer.sudo().write({"group_ids": [(3, self.env.ref("crm_review.group_review_reviewer").id)]})
        self.assertFalse(self.reviewer._review_is_reviewer())
        reply = self._reply(mail, "Approve")
        self._assert_undecided(order, line)
        self.assertEqual(reply.state, "refused")
        self.assertIn(f"You can no longer open {order.name}", self._answer_text(self.reviewer))

    def test_reviewer_who_lost_the_reviewer_access_but_reads_the_record_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        # Still reads every order (a sales manager), no longer a reviewer.
        self.reviewer.sudo().write(
            {
                "group_ids": [
                    (3, self.env.ref("crm_review.group_review_reviewer").id),
                    (4, self.env.ref("sales_team.group_sale_salesman_all_leads").id),
                ]
            }
        )
        self._reply(mail, "Approve")
        self._assert_undecided(order, line)
        self.assertIn("you do not have the Reviewer access", self._answer_text(self.reviewer))

    def test_submitter_replying_decides_nothing(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        self._reply(mail, "Approve", email_from=self.salesman.email_formatted)
        self._assert_undecided(order, line)
        self.assertIn("sent to another reviewer", self._answer_text(self.salesman))

    def test_digest_links_each_record_and_a_reply_to_it_is_refused(self):
        # Two steps at once: one list for both, each with its own reply link.
        orders = self.env["sale.order"]
        for _i in range(2):
            orders |= self._order()
        orders.with_user(self.salesman).action_review_submit()
        self.env["crm.review"].sudo()._cron_notify_new_steps()
        digest = self._review_emails(self.reviewer)
        self.assertEqual(len(digest), 1)
        self.assertEqual(digest.reply_to, "review@review.example.com")
        lines = orders.review_ids.filtered(lambda line: line.state == "pending")
        for line in lines:
            self.assertIn(line._review_reply_token(self.reviewer), digest.body_html)
        self.assertIn("mailto:review@review.example.com?subject=", digest.body_html)
        reply = self._reply(digest, "Approve")
        self.env.invalidate_all()
        self.assertEqual(set(orders.mapped("review_state")), {"pending"})
        self.assertEqual(reply.state, "refused")
        self.assertIn("names several reviews", self._answer_text(self.reviewer))
        # The reply link of one record (a new email, the reference in its subject) decides that record only.
        first = lines[0]
        subject = f"Re: {first.res_name} [{first._review_reply_token(self.reviewer)}]"
        self._reply(False, "Approve\nfine", subject=subject)
        self.env.invalidate_all()
        self.assertEqual(first.state, "approved")
        self.assertEqual(lines[1].state, "pending")
        # A reply naming both records decides neither.
        second = lines[1]
        both = f"Re: [{second._review_reply_token(self.reviewer)}]"
        mail_first = f"<{first._review_reply_token(self.reviewer)}.x@review.example.com>"
        self._reply(False, "Approve", subject=both, extra=f"References: {mail_first}\n")
        self.env.invalidate_all()
        self.assertEqual(second.state, "pending")
        self.assertIn("names several reviews", self._answers(self.reviewer)[-1].body_html)


@tagged("post_install", "-at_install")
class TestReviewEmailReplyRpc(RpcMixin, HttpCase, EmailReplyCommon):
    """Over RPC, as real users: nobody feeds the reply model directly, nor makes a click look like a reply."""

    def test_reply_model_cannot_be_fed_or_changed_over_rpc(self):
        order = self._submit()
        line = self._pending_line(order)
        mail = self._turn_email(order)
        # A colleague holding the reviewer's email calls the gateway's handler directly, as the reviewer.
        msg_dict = {
            "email_from": self.reviewer.email_formatted,
            "subject": f"Re: {mail.subject}",
            "in_reply_to": mail.message_id,
            "references": mail.message_id,
            "to": "review@review.example.com",
            "body": "<p>Approve</p>",
            "message_id": "<forged@example.com>",
        }
        for user in (self.reviewer2, self.review_admin):
            self.assertRpcRefused(
                "You are not allowed to create", user, "crm.review.mail.reply", "message_new", msg_dict
            )
        self.assertEqual(line.state, "pending")
        self.assertFalse(self.env["crm.review.mail.reply"].sudo().search([]))
        # What replies asked stays theirs: reviewers do not read it, administrators cannot change it.
        self._reply(mail, "Approve")
        reply = self.env["crm.review.mail.reply"].sudo().search([])
        self.assertRpcRefused(
            "You are not allowed to access", self.reviewer2, "crm.review.mail.reply", "search_read", []
        )
        rows = self.rpc(self.review_admin, "crm.review.mail.reply", "search_read", [], ["state", "decision"])
        self.assertEqual(rows, [{"id": reply.id, "state": "done", "decision": "approve"}])
        self.assertRpcRefused(
            "You are not allowed to modify",
            self.review_admin,
            "crm.review.mail.reply",
            "write",
            [reply.id],
            {"state": "refused"},
        )

    def test_a_click_cannot_claim_to_come_by_email(self):
        order = self._submit()
        self.rpc(
            self.reviewer,
            "sale.order",
            "action_review_approve",
            [order.id],
            context={"crm_review_by_email": True, "crm_review_no_wizard": True},
        )
        self.assertEqual(self._pending_line(order).name, "Controller")
        log = order.review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual((log.user_id, log.by_email), (self.reviewer, False))
        note = order.message_ids.filtered(lambda msg: "Approved step" in (msg.body or ""))
        self.assertNotIn("by email", note.body)


@tagged("post_install", "-at_install")
class TestReviewEmailReplySettingsTour(TourScreenshotsMixin, HttpCase):
    """Settings › Reviews: the switch, and the review alias replies go to."""

    def test_switch_on_in_settings(self):
        domain = self.env["mail.alias.domain"].create({"name": "review.example.com"})
        self.env.company.alias_domain_id = domain
        self.env.ref("crm_review.mail_alias_review").alias_domain_id = domain
        self.env.company.review_email_reply = False
        self.start_tour("/odoo/settings", "crm_review_email_reply_settings_tour", login="admin")
        self.assertTrue(self.env.company.review_email_reply)


@tagged("post_install", "-at_install")
class TestReviewEmailReplyTours(TourScreenshotsMixin, HttpCase, EmailReplyCommon):
    """In the web client: the replies, with the answers their senders got."""

    def test_email_replies_list(self):
        self.env.ref("base.user_admin").write({"group_ids": [(4, self.env.ref("crm_review.group_review_manager").id)]})
        approved, refused = self._submit(), self._submit()
        self._reply(self._turn_email(approved), "Approve\nLooks fine to me.")
        self._reply(self._turn_email(refused), "Maybe\nlater")
        self.start_tour(
            "/odoo/action-crm_review.crm_review_mail_reply_action", "crm_review_email_replies_list_tour", login="admin"
        )


@tagged("post_install", "-at_install")
class TestReviewEmailReplyParser(TransactionCase):
    """The reply parser on bad input: what it reads of a body, never an error."""

    def test_bad_input_table(self):
        huge = "Approve\n" + "x" * (MAX_REPLY_CHARS * 2)
        cases = [
            # (what, body as Odoo stored it, decision, word, argument, comment)
            ("empty body", "", None, "", "", ""),
            ("None body", None, None, "", "", ""),
            ("whitespace", "<p> \n\t </p><p>&nbsp;</p>", None, "", "", ""),
            (
                "HTML-only body",
                "<div>Reject <b>Wrong data</b></div><div>see the address</div>",
                "reject",
                "Reject",
                "Wrong data",
                "see the address",
            ),
            ("only quoted text", "<blockquote>Approve</blockquote>", None, "", "", ""),
            ("only quoted lines", "<pre>&gt; Approve\n&gt; fine</pre>", None, "", "", ""),
            ("mixed case", "<pre>APPROVE</pre>", "approve", "APPROVE", "", ""),
            ("word with a full stop", "<pre>approved.</pre>", "approve", "approved", "", ""),
            ("punctuation after the word", "<pre>Reject: Wrong data</pre>", "reject", "Reject", "Wrong data", ""),
            ("Chinese without space", "<pre>驳回资料不全</pre>", "reject", "驳回", "资料不全", ""),
            ("Chinese comma", "<pre>同意，没问题</pre>", "approve", "同意", "没问题", ""),
            ("blank lines first", "<pre>\n\n  Approve  \n\nok</pre>", "approve", "Approve", "", "ok"),
            ("unknown word", "<pre>Approvable</pre>", None, "Approvable", "", ""),
            (
                "Outlook header block",
                "<pre>Approve\n\nFrom: Notifications\nSent: Monday\nReject</pre>",
                "approve",
                "Approve",
                "",
                "",
            ),
            ("Chinese header block", "<pre>同意\n\n发件人: Notifications\n驳回</pre>", "approve", "同意", "", ""),
            (
                "Chinese quote line",
                "<pre>同意\n在 2026年12月7日 周一 09:00，Notifications 写道：\n驳回</pre>",
                "approve",
                "同意",
                "",
                "",
            ),
            (
                "wrapped 'wrote:' line",
                "<pre>Approve\nOn Mon, 7 Dec 2026 at 09:00, Notifications\n"
                "&lt;n@example.com&gt; wrote:\n&gt; Reject</pre>",
                "approve",
                "Approve",
                "",
                "",
            ),
            ("not HTML at all", "Approve", "approve", "Approve", "", ""),
            ("broken HTML", "<div><p>Approve<br>ok", "approve", "Approve", "", "ok"),
        ]
        for what, body, decision, word, argument, comment in cases:
            with self.subTest(what):
                command = parse_reply(strip_quoted(html_to_text(body)))
                self.assertEqual(
                    (command.decision, command.word, command.argument, command.comment),
                    (decision, word, argument, comment),
                )
        with self.subTest("huge body"):
            text = html_to_text(f"<pre>{huge}</pre>")
            self.assertLessEqual(len(text), MAX_REPLY_CHARS)
            self.assertEqual(parse_reply(strip_quoted(text)).decision, "approve")
