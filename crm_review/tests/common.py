import xmlrpc.client

from odoo.fields import Command
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.sale.tests.common import SaleCommon


class ReviewCommon(SaleCommon):
    """Users, a customer, a product and a two-step rule on sale orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The chatter is part of what is tested here.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        # Demo rules would add their own steps to the records built here.
        cls.env["crm.review.rule"].sudo().search([]).active = False
        sales = "sales_team.group_sale_salesman,base.group_partner_manager"
        cls.salesman = new_test_user(cls.env, "rv_salesman", groups=sales, name="Sally Sales")
        cls.reviewer = new_test_user(
            cls.env, "rv_reviewer", groups=f"{sales},crm_review.group_review_reviewer", name="Rita Reviewer"
        )
        cls.reviewer2 = new_test_user(
            cls.env, "rv_reviewer2", groups=f"{sales},crm_review.group_review_reviewer", name="Rob Reviewer"
        )
        cls.director = new_test_user(
            cls.env, "rv_director", groups=f"{sales},crm_review.group_review_reviewer", name="Dora Director"
        )
        cls.outsider = new_test_user(cls.env, "rv_outsider", groups=sales, name="Otto Outsider")
        cls.review_admin = new_test_user(
            cls.env, "rv_admin", groups=f"{sales},crm_review.group_review_manager", name="Adam Admin"
        )
        cls.controllers = cls.env["res.groups"].create(
            {"name": "Review controllers", "user_ids": [Command.set([cls.reviewer2.id])]}
        )
        cls.reject_reason = cls.env.ref("crm_review.reason_incomplete")
        cls.rule = (
            cls.env["crm.review.rule"]
            .sudo()
            .create(
                {
                    "name": "Orders over 1000",
                    "state": "active",
                    "model_id": cls.env["ir.model"]._get_id("sale.order"),
                    "domain": "[('amount_total', '>', 1000)]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Manager",
                                "sequence": 10,
                                "approver_type": "users",
                                "user_ids": [Command.set(cls.reviewer.ids)],
                            }
                        ),
                        Command.create(
                            {
                                "name": "Controller",
                                "sequence": 20,
                                "approver_type": "group",
                                "group_id": cls.controllers.id,
                            }
                        ),
                    ],
                }
            )
        )
        cls.customer = cls.env["res.partner"].create({"name": "Big Customer", "email": "big@example.com"})

    @classmethod
    def _order(cls, price=2000.0, user=None):
        user = user or cls.salesman
        return (
            cls.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": user.id,
                    "order_line": [
                        Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": price})
                    ],
                }
            )
        )

    def _reject(self, record, user, reason=None, note="Missing data", send_back=None):
        action = record.with_user(user).action_review_reject()
        self.assertEqual(action["res_model"], "crm.review.reject")
        values = {"reason_id": (reason or self.reject_reason).id, "note": note}
        if send_back:
            values["send_back"] = send_back
        wizard = self.env["crm.review.reject"].with_user(user).with_context(**action["context"]).create(values)
        return wizard.action_confirm()

    def _review_activities(self, record, user=None, xmlid="crm_review.mail_activity_type_review"):
        domain = [
            ("res_model", "=", record._name),
            ("res_id", "=", record.id),
            ("activity_type_id", "=", self.env.ref(xmlid).id),
        ]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].sudo().search(domain)

    def _log_actions(self, record):
        """Audit-trail events of the record, newest first."""
        self.env.invalidate_all()
        return record.review_log_ids.mapped("action")

    def _last_note(self, record):
        return record.sudo().message_ids.sorted("id")[-1]


class RpcMixin:
    """Calls over /xmlrpc/2 as a test user (with an ``HttpCase``): what a real user's client does."""

    def rpc(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over /xmlrpc/2 as ``user`` (a test user's password is its login)."""
        self.env.flush_all()
        try:
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
            )
        finally:
            self.env.invalidate_all()

    def assertRpcRefused(self, message, user, model, method, *args, **kwargs):
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                self.rpc(user, model, method, *args, **kwargs)
        self.assertIn(message, caught.exception.faultString)
