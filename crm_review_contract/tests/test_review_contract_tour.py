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
