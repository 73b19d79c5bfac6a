from odoo import api, models
from odoo.fields import Domain


class CrmReviewRecordAccess(models.AbstractModel):
    """Review data about a record (``res_model``, ``res_id``) is read like ``mail.activity``.

    Review lines, the audit trail and the analysis: a search returns the rows
    of records the user may read, and reading a row by id needs read access to
    its record. Review administrators read every row (of their companies).
    """

    _name = "crm.review.record.access"
    _description = "Review Data Following its Record"

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, *, active_test=True, bypass_access=False):
        """Only the rows of records the user may read (review administrators: all)."""
        lines = self.env["crm.review"]
        if not (bypass_access or lines._review_reads_all()):
            domain = Domain(domain) & lines._review_readable_records_domain()
        return super()._search(domain, offset, limit, order, active_test=active_test, bypass_access=bypass_access)

    def _check_access(self, operation):
        """Reading a row by id needs read access to its record, as searching does."""
        return self.env["crm.review"]._review_record_access(self, operation, super()._check_access(operation))
