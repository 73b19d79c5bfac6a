from markupsafe import Markup

from odoo import api, fields, models


class CrmReviewRuleActivate(models.TransientModel):
    """Activate a draft rule, once its administrator has seen what it would catch."""

    _name = "crm.review.rule.activate"
    _description = "Activate a Review Rule"

    rule_id = fields.Many2one("crm.review.rule", required=True, ondelete="cascade")
    catch_count = fields.Integer("Records caught", compute="_compute_impact")
    impact = fields.Html(compute="_compute_impact", sanitize=False)

    @api.depends("rule_id")
    def _compute_impact(self):
        for wizard in self:
            impact = wizard.rule_id._review_activation_impact() if wizard.rule_id else {}
            wizard.catch_count = impact.get("count", 0)
            wizard.impact = wizard._impact_html(impact) if wizard.rule_id else False

    def _impact_html(self, impact):
        """The impact of the rule, as the wizard shows it (escaped: record and step names are data)."""
        rule = self.rule_id
        hidden = Markup("<p class='text-muted'>%s</p>") % self.env._(
            "Records you cannot read are neither counted nor shown."
        )
        if impact.get("refusal"):
            return Markup("<div class='alert alert-warning' role='alert'>%s</div>") % impact["refusal"]
        count = impact["count"]
        if not count:
            summary = Markup("<p>%s</p>") % self.env._(
                "No open record of %(model)s matches this rule now: activating it stops nothing today.",
                model=rule.model_id.name,
            )
        else:
            summary = Markup("<p>%s</p>") % self.env._(
                "Activating this rule now catches %(count)s open record(s) of %(model)s: they will need its "
                "approval before they go ahead.",
                count=count,
                model=rule.model_id.name,
            )
            summary += Markup("<p>%s</p>") % self.env._(
                "For example: %(records)s", records=", ".join(impact["examples"].mapped("display_name"))
            )
        if impact["nobody"]:
            summary += Markup("<div class='alert alert-warning' role='alert'>%s</div>") % self.env._(
                "Step %(steps)s would have nobody to ask for some of them, not even a review administrator: "
                "their submission would be refused. Give it reviewers first.",
                steps=", ".join(impact["nobody"]),
            )
        return summary + hidden

    def action_confirm(self):
        """Switch the rule on: from now on the records it matches need its approval."""
        self.ensure_one()
        self.rule_id.write({"state": "active"})
        return True
