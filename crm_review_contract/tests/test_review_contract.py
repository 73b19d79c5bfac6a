import ast

from lxml import etree

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_review.tests.common import ReviewCommon
from odoo.addons.crm_review_contract.hooks import uninstall_hook


@tagged("post_install", "-at_install")
class TestReviewContract(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_user = new_test_user(
            cls.env,
            "rv_contracts",
            groups="account.group_account_manager,crm_review.group_review_submitter",
            name="Carl Contracts",
        )
        cls.contract_rule = cls.env["crm.review.rule"].create(
            {
                "name": "All contracts",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("contract.contract"),
                "step_ids": [
                    Command.create(
                        {"name": "Legal", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    )
                ],
            }
        )
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.env.company.id)], limit=1
        ) or cls.env["account.journal"].create({"name": "Sales", "code": "SAJT", "type": "sale"})

    def _contract(self):
        return self.env["contract.contract"].create(
            {
                "name": "Maintenance",
                "partner_id": self.customer.id,
                "line_recurrence": False,
                "recurring_next_date": "2020-01-01",
                "date_start": "2020-01-01",
                "recurring_rule_type": "monthly",
                "contract_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "name": "Monthly maintenance",
                            "quantity": 1,
                            "price_unit": 100,
                            "date_start": "2020-01-01",
                            "recurring_next_date": "2020-01-01",
                        }
                    )
                ],
            }
        )

    def _invoices(self, contract):
        return self.env["account.move"].search(
            [("invoice_line_ids.contract_line_id", "in", contract.contract_line_ids.ids)]
        )

    def test_unapproved_contract_not_invoiced_by_button(self):
        contract = self._contract()
        self.assertTrue(contract.review_required)
        with self.assertRaisesRegex(UserError, "No invoice until the contract is approved"):
            contract.recurring_create_invoice()
        self.assertFalse(self._invoices(contract))

    def test_cron_skips_unapproved_then_invoices_approved(self):
        contract = self._contract()
        self.env["contract.contract"].cron_recurring_create_invoice()
        self.assertFalse(self._invoices(contract), "the cron skips contracts awaiting review")
        contract.with_user(self.contract_user).action_review_submit()
        self.env["contract.contract"].cron_recurring_create_invoice()
        self.assertFalse(self._invoices(contract), "a pending review still blocks invoicing")
        contract.with_user(self.reviewer).action_review_approve()
        self.assertEqual(contract.review_state, "approved")
        self.env["contract.contract"].cron_recurring_create_invoice()
        self.assertTrue(self._invoices(contract))

    def test_contract_without_rule_invoices(self):
        self.contract_rule.active = False
        contract = self._contract()
        self.assertFalse(contract.review_required)
        contract.recurring_create_invoice()
        self.assertTrue(self._invoices(contract))

    def test_reject_and_key_field_reset(self):
        contract = self._contract()
        contract.with_user(self.contract_user).action_review_submit()
        self._reject(contract, self.reviewer, note="Wrong price")
        self.assertEqual(contract.review_state, "rejected")
        contract.with_user(self.contract_user).action_review_submit()
        contract.with_user(self.reviewer).action_review_approve()
        contract.write({"contract_line_ids": [Command.update(contract.contract_line_ids.id, {"price_unit": 200})]})
        self.assertEqual(contract.review_state, "draft")

    def test_reviewer_reads_contract_under_review(self):
        legal = new_test_user(self.env, "rv_legal", groups="base.group_user,crm_review.group_review_reviewer")
        self.contract_rule.step_ids.user_ids = [Command.set(legal.ids)]
        contract = self._contract()
        self.assertFalse(self.env["contract.contract"].with_user(legal).search([("id", "=", contract.id)]))
        contract.with_user(self.contract_user).action_review_submit()
        self.assertEqual(self.env["contract.contract"].with_user(legal).search([("id", "=", contract.id)]), contract)
        self.assertEqual(contract.with_user(legal).contract_line_ids.name, "Monthly maintenance")
        contract.with_user(legal).action_review_approve()
        self.assertEqual(contract.review_state, "approved")
        self.assertEqual(contract.with_user(legal).name, "Maintenance", "still readable after deciding")

    def test_manual_invoice_wizard_skips_unapproved(self):
        contract = self._contract()
        wizard = self.env["contract.manually.create.invoice"].create({"invoice_date": "2020-02-01"})
        self.assertNotIn(contract, wizard.contract_to_invoice_ids)
        contract.with_user(self.contract_user).action_review_submit()
        contract.with_user(self.reviewer).action_review_approve()
        wizard = self.env["contract.manually.create.invoice"].create({"invoice_date": "2020-02-01"})
        self.assertIn(contract, wizard.contract_to_invoice_ids)

    def test_lines_frozen_while_pending(self):
        contract = self._contract()
        contract.with_user(self.contract_user).action_review_submit()
        line = contract.contract_line_ids[:1]
        with self.assertRaisesRegex(UserError, "under review"):
            line.with_user(self.contract_user).write({"price_unit": 1.0})
        with self.assertRaisesRegex(UserError, "under review"):
            self.env["contract.line"].with_user(self.contract_user).create(
                {"contract_id": contract.id, "product_id": self.product.id, "name": "Extra", "quantity": 10}
            )
        with self.assertRaisesRegex(UserError, "under review"):
            line.with_user(self.contract_user).unlink()
        self.assertEqual(len(contract.contract_line_ids), 1)
        self.assertEqual(contract.review_state, "pending")

    def test_uninstall_forgets_the_review_of_contracts_only(self):
        contract = self._contract()
        contract.with_user(self.contract_user).action_review_submit()
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(self._review_activities(contract))
        uninstall_hook(self.env)
        self.env.invalidate_all()
        of_contracts = [("res_model", "=", "contract.contract")]
        self.assertFalse(self.env["crm.review"].sudo().search(of_contracts), "no review line of a contract")
        self.assertFalse(self.env["crm.review.log"].sudo().search(of_contracts), "no audit trail of a contract")
        self.assertFalse(self._review_activities(contract))
        self.assertFalse(self.contract_rule.active, "no active rule on a model nobody reviews")
        # Orders are still reviewed.
        self.assertTrue(self.rule.active)
        self.assertEqual(order.review_state, "pending")
        self.assertEqual(self._review_activities(order).user_id, self.reviewer)
        self.assertEqual(len(order.review_ids), 2)

    def test_my_submitted_contracts(self):
        other = new_test_user(
            self.env,
            "rv_contracts2",
            groups="account.group_account_manager,crm_review.group_review_submitter",
            name="Cora Contracts",
        )
        rejected, pending, theirs = self._contract(), self._contract(), self._contract()
        (rejected | pending).with_user(self.contract_user).action_review_submit()
        theirs.with_user(other).action_review_submit()
        self._reject(rejected, self.reviewer)
        action = self.env.ref("crm_review_contract.contract_contract_action_my_submissions")
        order = etree.fromstring(action.view_ids.view_id.arch).get("default_order")
        mine = (
            self.env["contract.contract"]
            .with_user(self.contract_user)
            .search(ast.literal_eval(action.domain), order=order)
        )
        self.assertEqual(mine.ids, [rejected.id, pending.id], "Own submissions only, what was sent back first.")
        menu = self.env.ref("crm_review_contract.menu_crm_review_my_contracts")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.contract_user)._visible_menu_ids())
