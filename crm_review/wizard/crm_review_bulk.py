from odoo import api, models


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
        done, refused = records._review_bulk(action)
        if action == "approve":
            title = self.env._("Approve review")
            summary = self.env._("%(count)s approved", count=len(done))
        else:
            title = self.env._("Submit for review")
            summary = self.env._("%(count)s submitted", count=len(done))
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
