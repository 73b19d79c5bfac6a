from ast import literal_eval

from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmReviewTarget(models.AbstractModel):
    """The records a review wizard acts on: given by its context."""

    _name = "crm.review.target"
    _description = "Records a review wizard applies to"

    res_model = fields.Char(required=True, readonly=True)
    res_ids = fields.Char(required=True, readonly=True)
    record_names = fields.Char("Records", compute="_compute_record_names")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if not values.get("res_model") and context.get("active_model") and context.get("active_ids"):
            values["res_model"] = context["active_model"]
            values["res_ids"] = str(context["active_ids"])
        return values

    def _records(self):
        self.ensure_one()
        if self.res_model not in self.env["crm.review.rule"]._reviewable_models():
            raise UserError(self.env._("%(model)s records cannot be reviewed.", model=self.res_model))
        try:
            ids = literal_eval(self.res_ids or "[]")
        except (ValueError, SyntaxError) as e:
            raise UserError(self.env._("Invalid records: %(ids)s", ids=self.res_ids)) from e
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or not ids:
            raise UserError(self.env._("Invalid records: %(ids)s", ids=self.res_ids))
        return self.env[self.res_model].browse(ids)

    @api.depends("res_model", "res_ids")
    def _compute_record_names(self):
        for wizard in self:
            try:
                records = wizard._records()
            except UserError:
                wizard.record_names = False
                continue
            # Read as the user: a record they may not read raises an AccessError.
            wizard.record_names = ", ".join(records.mapped("display_name"))
