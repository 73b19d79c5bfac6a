from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .screenshots import TourScreenshotsMixin


@tagged("post_install", "-at_install")
class TestReviewTours(TourScreenshotsMixin, HttpCase):
    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman,base.group_partner_manager"
        cls.salesman = new_test_user(cls.env, "tour_sales", groups=sales, name="Sally Sales")
        cls.reviewer = new_test_user(
            cls.env, "tour_reviewer", groups=f"{sales},crm_review.group_review_reviewer", name="Rita Reviewer"
        )
        cls.env["crm.review.rule"].create(
            {
                "name": "Orders over 1000",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "domain": "[('amount_total', '>', 1000)]",
                "step_ids": [
                    Command.create(
                        {"name": "Manager", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    ),
                    Command.create(
                        {"name": "Finance", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    ),
                ],
            }
        )
        cls.env["crm.review.rule"].create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [
                    Command.create(
                        {"name": "Credit", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    )
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Tour Customer"})
        product = cls.env["product.product"].create({"name": "Tour Product", "list_price": 5000})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": 5000})],
            }
        )

    def test_sale_order_review_flow(self):
        url = f"/odoo/sale.order/{self.order.id}"
        self.start_tour(url, "crm_review_sale_submit_tour", login="tour_sales")
        self.assertEqual(self.order.review_state, "pending")
        self.start_tour(url, "crm_review_sale_reject_tour", login="tour_reviewer")
        self.assertEqual(self.order.review_state, "rejected")
        self.assertEqual(
            self.order.review_ids.filtered(lambda r: r.state == "rejected").note, "Delivery address missing"
        )
        self.order.with_user(self.salesman).action_review_submit()
        self.start_tour(url, "crm_review_sale_approve_tour", login="tour_reviewer")
        self.assertEqual(self.order.review_state, "approved")
        self.start_tour(url, "crm_review_sale_confirm_tour", login="tour_sales")
        self.assertEqual(self.order.state, "sale")

    def test_partner_banner_flow(self):
        partner = self.env["res.partner"].create({"name": "Tour Company", "is_company": True})
        partner.with_user(self.salesman).action_review_submit()
        self.start_tour(f"/odoo/res.partner/{partner.id}", "crm_review_partner_tour", login="tour_reviewer")
        self.assertEqual(partner.review_state, "approved")

    def test_partner_todo_done_refreshes_the_banner(self):
        partner = self.env["res.partner"].create({"name": "Tour Company", "is_company": True})
        partner.with_user(self.salesman).action_review_submit()
        self.start_tour(f"/odoo/res.partner/{partner.id}", "crm_review_partner_todo_done_tour", login="tour_reviewer")
        self.assertEqual(partner.review_state, "approved")
