from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_open
from odoo.tools.translate import PoFileReader, TranslationModuleReader

MODULES = ("crm_review", "crm_review_contract", "crm_review_dashboard")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term the addons show (fields, views, data, messages) has its Simplified Chinese translation."""

    def test_every_term_is_translated_to_simplified_chinese(self):
        installed = self.env["ir.module.module"].search([("name", "in", MODULES), ("state", "=", "installed")])
        self.assertIn("crm_review", installed.mapped("name"))
        for module in installed.mapped("name"):
            terms = {term[4] for term in TranslationModuleReader(self.env.cr, modules=[module])}
            with file_open(f"{module}/i18n/zh_CN.po", "rb") as po:
                translated = {entry["src"] for entry in PoFileReader(po) if entry["value"]}
            self.assertTrue(terms, module)
            missing = sorted(terms - translated)
            self.assertFalse(missing, f"{module}: {len(missing)} terms without a zh_CN translation: {missing[:10]}")
