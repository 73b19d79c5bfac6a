from odoo import api, models
from odoo.exceptions import UserError


class CrmReviewBulk(models.AbstractModel):
    """Approve or submit the records selected in a list, then say what happened."""

    _name = "crm.review.bulk"
    _description = "Review Several Records"

    @api.model
    def _action_bulk(self, records, action):
        """Run the review ``action`` on ``records`` and return a notification summing it up.

        The list's server actions call this: ``/web/action/run`` needs an action back,
        and the user needs to know which records were refused and why.
        """
        done, refused = self._review_bulk(records, action)
        return self._bulk_notification(action, len(done), refused)

    @api.model
    def _action_bulk_steps(self, lines):
        """Approve the steps selected in the reviewer's inbox (``crm.review`` lines), then say what happened.

        Each line stands for its record: the records are approved model by model, as from their own
        lists. A line that no longer waits for a decision is refused, so that a stale selection never
        decides a record's next step.
        """
        refused, done_count = {}, 0
        pending = lines.filtered(lambda line: line.state == "pending")
        for line in lines - pending:
            refused[line] = line._review_no_longer_pending_text()
        for model_name, model_lines in pending.grouped("res_model").items():
            records = self.env[model_name].browse(dict.fromkeys(model_lines.mapped("res_id")))
            done, model_refused = self._review_bulk(records, "approve")
            done_count += len(done)
            refused.update(model_refused)
        return self._bulk_notification("approve", done_count, refused)

    @api.model
    def _bulk_notification(self, action, done_count, refused):
        """The notification summing up a bulk ``action``: how many were done, which were refused and why."""
        if action == "approve":
            title = self.env._("Approve review")
            summary = self.env._("%(count)s approved", count=done_count)
        else:
            title = self.env._("Submit for review")
            summary = self.env._("%(count)s submitted", count=done_count)
        if refused:
            summary = self.env._(
                "%(summary)s; %(count)s refused: %(reasons)s",
                summary=summary,
                count=len(refused),
                reasons=" ".join(refused.values()),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": summary,
                "type": "warning" if refused else "success",
                "sticky": bool(refused),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _review_bulk(self, records, action):
        """Run ``action`` ("submit" or "approve") on the records the user may, and say why not on the others.

        One refusal does not stop the others.
        :return: (records done, {record: why it was refused})
        """
        Review = self.env["crm.review"]
        refused = {}
        readable = records._filtered_access("read")
        for record in records - readable:
            # By model and id: the name of a record the user cannot read is not theirs to see.
            refused[record] = self.env._("You cannot read %(model)s #%(id)s.", model=record._description, id=record.id)
        if action == "approve":
            allowed, policy_refused = Review._review_decision_policy(readable, Review._review_lines_of(readable))
            refused.update({record: message for record, (_error, message) in policy_refused.items()})
            for record in readable.filtered(lambda r: r.id in allowed):
                line = allowed[record.id][0]
                if line.comment_required:
                    refused[record] = self.env._(
                        "Step %(step)s of %(record)s needs a comment: approve it from the record.",
                        step=line._review_step_name(),
                        record=record.display_name,
                    )
        elif action == "submit":
            required = records.browse()
            for matching in self.env["crm.review.rule"]._rules_for(readable).values():
                required |= matching
            for record in readable:
                if record.review_state == "pending":
                    refused[record] = self.env._("%(record)s is already under review.", record=record.display_name)
                elif record not in required:
                    refused[record] = self.env._(
                        "No review rule applies to %(records)s: there is nothing to submit.",
                        records=record.display_name,
                    )
        else:
            raise UserError(self.env._("Unknown review action: %(action)s", action=action))
        done = readable.filtered(lambda r: r not in refused)
        if done:
            method = "action_review_approve" if action == "approve" else "action_review_submit"
            getattr(done.with_context(crm_review_no_wizard=True), method)()
        return done, refused
