from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_dependencies_installed(self):
        """The bridge sits on an installed crm_review and OCA contract."""
        self.assertIn("contract.contract", self.env)
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("crm_review", "contract", "crm_review_contract"))]
        )
        self.assertEqual(
            dict.fromkeys(modules.mapped("name"), "installed"),
            {module.name: module.state for module in modules},
        )
        self.assertEqual(len(modules), 3)

    def test_auto_install(self):
        """The bridge installs by itself once crm_review and contract are both there."""
        module = self.env["ir.module.module"].search([("name", "=", "crm_review_contract")])
        self.assertTrue(module.auto_install)
        self.assertEqual(
            set(module.dependencies_id.mapped("name")),
            {"crm_review", "contract"},
        )
