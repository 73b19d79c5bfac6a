from contextlib import contextmanager
from itertools import product

from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user, tagged

SALES_GROUPS = (
    None,
    "sales_team.group_sale_salesman",
    "sales_team.group_sale_salesman_all_leads",
    "sales_team.group_sale_manager",
)
ACCOUNTING_GROUPS = (
    None,
    "account.group_account_readonly",
    "account.group_account_invoice",
    "account.group_account_user",
    "account.group_account_manager",
)
REVIEW_GROUPS = (
    None,
    "crm_review.group_review_submitter",
    "crm_review.group_review_reviewer",
    "crm_review.group_review_manager",
)
REVIEW_MODULES = ("crm_review", "crm_review_contract")


class AccessInvarianceCase(TransactionCase):
    """Users of every combination of sales, accounting and review groups.

    What a user reads and writes with the review addons must be what they read
    and write without them (their access rows and record rules switched off),
    plus read access to the records they review or reviewed. Subclasses create
    the records in ``_create_records`` and fill ``records`` and ``reviewed``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # Rules would put the records created here under review by their own steps.
        cls.env["crm.review.rule"].search([]).active = False
        cls.other_salesman = new_test_user(cls.env, "inv_other", groups="sales_team.group_sale_salesman")
        cls.other_reviewer = new_test_user(
            cls.env, "inv_other_reviewer", groups="base.group_user,crm_review.group_review_reviewer"
        )
        cls.users = cls._create_users()
        cls.reviewers = cls.env["res.users"].browse(
            user.id for key, user in cls.users.items() if key[2] in REVIEW_GROUPS[2:]
        )
        cls.customer = cls.env["res.partner"].create({"name": "Invariance Customer"})
        cls.product = cls.env["product.product"].create({"name": "Invariance Service", "type": "service"})
        cls.records = {}  # model: ids of the records whose access is compared
        cls.reviewed = {}  # model: ids the reviewers review or reviewed
        cls._create_records()

    @classmethod
    def _create_users(cls):
        """One user per combination of groups, created in one batch."""
        combinations = list(product(SALES_GROUPS, ACCOUNTING_GROUPS, REVIEW_GROUPS))
        vals_list = []
        for number, groups in enumerate(combinations):
            xmlids = ["base.group_user", *filter(None, groups)]
            vals_list.append(
                {
                    "name": " / ".join(xmlid.split(".")[1] for xmlid in xmlids),
                    "login": f"inv_user_{number}",
                    "email": f"inv_user_{number}@example.com",
                    "group_ids": [Command.set([cls.env.ref(xmlid).id for xmlid in xmlids])],
                }
            )
        users = cls.env["res.users"].with_context(no_reset_password=True).create(vals_list)
        return dict(zip(combinations, users, strict=True))

    @classmethod
    def _create_records(cls):
        raise NotImplementedError

    @classmethod
    def _review(cls, records, reviewers, state="pending"):
        """Review lines naming ``reviewers`` on ``records`` (pending, or decided in a past review)."""
        cls.env["crm.review"].create(
            [
                {
                    "res_model": record._name,
                    "res_id": record.id,
                    "res_name": record.display_name,
                    "name": "Check",
                    "state": state,
                    "is_current": state == "pending",
                    "reviewer_ids": [Command.set(reviewers.ids)],
                }
                for record in records
            ]
        )

    @contextmanager
    def _without_review_security(self):
        """Switch off the access rows and record rules of the review addons."""
        data = self.env["ir.model.data"].search(
            [("module", "in", REVIEW_MODULES), ("model", "in", ("ir.rule", "ir.model.access"))]
        )
        security = [
            self.env[model].browse(data.filtered(lambda xmlid, model=model: xmlid.model == model).mapped("res_id"))
            for model in ("ir.rule", "ir.model.access")
        ]
        for records in security:
            records.active = False
        self.env.registry.clear_cache()
        self.env.invalidate_all()
        try:
            yield
        finally:
            for records in security:
                records.active = True
            self.env.registry.clear_cache()
            self.env.invalidate_all()

    def _access(self, user):
        """{model: (ids read, ids written)} of the compared records, for ``user``."""
        result = {}
        for model, ids in self.records.items():
            records = self.env[model].with_user(user).with_context(active_test=False)
            read = set(records.search([("id", "in", ids)]).ids) if records.has_access("read") else set()
            result[model] = (read, set(records.browse(ids)._filtered_access("write").ids))
        return result

    def _assert_access_invariant(self):
        with self._without_review_security():
            baseline = {groups: self._access(user) for groups, user in self.users.items()}
        for groups, user in self.users.items():
            actual = self._access(user)
            for model in self.records:
                reviewed = self.reviewed.get(model, set()) if user in self.reviewers else set()
                read, written = actual[model]
                base_read, base_written = baseline[groups][model]
                with self.subTest(groups=[group for group in groups if group], model=model):
                    self.assertEqual(written, base_written, "the review addons change what the user writes")
                    self.assertEqual(read, base_read | reviewed, "the user reads what they did, and what they review")


@tagged("post_install", "-at_install")
class TestAccessInvariance(AccessInvarianceCase):
    @classmethod
    def _create_records(cls):
        partners = cls.env["res.partner"].create([{"name": f"Invariance Partner {n}"} for n in range(4)])
        owners = [cls.other_salesman, cls.other_salesman, cls.other_salesman, cls.other_salesman, None]
        owners += list(cls.users.values())
        orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": cls.customer.id,
                    "user_id": owner.id if owner else False,
                    "order_line": [Command.create({"product_id": cls.product.id, "price_unit": 100})],
                }
                for owner in owners
            ]
        )
        # Orders of another salesperson: reviewed (pending), reviewed in the past, reviewed by
        # somebody else, not reviewed; then one without salesperson and one owned by each user.
        for records in (partners, orders):
            cls._review(records[0], cls.reviewers)
            cls._review(records[1], cls.reviewers, state="approved")
            cls._review(records[2], cls.other_reviewer)
        cls.records = {
            "res.partner": (partners | cls.customer).ids,
            "sale.order": orders.ids,
            "sale.order.line": orders.order_line.ids,
        }
        cls.reviewed = {
            "res.partner": set(partners[:2].ids),
            "sale.order": set(orders[:2].ids),
            "sale.order.line": set(orders[:2].order_line.ids),
        }

    def test_access_invariant_but_reviewed_records(self):
        """Sales and accounting users read and write what they did; reviewers also read what they review."""
        self._assert_access_invariant()

    def test_reviewer_rule_follows_group_changes(self):
        """A billing reviewer reads every order until given the own-documents sales group."""
        user = self.users[None, "account.group_account_invoice", "crm_review.group_review_reviewer"]
        orders = self.env["sale.order"].with_user(user)
        all_orders = set(self.records["sale.order"])
        self.assertEqual(set(orders.search([("id", "in", list(all_orders))]).ids), all_orders)
        user.group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman").id)]
        unassigned = orders.sudo().browse(all_orders).filtered(lambda order: not order.user_id)
        own = orders.sudo().search([("user_id", "=", user.id)])
        self.assertEqual(
            set(orders.search([("id", "in", list(all_orders))]).ids),
            self.reviewed["sale.order"] | set((unassigned | own).ids),
        )
