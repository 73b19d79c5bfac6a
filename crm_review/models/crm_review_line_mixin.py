from odoo import api, models


class CrmReviewLineMixin(models.AbstractModel):
    """Lines of a reviewed record (order lines, contract lines): key content of their parent.

    While the parent is under review its lines are frozen; a change of a line
    of an approved parent sends it back to review (when the lines are a key
    field of its rules). Inheriting models name the parent's many2one, the
    parent's one2many and the line fields whose change alters what was approved.
    """

    _name = "crm.review.line.mixin"
    _description = "Line of a Reviewable Record"

    _review_parent_field = None
    _review_lines_field = None
    _review_line_fields = frozenset()

    def _review_parents(self):
        return self[self._review_parent_field]

    @api.model_create_multi
    def create(self, vals_list):
        parent_model = self._fields[self._review_parent_field].comodel_name
        parent_ids = {vals[self._review_parent_field] for vals in vals_list if vals.get(self._review_parent_field)}
        self.env[parent_model].browse(parent_ids)._review_check_lines_editable(self._review_lines_field)
        lines = super().create(vals_list)
        lines._review_parents()._review_on_lines_changed(self._review_lines_field)
        return lines

    def write(self, vals):
        parents = self._review_parents() if self._review_line_fields & set(vals) else self._review_parents().browse()
        parents._review_check_lines_editable(self._review_lines_field)
        result = super().write(vals)
        parents._review_on_lines_changed(self._review_lines_field)
        return result

    def unlink(self):
        parents = self._review_parents()
        parents._review_check_lines_editable(self._review_lines_field)
        result = super().unlink()
        parents._review_on_lines_changed(self._review_lines_field)
        return result
