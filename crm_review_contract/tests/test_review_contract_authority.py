import xmlrpc.client

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_review.tests.common import ReviewCommon

REVIEWER = "base.group_user,crm_review.group_review_reviewer"


@tagged("post_install", "-at_install")
class TestReviewContractAuthority(HttpCase, ReviewCommon):
    """A contract's authority amount is its monthly recurring value, whatever the lines' periods."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        cls.carl = new_test_user(
            cls.env,
            "auth_carl",
            groups="account.group_account_manager,crm_review.group_review_reviewer",
            name="Carl Contracts",
        )
        cls.mia = new_test_user(cls.env, "auth_mia", groups=REVIEWER, name="Mia Manager")
        cls.dora = new_test_user(cls.env, "auth_dora", groups=REVIEWER, name="Dora Director")
        cls.carl.review_manager_id = cls.mia
        cls.mia.review_manager_id = cls.dora
        usd = cls.env.company.currency_id
        cls.env["crm.review.authority"].create(
            [
                {"user_id": cls.mia.id, "model": "contract.contract", "max_amount": 15000, "currency_id": usd.id},
                {"user_id": cls.dora.id, "model": "contract.contract", "max_amount": 50000, "currency_id": usd.id},
            ]
        )
        cls.env["crm.review.rule"].create(
            {
                "name": "Contracts by authority",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("contract.contract"),
                "step_ids": [Command.create({"name": "Authority", "approver_type": "authority"})],
            }
        )
        cls.service = cls.env["product.product"].create({"name": "Service", "taxes_id": False})

    def _contract(self, lines):
        return self.env["contract.contract"].create(
            {
                "name": "Outsourcing",
                "partner_id": self.customer.id,
                "line_recurrence": True,
                "date_start": "2020-01-01",
                "contract_line_ids": [
                    Command.create(
                        {
                            "product_id": self.service.id,
                            "name": name,
                            "quantity": 1,
                            "price_unit": price,
                            "recurring_rule_type": period,
                            "date_start": "2020-01-01",
                            "recurring_next_date": "2020-01-01",
                        }
                    )
                    for name, price, period in lines
                ],
            }
        )

    def rpc(self, user, model, method, *args):
        self.env.flush_all()
        try:
            return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, list(args))
        finally:
            self.env.invalidate_all()

    def test_monthly_recurring_value_climbs_the_chain(self):
        # 10,000 a month and 120,000 a year: 20,000 a month, over Mia's 15,000.
        contract = self._contract([("Support", 10000, "monthly"), ("Licence", 120000, "yearly")])
        self.rpc(self.carl, "contract.contract", "action_review_submit", [contract.id])
        lines = contract.sudo().review_ids.sorted("position")
        self.assertEqual(
            lines.mapped("name"),
            ["Authority: Mia Manager (up to 15,000.00 USD)", "Authority: Dora Director (up to 50,000.00 USD)"],
        )
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                self.rpc(self.carl, "contract.contract", "action_review_approve", [contract.id])
        self.assertIn("you submitted it", caught.exception.faultString)
        self.rpc(self.mia, "contract.contract", "action_review_approve", [contract.id])
        self.rpc(self.dora, "contract.contract", "action_review_approve", [contract.id])
        self.assertEqual(contract.review_state, "approved")

    def test_within_the_first_authority(self):
        contract = self._contract([("Support", 12000, "monthly")])
        self.rpc(self.carl, "contract.contract", "action_review_submit", [contract.id])
        self.assertEqual(contract.sudo().review_ids.name, "Authority: Mia Manager (up to 15,000.00 USD)")
