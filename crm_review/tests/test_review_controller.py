from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReviewEmailLink(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman"
        cls.salesman = new_test_user(cls.env, "link_sales", groups=sales)
        cls.reviewer = new_test_user(cls.env, "link_reviewer", groups=f"{sales},crm_review.group_review_reviewer")
        cls.other = new_test_user(cls.env, "link_other", groups=f"{sales},crm_review.group_review_reviewer")
        cls.env["crm.review.rule"].create(
            {
                "name": "All orders",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "step_ids": [
                    Command.create(
                        {"name": "Boss", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    )
                ],
            }
        )
        partner = cls.env["res.partner"].create({"name": "Link Customer"})
        cls.order = cls.env["sale.order"].create({"partner_id": partner.id, "user_id": cls.salesman.id})
        cls.order.with_user(cls.salesman).action_review_submit()

    def _link(self):
        url = self.order._notify_get_action_link("controller", controller="/crm_review/approve/sale.order")
        return url[url.index("/crm_review") :]

    def test_link_approves_for_the_reviewer(self):
        self.authenticate("link_reviewer", "link_reviewer")
        response = self.url_open(self._link())
        self.assertEqual(response.status_code, 200)
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "approved")

    def test_link_does_nothing_for_someone_else(self):
        self.authenticate("link_other", "link_other")
        self.url_open(self._link())
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "pending")

    def test_link_with_a_wrong_token_does_nothing(self):
        self.authenticate("link_reviewer", "link_reviewer")
        self.url_open(self._link().replace("token=", "token=0"))
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "pending")
