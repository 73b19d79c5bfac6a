from markupsafe import Markup

from odoo import api, fields, models

# Reminders listed by the preview; the rest are counted.
PREVIEW_ROWS = 200


class CrmReviewReminderPreview(models.TransientModel):
    """What a reminder rule's next run would send, to whom and how, without sending anything."""

    _name = "crm.review.reminder.preview"
    _description = "Preview a Reminder Rule"

    rule_id = fields.Many2one("crm.review.reminder.rule", required=True, ondelete="cascade")
    reminder_count = fields.Integer("Reminders", compute="_compute_result")
    result = fields.Html(compute="_compute_result", sanitize=False)

    @api.depends("rule_id")
    def _compute_result(self):
        for wizard in self:
            preview = wizard.rule_id._preview() if wizard.rule_id else {}
            wizard.reminder_count = len(preview.get("rows", ()))
            wizard.result = wizard._result_html(preview) if wizard.rule_id else False

    def _result_html(self, preview):
        """The preview as a table (escaped: names are data), and what it leaves out."""
        hidden = Markup("<p class='text-muted'>%s</p>") % self.env._(
            "Records you cannot read are neither listed nor counted here: the run reminds their recipients all the "
            "same."
        )
        if preview.get("refusal"):
            return Markup("<div class='alert alert-warning' role='alert'>%s</div>") % preview["refusal"] + hidden
        rule = self.rule_id
        notes = Markup()
        if not rule.active:
            notes += Markup("<div class='alert alert-info' role='alert'>%s</div>") % self.env._(
                "This rule is archived: the next run sends nothing. Here is what it would send if it were active."
            )
        rows = preview["rows"]
        if not rows:
            body = Markup("<p>%s</p>") % self.env._("Nothing to send: no record you may read is due today.")
        else:
            lines = Markup()
            for record, date, user, channels in rows[:PREVIEW_ROWS]:
                lines += Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                    record.display_name,
                    fields.Date.to_string(date),
                    user.name,
                    ", ".join(channels),
                )
            body = Markup("<p>%s</p>") % self.env._(
                "The next run would send %(count)s reminder(s) about %(records)s record(s):",
                count=len(rows),
                records=len({record.id for record, *_rest in rows}),
            )
            body += Markup(
                "<table class='table table-sm o_crm_review_preview'><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
                "<th>%s</th></tr></thead><tbody>%s</tbody></table>"
            ) % (self.env._("Record"), self.env._("Date"), self.env._("Recipient"), self.env._("Channels"), lines)
            if len(rows) > PREVIEW_ROWS:
                body += Markup("<p>%s</p>") % self.env._(
                    "And %(count)s more reminder(s).", count=len(rows) - PREVIEW_ROWS
                )
        if preview["left_out"]:
            body += Markup("<p>%s</p>") % self.env._(
                "Left out: %(count)s reminder(s), the recipient cannot read the record.", count=preview["left_out"]
            )
        return notes + body + hidden
