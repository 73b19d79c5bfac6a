import calendar
import re
import uuid
from urllib.parse import quote

from odoo import api, models
from odoo.tools import consteq
from odoo.tools.misc import format_datetime, hmac

# The reference a reply carries (in In-Reply-To / References, or the subject of a Reply link):
# crmreview-<line id>-<user id>-<activation>-<signature>, signed with the database secret.
REPLY_TOKEN = re.compile(r"crmreview-(\d{1,10})-(\d{1,10})-(\d{1,12})-([0-9a-f]{32})")
# The Message-Id of a digest: a reply to it names no single step.
DIGEST_TOKEN = re.compile(r"crmreview-digest-\d+")


class CrmReview(models.Model):
    """Reply-by-email links of review steps: the signed reference of one activation of a step for one reviewer."""

    _inherit = "crm.review"

    def _review_reply_activation(self):
        """This activation of the step: a step re-opened later (sent back, resubmitted) has another one."""
        self.ensure_one()
        return calendar.timegm(self.pending_since.timetuple()) if self.pending_since else 0

    @api.model
    def _review_reply_signature(self, line_id, user_id, activation):
        return hmac(self.env(su=True), "crm_review.email_reply", (int(line_id), int(user_id), int(activation)))[:32]

    def _review_reply_token(self, user):
        """The reference of this step's current activation, for ``user`` only."""
        self.ensure_one()
        activation = self._review_reply_activation()
        signature = self._review_reply_signature(self.id, user.id, activation)
        return f"crmreview-{self.id}-{user.id}-{activation}-{signature}"

    @api.model
    def _review_reply_tokens_in(self, texts):
        """({(line id, user id, activation)} of the genuine references found in ``texts``,
        whether a forged or altered reference was seen, whether a digest's Message-Id was seen)."""
        genuine, forged, digest = set(), False, False
        for text in texts:
            text = text or ""
            digest = digest or bool(DIGEST_TOKEN.search(text))
            for line_id, user_id, activation, signature in REPLY_TOKEN.findall(text):
                if consteq(self._review_reply_signature(line_id, user_id, activation), signature):
                    genuine.add((int(line_id), int(user_id), int(activation)))
                else:
                    forged = True
        return genuine, forged, digest

    @api.model
    def _review_reply_alias(self):
        """The review alias replies go to, when it has a full address (an alias domain); else empty."""
        alias = self.env.ref("crm_review.mail_alias_review", raise_if_not_found=False)
        alias = alias.sudo() if alias else self.env["mail.alias"]
        return alias if alias.alias_domain_id and alias.alias_name else self.env["mail.alias"]

    def _review_reply_enabled(self):
        """{line id: True when its reviewers may decide it by replying} (company switch, and an alias)."""
        if not self._review_reply_alias():
            return dict.fromkeys(self.ids, False)
        return self.env["res.company"]._review_setting_by_record(self, "review_email_reply")

    def _review_reply_mailto(self, user, address):
        """A mailto: link answering this step as ``user``: to the review alias, the reference in the subject."""
        self.ensure_one()
        subject = f"Re: {self.res_name} [{self._review_reply_token(user)}]"
        return f"mailto:{address}?subject={quote(subject)}&body={quote('Approve' + chr(10) + chr(10))}"

    @api.model
    def _review_reply_message_id(self, reference, alias):
        """A unique Message-Id carrying ``reference``: replies quote it in In-Reply-To and References."""
        return f"<{reference}.{uuid.uuid4().hex[:12]}@{alias.alias_domain_id.name}>"

    @api.model
    def _review_reply_reasons(self, user):
        """Names of the rejection reasons ``user`` may give, in their language."""
        reasons = (
            self.env["crm.review.reason"]
            .with_user(user)
            .with_context(lang=user.lang)
            .search_fetch([("reason_type", "=", "reject")], ["name"])
        )
        return reasons.mapped("name")

    def _send_reply_turn_emails(self, lines_by_user):
        """The "your turn" email of one step, to be answered by email: reply-to the review alias, the step's
        reference in its Message-Id (see ``crm.review.mail.reply``)."""
        template = self.env.ref("crm_review.mail_template_review_reply_turn", raise_if_not_found=False)
        alias = self._review_reply_alias()
        if not template or not alias:
            return
        base_url = self[:1].get_base_url()
        lines = self.union(*lines_by_user.values())
        details = lines._digest_details()
        for user, line in lines_by_user.items():
            reference = line._review_reply_token(user)
            template.with_context(
                review_line=dict(
                    details[line.id],
                    step=line.with_context(lang=user.lang)._review_step_name(),
                    since=format_datetime(self.env, line.pending_since, tz=user.tz, lang_code=user.lang)
                    if line.pending_since
                    else "",
                    url=f"{base_url}/odoo/{line.res_model}/{line.res_id}",
                    approve_url=base_url + line._review_approve_link(user),
                    reply_url=line._review_reply_mailto(user, alias.alias_full_name),
                    reference=reference,
                ),
                review_reasons=self._review_reply_reasons(user),
                lang=user.lang,
            ).send_mail(
                user.id,
                email_layout_xmlid=False,
                email_values={
                    "reply_to": alias.alias_full_name,
                    "message_id": self._review_reply_message_id(reference, alias),
                },
            )

    def _review_digest_reply_values(self, user):
        """(email values, {line id: mailto link}) of a digest to ``user``: each step its own reply link, and
        a reply to the digest itself reaching the review alias, to be told it names no single step."""
        enabled = self._review_reply_enabled()
        replyable = self.filtered(lambda line: enabled[line.id])
        if not replyable:
            return {}, {}
        alias = self._review_reply_alias()
        links = {line.id: line._review_reply_mailto(user, alias.alias_full_name) for line in replyable}
        reference = f"crmreview-digest-{user.id}"
        values = {"reply_to": alias.alias_full_name, "message_id": self._review_reply_message_id(reference, alias)}
        return values, links
