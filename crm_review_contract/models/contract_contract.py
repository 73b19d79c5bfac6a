from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain


class ContractContract(models.Model):
    _name = "contract.contract"
    _inherit = ["contract.contract", "crm.review.mixin"]

    _review_default_key_fields = ("contract_line_ids", "partner_id", "pricelist_id", "line_recurrence")
    # A contract invoices for as long as it runs, so its review never ends: the mixin's
    # ``_review_resettable`` (every record) stands, and a change after approval needs a new one.

    def _review_authority_amounts(self):
        """A contract's authority amount is its monthly recurring value: the sum of its lines'
        ``monthly_recurring`` (each line's subtotal per month, whatever its invoicing period), in the
        contract's currency at its start date (today when it has none)."""
        today = fields.Date.context_today(self)
        contracts = self.sudo()
        contracts.contract_line_ids.fetch(["monthly_recurring"])
        return {
            contract.id: (
                sum(contract.contract_line_ids.mapped("monthly_recurring")),
                contract.currency_id or contract.company_id.currency_id,
                contract.date_start or today,
            )
            for contract in contracts
        }

    @api.model
    def _review_open_domain(self):
        """Running contracts: one that has ended invoices no more."""
        today = fields.Date.context_today(self)
        return super()._review_open_domain() & (Domain("date_end", "=", False) | Domain("date_end", ">=", today))

    def _get_contracts_to_invoice_domain(self, date_ref=None):
        """The invoicing cron and the manual wizard skip contracts awaiting approval."""
        domain = super()._get_contracts_to_invoice_domain(date_ref)
        return Domain(domain) & (Domain("review_state", "=", "approved") | Domain("review_required", "=", False))

    def recurring_create_invoice(self):
        """The "Create invoices" button does not go through the domain above."""
        blocked = self._review_blocking_records()
        if blocked:
            raise UserError(
                self.env._(
                    "No invoice until the contract is approved. %(status)s", status=blocked[0]._review_status_text()
                )
            )
        return super().recurring_create_invoice()
