from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewMisc(ReviewCommon):
    def test_cancel_with_reason(self):
        order = self._order()
        action = order.with_user(self.salesman).action_open_cancel_reason()
        wizard = self.env[action["res_model"]].with_user(self.salesman).with_context(**action["context"]).create({})
        with self.assertRaisesRegex(UserError, "cancel reason"):
            wizard.action_confirm()
        self.assertEqual(order.state, "draft")
        wizard.write({"reason_id": self.env.ref("crm_review.cancel_reason_price").id, "note": "Too expensive"})
        wizard.action_confirm()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.cancel_reason_id, self.env.ref("crm_review.cancel_reason_price"))
        self.assertIn("Too expensive", order.message_ids[0].body)

    def test_multi_company_rule(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.rule.company_id = other
        order = self._order()
        self.assertFalse(order.review_required, "a rule of another company does not apply")
        self.rule.company_id = self.env.company
        order.invalidate_recordset()
        self.assertTrue(order.review_required)

    def test_review_lines_follow_company_rules(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        other = self.env["res.company"].create({"name": "Elsewhere"})
        stranger = new_test_user(
            self.env,
            "rv_stranger",
            groups="sales_team.group_sale_salesman",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(self.env["crm.review"].with_user(stranger).search([("res_id", "=", order.id)]))
        self.assertTrue(self.env["crm.review"].with_user(self.salesman).search([("res_id", "=", order.id)]))

    def test_rule_search_review_required(self):
        big, small = self._order(price=5000), self._order(price=10)
        found = self.env["sale.order"].search([("review_required", "=", True), ("id", "in", (big | small).ids)])
        self.assertEqual(found, big)
        found = self.env["sale.order"].search([("review_required", "=", False), ("id", "in", (big | small).ids)])
        self.assertEqual(found, small)

    def test_settings_switch_model_off(self):
        order = self._order()
        self.assertTrue(order.review_required)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.crm_review_sale_enabled)
        settings.crm_review_sale_enabled = False
        settings.crm_review_default_reject_limit = 4
        settings.execute()
        order.invalidate_recordset()
        self.assertFalse(order.review_required)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.env["crm.review.rule"].new({}).reject_limit, 4)
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.crm_review_sale_enabled)
        self.assertTrue(settings.crm_review_partner_enabled)

    def test_reviewer_names_own_substitute(self):
        self.reviewer.with_user(self.reviewer).write(
            {"review_substitute_id": self.director.id, "review_substitute_from": "2020-01-01"}
        )
        self.assertEqual(self.director._review_substituted_users(), self.reviewer)
        self.reviewer.with_user(self.reviewer).write({"review_substitute_to": "2020-01-02"})
        self.assertFalse(self.director._review_substituted_users(), "the absence is over")

    def test_analysis_by_team(self):
        team = self.env["crm.team"].create({"name": "Analysis team"})
        order = self._order()
        order.team_id = team
        order.with_user(self.salesman).action_review_submit()
        groups = self.env["crm.review"]._read_group([("res_id", "=", order.id)], ["team_id"], ["__count"])
        self.assertEqual(groups, [(team, 2)])
