from lxml import etree

from odoo.tests import HttpCase, tagged

from .common import ReviewCommon


class ReaderLanguageCommon(ReviewCommon):
    """The first step is named in Chinese too; the reviewer and the review administrator read Chinese."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["crm_review"], ["zh_CN"], overwrite=True)
        cls.manager_step = cls.rule.step_ids[0]
        cls.manager_step.with_context(lang="zh_CN").name = "经理审批"
        (cls.reviewer | cls.review_admin).lang = "zh_CN"

    def _view_fields(self, model, xmlid, user):
        """Names of the fields the view ``xmlid`` shows to ``user``."""
        view = self.env.ref(xmlid)
        views = self.env[model].with_user(user).with_context(lang="zh_CN").get_views([(view.id, view.type)])
        return {node.get("name") for node in etree.fromstring(views["views"][view.type]["arch"]).iter("field")}

    def _shown(self, model, view, user, domain):
        """Every value ``view`` shows of the records of ``domain``, read over the web client's call."""
        names = self._view_fields(model, view, user) - {"reviewer_ids", "waiting_reviewer_ids"}
        Model = self.env[model].with_user(user).with_context(lang="zh_CN")
        rows = Model.web_search_read(domain, {name: {} for name in names})["records"]
        self.assertTrue(rows, f"{model} {view}: nothing found")
        return [str(value) for row in rows for value in row.values()]


@tagged("post_install", "-at_install")
class TestStepNamesInTheReadersLanguage(ReaderLanguageCommon):
    """A step is named in the reader's language in every list, card, trail and analysis, as in the banner."""

    def test_to_review_list_cards_and_search_in_chinese(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        to_review = [("res_model", "=", "sale.order"), ("res_id", "=", order.id), ("state", "=", "pending")]
        for view in ("crm_review.crm_review_view_list_to_review", "crm_review.crm_review_view_kanban"):
            shown = self._shown("crm.review", view, self.reviewer, to_review)
            self.assertIn("经理审批", shown, view)
            self.assertNotIn("Manager", shown, view)
        # The banner said so already; the inbox now agrees with it.
        banner = order.with_user(self.reviewer).with_context(lang="zh_CN").review_step_label
        self.assertTrue(banner.startswith("经理审批"))
        # The name as submitted is kept: English readers read English.
        line = self.env["crm.review"].search(to_review)
        self.assertEqual(line.with_user(self.salesman).with_context(lang="en_US").step_label, "Manager")
        self.assertEqual(line.name, "Manager")
        # Searched as it is shown; grouped by the step, in the reader's language.
        Review = self.env["crm.review"].with_user(self.reviewer).with_context(lang="zh_CN")
        self.assertEqual(Review.search([("step_label", "ilike", "经理")]), line)
        groups = Review.formatted_read_group(to_review, ["step_id"], ["__count"])
        self.assertEqual(groups[0]["step_id"][1], "经理审批")

    def test_review_tab_audit_trail_and_analysis_in_chinese(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self._reject(order, self.reviewer2)
        mine = [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        # The order's Review tab.
        form = order.with_user(self.reviewer).with_context(lang="zh_CN")
        tab = form.web_read({"review_ids": {"fields": {"step_label": {}}, "context": {"active_test": False}}})
        self.assertIn("经理审批", [row["step_label"] for row in tab[0]["review_ids"]])
        # The audit trail.
        shown = self._shown("crm.review.log", "crm_review.crm_review_log_view_list", self.reviewer, mine)
        self.assertIn("经理审批", shown)
        self.assertNotIn("Manager", shown)
        # The analysis, for the review administrator: the step that rejected it is the second one.
        self.manager_step.rule_id.step_ids[1].with_context(lang="zh_CN").name = "财务审核"
        shown = self._shown("crm.review.report", "crm_review.crm_review_report_view_list", self.review_admin, mine)
        self.assertIn("财务审核", shown)
        self.assertNotIn("Controller", shown)
        Report = self.env["crm.review.report"].with_user(self.review_admin).with_context(lang="zh_CN")
        groups = Report.formatted_read_group(mine, ["step_id"], ["__count"])
        self.assertEqual([group["step_id"][1] for group in groups], ["财务审核"])

    def test_deleted_step_keeps_its_name_as_submitted(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.reviewer).action_review_approve()
        self.manager_step.unlink()
        self.env.invalidate_all()
        line = order.review_ids.filtered(lambda line: line.position == 1)
        self.assertFalse(line.step_id)
        self.assertEqual(line.with_user(self.reviewer).with_context(lang="zh_CN").step_label, "Manager")
        Review = self.env["crm.review"].with_user(self.reviewer)
        self.assertIn(line, Review.search([("step_label", "=", "Manager")]))
        trail = order.review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual(trail.with_context(lang="zh_CN").step_label, "Manager")


@tagged("post_install", "-at_install")
class TestStepNamesInTheReadersLanguageTour(HttpCase, ReaderLanguageCommon):
    browser_size = "1280x800"

    def test_chinese_reviewer_opens_to_review(self):
        self._order().with_user(self.salesman).action_review_submit()
        self.start_tour(
            "/odoo/action-crm_review.crm_review_action_to_review", "crm_review_inbox_zh_tour", login="rv_reviewer"
        )
