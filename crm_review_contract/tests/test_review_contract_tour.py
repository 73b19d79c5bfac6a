from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReviewContractTour(HttpCase):
    def test_contract_review_tour(self):
        self.env["crm.review.rule"].search([]).active = False
        new_test_user(
            self.env, "tour_contracts", groups="account.group_account_manager,crm_review.group_review_submitter"
        )
        reviewer = new_test_user(
            self.env, "tour_legal", groups="account.group_account_manager,crm_review.group_review_reviewer"
        )
        self.env["crm.review.rule"].create(
            {
                "name": "Contracts",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "step_ids": [
                    Command.create({"name": "Legal", "approver_type": "users", "user_ids": [Command.set(reviewer.ids)]})
                ],
            }
        )
        partner = self.env["res.partner"].create({"name": "Contract Customer"})
        contract = self.env["contract.contract"].create({"name": "Support", "partner_id": partner.id})
        url = f"/odoo/contract.contract/{contract.id}"
        self.start_tour(url, "crm_review_contract_submit_tour", login="tour_contracts")
        self.assertEqual(contract.review_state, "pending")
        self.start_tour(url, "crm_review_contract_approve_tour", login="tour_legal")
        self.assertEqual(contract.review_state, "approved")

    def test_contract_list_actions(self):
        """Submit and approve contracts from the list, through the web client's server-action route."""
        self.env["crm.review.rule"].search([]).active = False
        new_test_user(
            self.env, "list_contracts", groups="account.group_account_manager,crm_review.group_review_submitter"
        )
        reviewer = new_test_user(
            self.env, "list_legal", groups="account.group_account_manager,crm_review.group_review_reviewer"
        )
        self.env["crm.review.rule"].create(
            {
                "name": "Customer contracts",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "domain": "[('contract_type', '=', 'sale')]",
                "step_ids": [Command.create({"name": "Legal", "approver_type": "users", "user_ids": reviewer.ids})],
            }
        )
        partner = self.env["res.partner"].create({"name": "Contract Customer"})
        contracts = self.env["contract.contract"].create(
            [
                {"name": "Support", "partner_id": partner.id, "contract_type": "sale"},
                {"name": "Hosting", "partner_id": partner.id, "contract_type": "sale"},
                {"name": "Supplies", "partner_id": partner.id, "contract_type": "purchase"},
            ]
        )

        def run(xmlid, login):
            self.authenticate(login, login)
            return self.make_jsonrpc_request(
                "/web/action/run",
                {
                    "action_id": self.env.ref(xmlid).id,
                    "context": {"active_model": "contract.contract", "active_ids": contracts.ids},
                },
            )

        result = run("crm_review_contract.action_contract_review_submit_selected", "list_contracts")
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("2 submitted; 1 refused", result["params"]["message"])
        self.assertIn("Supplies", result["params"]["message"])
        result = run("crm_review_contract.action_contract_review_approve_selected", "list_legal")
        self.assertIn("2 approved; 1 refused", result["params"]["message"])
        self.assertEqual(contracts.mapped("review_state"), ["approved", "approved", False])
