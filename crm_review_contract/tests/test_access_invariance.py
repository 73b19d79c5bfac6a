from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.crm_review.tests.test_access_invariance import AccessInvarianceCase


@tagged("post_install", "-at_install")
class TestContractAccessInvariance(AccessInvarianceCase):
    @classmethod
    def _create_records(cls):
        if not cls.env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", cls.env.company.id)]):
            cls.env["account.journal"].create({"name": "Sales", "code": "SAJI", "type": "sale"})
        # Reviewed (pending), reviewed in the past, reviewed by somebody else, not reviewed.
        contracts = cls.env["contract.contract"].create(
            [
                {
                    "name": f"Invariance Contract {number}",
                    "partner_id": cls.customer.id,
                    "user_id": cls.other_salesman.id,
                    "line_recurrence": False,
                    "recurring_next_date": "2020-01-01",
                    "date_start": "2020-01-01",
                    "recurring_rule_type": "monthly",
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "name": "Monthly service",
                                "quantity": 1,
                                "price_unit": 100,
                                "date_start": "2020-01-01",
                                "recurring_next_date": "2020-01-01",
                            }
                        )
                    ],
                }
                for number in range(4)
            ]
        )
        cls._review(contracts[0], cls.reviewers)
        cls._review(contracts[1], cls.reviewers, state="approved")
        cls._review(contracts[2], cls.other_reviewer)
        cls.records = {"contract.contract": contracts.ids, "contract.line": contracts.contract_line_ids.ids}
        cls.reviewed = {
            "contract.contract": set(contracts[:2].ids),
            "contract.line": set(contracts[:2].contract_line_ids.ids),
        }

    def test_access_invariant_but_reviewed_contracts(self):
        """Accounting users read and write the contracts they did; reviewers also read what they review."""
        self._assert_access_invariant()
