from xmlrpc.client import Fault

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ReviewCommon

LINE_FIELDS = ["name", "res_name", "reviewer_ids", "note"]
LOG_FIELDS = ["action", "res_name", "note", "user_id"]


@tagged("post_install", "-at_install")
class TestReviewDataAccess(ReviewCommon):
    """Review lines and audit-trail rows are read by those who may read their record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The salesman's order, approved by the first reviewer and waiting for the controller
        # (reviewer2): the outsider (own documents only) cannot read it.
        cls.order = cls._order()
        cls.order.with_user(cls.salesman).action_review_submit()
        cls.order.with_user(cls.reviewer).action_review_approve()

    def setUp(self):
        super().setUp()
        # Values read by the review engine would be served from the cache without any check.
        self.env.invalidate_all()

    def _rows(self, model, user):
        domain = [("res_model", "=", "sale.order"), ("res_id", "=", self.order.id)]
        return self.env[model].with_user(user).search_read(domain, LINE_FIELDS if model == "crm.review" else LOG_FIELDS)

    def test_outsider_cannot_search_review_data(self):
        self.assertFalse(self.env["sale.order"].with_user(self.outsider).search([("id", "=", self.order.id)]))
        self.assertFalse(self._rows("crm.review", self.outsider))
        self.assertFalse(self._rows("crm.review.log", self.outsider))
        self.assertFalse(
            self.env["crm.review"].with_user(self.outsider).search([("res_name", "=", self.order.name)]),
            "searching by the record's name finds nothing either",
        )

    def test_outsider_cannot_read_review_data_by_id(self):
        lines = self.order.review_ids
        logs = self.order.review_log_ids
        self.assertTrue(lines and logs)
        with self.assertRaises(AccessError):
            lines.with_user(self.outsider).read(["name"])
        with self.assertRaises(AccessError):
            lines[0].with_user(self.outsider).name  # noqa: B018
        with self.assertRaises(AccessError):
            lines.with_user(self.outsider).reviewer_ids  # noqa: B018
        with self.assertRaises(AccessError):
            logs.with_user(self.outsider).read(["note"])
        with self.assertRaises(AccessError):
            logs[0].with_user(self.outsider).res_name  # noqa: B018
        self.assertFalse(lines.with_user(self.outsider).has_access("read"))
        self.assertFalse(logs.with_user(self.outsider)._filtered_access("read"))

    def test_submitter_and_reviewers_read_review_data(self):
        expected_lines = set(self.order.review_ids.ids)
        expected_logs = set(self.order.review_log_ids.ids)
        # The submitter owns the order; the first reviewer decided, the controller waits.
        for user in (self.salesman, self.reviewer, self.reviewer2):
            with self.subTest(user=user.login):
                self.assertEqual({row["id"] for row in self._rows("crm.review", user)}, expected_lines)
                self.assertEqual({row["id"] for row in self._rows("crm.review.log", user)}, expected_logs)
                self.env.invalidate_all()
                self.assertEqual(self.order.review_ids.with_user(user).mapped("name"), ["Manager", "Controller"])

    def test_review_admin_reads_all_review_data(self):
        self.assertFalse(self.env["sale.order"].with_user(self.review_admin).search([("id", "=", self.order.id)]))
        self.assertEqual(len(self._rows("crm.review", self.review_admin)), 2)
        self.assertEqual(
            {row["action"] for row in self._rows("crm.review.log", self.review_admin)}, {"submit", "approve"}
        )
        logs = self.order.review_log_ids.with_user(self.review_admin)
        self.assertEqual(logs.mapped("res_name"), [self.order.name] * 2)

    def test_review_data_of_readable_records_only(self):
        """One search returns the readable records' rows and leaves out the others'."""
        own_order = self._order(user=self.outsider)
        own_order.with_user(self.outsider).action_review_submit()
        lines = self.env["crm.review"].with_user(self.outsider).search([("res_model", "=", "sale.order")])
        self.assertEqual(set(lines.mapped("res_id")), {own_order.id})
        logs = self.env["crm.review.log"].with_user(self.outsider).search([("res_model", "=", "sale.order")])
        self.assertEqual(set(logs.mapped("res_id")), {own_order.id})

    def test_wizard_does_not_leak_record_names(self):
        context = {"active_model": "sale.order", "active_ids": self.order.ids}
        wizard = self.env["crm.review.reject"].with_user(self.outsider).with_context(**context).create({})
        with self.assertRaises(AccessError):
            wizard.read(["record_names"])  # as the web client reads the wizard
        approve = self.env["crm.review.approve"].with_user(self.reviewer2).with_context(**context)
        wizard = approve.create({"note": "Fine"})
        self.assertEqual(wizard.record_names, self.order.name)


@tagged("post_install", "-at_install")
class TestReviewDataAccessRpc(HttpCase):
    """The same over XML-RPC, as the outsider's API client would ask."""

    def test_outsider_reads_no_review_data_over_rpc(self):
        self.env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman"
        salesman = new_test_user(self.env, "rpc_sales", groups=sales)
        reviewer = new_test_user(self.env, "rpc_reviewer", groups=f"{sales},crm_review.group_review_reviewer")
        outsider = new_test_user(self.env, "rpc_outsider", groups=sales)
        self.env["crm.review.rule"].create(
            {
                "name": "All orders",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "step_ids": [
                    Command.create({"name": "Boss", "approver_type": "users", "user_ids": [Command.set(reviewer.ids)]})
                ],
            }
        )
        partner = self.env["res.partner"].create({"name": "RPC Customer"})
        order = self.env["sale.order"].create({"partner_id": partner.id, "user_id": salesman.id})
        order.with_user(salesman).action_review_submit()
        domain = [["res_model", "=", "sale.order"], ["res_id", "=", order.id]]

        def call(user, model, method, *args, **kwargs):
            return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, args, kwargs)

        for model in ("crm.review", "crm.review.log"):
            with self.subTest(model=model):
                self.assertFalse(call(outsider, model, "search_read", domain, fields=["res_name"]))
                ids = call(reviewer, model, "search", domain)
                self.assertTrue(ids, "the reviewer reads the rows")
                with self.assertRaisesRegex(Fault, "doesn't have 'read' access"):
                    call(outsider, model, "read", ids, ["res_name"])
