"""Approval authority: a step that climbs the manager chain until someone's limit covers the amount.

The people act over ``/xmlrpc/2`` with their own password, as a client would: the salesperson submits,
each level approves, the salesperson is refused at every level, and the authority table shows each
user what their groups and companies let them see.
"""

from odoo import fields
from odoo.fields import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import ReviewCommon, RpcMixin
from .screenshots import TourScreenshotsMixin

SALES = "sales_team.group_sale_salesman,base.group_partner_manager"
REVIEWER = f"{SALES},crm_review.group_review_reviewer"


class AuthorityCommon:
    """Two companies (USD and CNY), a chain Sally → Mia → Sam → Dora → Cleo and their authorities.

    Rates, in both companies: 1 USD = 0.8 EUR = 7 CNY.

    ============ ====================== ============================
    sale.order   Company A (USD)        Company B (CNY)
    ============ ====================== ============================
    Mia Manager  50,000 USD             300,000 CNY
    Sam Senior   (none: skipped)        (none: skipped)
    Dora         500,000 EUR = 625,000  400,000 USD = 2,800,000 CNY
    Cleo CFO     no limit               (none: skipped)
    ============ ====================== ============================
    """

    @classmethod
    def _setup_authority(cls):
        env = cls.env
        # Only the authority rule applies to orders here.
        env["crm.review.rule"].search([]).active = False
        cls.company_a = env.company
        cls.usd, cls.eur, cls.cny = env.ref("base.USD"), env.ref("base.EUR"), env.ref("base.CNY")
        (cls.eur | cls.cny).active = True
        cls.company_b = env["res.company"].create({"name": "Authority Company B", "currency_id": cls.cny.id})
        today = fields.Date.today()
        env["res.currency.rate"].create(
            [
                {"currency_id": currency.id, "name": today, "rate": rate, "company_id": company.id}
                for company in (cls.company_a, cls.company_b)
                for currency, rate in ((cls.eur, 0.8), (cls.cny, 7.0))
            ]
        )

        def user(login, name, groups=REVIEWER, companies=None, company=cls.company_a):
            companies = companies or (cls.company_a | cls.company_b)
            return new_test_user(
                env, login, groups=groups, name=name, company_id=company.id, company_ids=[Command.set(companies.ids)]
            )

        cls.sally = user("auth_sally", "Sally Submitter")
        cls.mia = user("auth_mia", "Mia Manager")
        cls.sam = user("auth_sam", "Sam Senior")
        cls.dora = user("auth_dora", "Dora Director")
        cls.cleo = user("auth_cleo", "Cleo CFO")
        cls.admin_b = user(
            "auth_admin_b",
            "Bea Admin B",
            groups=f"{SALES},crm_review.group_review_manager",
            companies=cls.company_b,
            company=cls.company_b,
        )
        cls.admin_a = user(
            "auth_admin_a",
            "Abe Admin A",
            groups=f"{SALES},sales_team.group_sale_salesman_all_leads,crm_review.group_review_manager",
            companies=cls.company_a,
        )
        cls.sally.review_manager_id = cls.mia
        cls.mia.review_manager_id = cls.sam
        cls.sam.review_manager_id = cls.dora
        cls.dora.review_manager_id = cls.cleo
        Authority = env["crm.review.authority"]
        cls.authorities = Authority.create(
            [
                {"user_id": cls.mia.id, "model": "sale.order", "max_amount": 50000, "currency_id": cls.usd.id},
                {"user_id": cls.dora.id, "model": "sale.order", "max_amount": 500000, "currency_id": cls.eur.id},
                {"user_id": cls.cleo.id, "model": "sale.order", "no_limit": True, "currency_id": cls.usd.id},
            ]
        ) | Authority.with_company(cls.company_b).create(
            [
                {"user_id": cls.mia.id, "model": "sale.order", "max_amount": 300000, "currency_id": cls.cny.id},
                {"user_id": cls.dora.id, "model": "sale.order", "max_amount": 400000, "currency_id": cls.usd.id},
            ]
        )
        cls.authority_rule = env["crm.review.rule"].create(
            {
                "name": "Orders by authority",
                "state": "active",
                "model_id": env["ir.model"]._get_id("sale.order"),
                # "All of them", left over from another kind of step: a chain still asks one person per level.
                "step_ids": [
                    Command.create({"name": "Authority", "approver_type": "authority", "approval_mode": "all"})
                ],
            }
        )
        cls.plain_product = env["product.product"].create({"name": "Machine", "list_price": 1, "taxes_id": False})
        cls.pricelist_b = env["product.pricelist"].create(
            {"name": "CNY", "currency_id": cls.cny.id, "company_id": cls.company_b.id}
        )

    @classmethod
    def _authority_order(cls, amount, company=None, user=None):
        company = company or cls.company_a
        user = user or cls.sally
        values = {
            "partner_id": cls.customer.id,
            "user_id": user.id,
            "company_id": company.id,
            "order_line": [Command.create({"product_id": cls.plain_product.id, "price_unit": amount})],
        }
        if company == cls.company_b:
            values["pricelist_id"] = cls.pricelist_b.id
        return cls.env["sale.order"].with_user(user).with_company(company).create(values)


@tagged("post_install", "-at_install")
class TestReviewAuthority(AuthorityCommon, RpcMixin, HttpCase, ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_authority()
        cls.tom = new_test_user(cls.env, "auth_tom", groups=REVIEWER, name="Tom Teamlead")
        cls.loner = new_test_user(cls.env, "auth_loner", groups=REVIEWER, name="Lou Loner")
        cls.rex = new_test_user(
            cls.env,
            "auth_rex",
            groups=REVIEWER,
            name="Rex Reviewer",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )

    def _route(self, record):
        """(name, state, reviewers' names) of the current lines, in route order."""
        lines = record.sudo().review_ids.filtered("is_current").sorted("position")
        return [(line.name, line.state, line.reviewer_ids._review_names()) for line in lines]

    def _approve_level(self, order, user, **kwargs):
        """The submitter is refused at the level, then ``user`` approves it, both over RPC."""
        self.assertRpcRefused(
            "you submitted it", self.sally, "sale.order", "action_review_approve", [order.id], **kwargs
        )
        self.rpc(user, "sale.order", "action_review_approve", [order.id], **kwargs)

    # ------------------------------------------------------------------
    # The chain, level by level
    # ------------------------------------------------------------------

    def test_three_levels_a_skip_and_the_submitter_refused_at_each(self):
        order = self._authority_order(700000)
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id])
        mia = "Authority: Mia Manager (up to 50,000.00 USD)"
        dora = "Authority: Dora Director (up to 500,000.00 EUR)"
        cleo = "Authority: Cleo CFO (no limit)"
        self.assertEqual(
            self._route(order),
            [
                (mia, "pending", "Mia Manager"),
                ("Authority: Sam Senior (no authority): skipped", "skipped", "nobody"),
                (dora, "waiting", "Dora Director"),
                (cleo, "waiting", "Cleo CFO"),
            ],
        )
        # The trail tells the skip, and Mia has the to-do.
        skip = order.sudo().review_log_ids.filtered(lambda row: row.action == "skip")
        self.assertEqual(skip.step_label, "Authority: Sam Senior (no authority): skipped")
        self.assertTrue(self._review_activities(order, self.mia))
        # The banner shows the whole route, the current level marked.
        banner = self.rpc(self.sally, "sale.order", "read", [order.id], ["review_route_label", "review_step_label"])[0]
        self.assertEqual(banner["review_route_label"], f"[{mia}] → {dora} → {cleo}")
        self.assertEqual(banner["review_step_label"], f"{mia} (1/3)")
        # A later level cannot decide early.
        self.assertRpcRefused(
            "You are not a reviewer of step Authority: Mia Manager",
            self.dora,
            "sale.order",
            "action_review_approve",
            [order.id],
        )
        self._approve_level(order, self.mia)
        self.assertIn(f"Approved step <b>{mia}</b>", str(self._last_note(order).body))
        self.assertTrue(self._review_activities(order, self.dora), "the to-do moves up to Dora")
        banner = self.rpc(self.sally, "sale.order", "read", [order.id], ["review_route_label"])[0]
        self.assertEqual(banner["review_route_label"], f"✓ {mia} → [{dora}] → {cleo}")
        self._approve_level(order, self.dora)
        self.assertEqual(order.review_state, "pending", "700,000 USD is over Dora's 625,000 USD")
        self._approve_level(order, self.cleo)
        self.assertEqual(order.review_state, "approved")
        approvals = order.sudo().review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual(approvals.user_id, self.mia | self.dora | self.cleo)

    def test_limit_converted_into_the_order_currency(self):
        # 500,000 EUR is 625,000 USD: Dora covers 600,000 USD, and the chain stops with her.
        order = self._authority_order(600000)
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id])
        self.assertEqual(
            [name for name, _state, _who in self._route(order)],
            [
                "Authority: Mia Manager (up to 50,000.00 USD)",
                "Authority: Sam Senior (no authority): skipped",
                "Authority: Dora Director (up to 500,000.00 EUR)",
            ],
        )
        # Within Mia's 50,000: one level.
        small = self._authority_order(40000)
        self.rpc(self.sally, "sale.order", "action_review_submit", [small.id])
        self.assertEqual(
            self._route(small), [("Authority: Mia Manager (up to 50,000.00 USD)", "pending", "Mia Manager")]
        )
        self._approve_level(small, self.mia)
        self.assertEqual(small.review_state, "approved")

    def test_a_group_authority_covers_its_members(self):
        directors = self.env["res.groups"].create(
            {"name": "Regional directors", "user_ids": [Command.set(self.sam.ids)]}
        )
        self.env["crm.review.authority"].create(
            {"group_id": directors.id, "model": "sale.order", "max_amount": 1000000, "currency_id": self.usd.id}
        )
        order = self._authority_order(700000)
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id])
        self.assertEqual(
            self._route(order),
            [
                ("Authority: Mia Manager (up to 50,000.00 USD)", "pending", "Mia Manager"),
                ("Authority: Sam Senior (up to 1,000,000.00 USD)", "waiting", "Sam Senior"),
            ],
        )

    def test_second_company_in_yuan_with_its_own_limits_and_fallback(self):
        in_b = {"context": {"allowed_company_ids": [self.company_b.id, self.company_a.id]}}
        order = self._authority_order(2000000, company=self.company_b)
        self.assertEqual(order.currency_id, self.cny)
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id], **in_b)
        # 400,000 USD is 2,800,000 CNY: Dora covers.
        self.assertEqual(
            self._route(order),
            [
                ("Authority: Mia Manager (up to 300,000.00 CNY)", "pending", "Mia Manager"),
                ("Authority: Sam Senior (no authority): skipped", "skipped", "nobody"),
                ("Authority: Dora Director (up to 400,000.00 USD)", "waiting", "Dora Director"),
            ],
        )
        # Over everybody's authority in company B: Cleo has none there, the administrators of B decide.
        big = self._authority_order(3000000, company=self.company_b)
        self.rpc(self.sally, "sale.order", "action_review_submit", [big.id], **in_b)
        route = self._route(big)
        self.assertEqual(
            route[3:],
            [
                ("Authority: Cleo CFO (no authority): skipped", "skipped", "nobody"),
                (
                    "Authority: review administrators (no authority in the chain covers 3,000,000.00 CNY)",
                    "waiting",
                    "Bea Admin B",
                ),
            ],
        )
        self.assertEqual(len(big.sudo().review_log_ids.filtered(lambda row: row.action == "skip")), 2)
        self.assertEqual(big.sudo().review_ids.mapped("approval_mode"), ["any"] * 5)
        for user in (self.mia, self.dora):
            self._approve_level(big, user, **in_b)
        self.assertRpcRefused("you submitted it", self.sally, "sale.order", "action_review_approve", [big.id], **in_b)
        # Mia, a level below, cannot stand in for its administrators.
        self.assertRpcRefused(
            "You are not a reviewer of step Authority: review administrators",
            self.mia,
            "sale.order",
            "action_review_approve",
            [big.id],
            **in_b,
        )
        self.rpc(self.admin_b, "sale.order", "action_review_approve", [big.id])
        self.assertEqual(big.review_state, "approved")

    def test_a_list_submitted_at_once_costs_no_query_per_order(self):
        warm = self._authority_order(700000)
        warm.with_user(self.sally).action_review_submit()  # per-user caches, as on a running server
        counts = {}
        for size in (3, 12):
            orders = self.env["sale.order"].concat(*(self._authority_order(700000) for _index in range(size)))
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            orders.with_user(self.sally).action_review_submit()
            self.env.flush_all()
            counts[size] = self.cr.sql_log_count - before
            self.assertEqual(len(orders.sudo().review_ids), 4 * size)
        self.assertLessEqual(counts[12], counts[3], f"queries by list size: {counts}")

    def test_submitter_in_the_chain_is_skipped_unless_the_rule_allows(self):
        # Tom leads the order's sales team and has no manager: the chain starts with him.
        tom = self.tom
        team = self.env["crm.team"].create({"name": "Tom's team", "user_id": tom.id})
        self.env["crm.review.authority"].create(
            {"user_id": tom.id, "model": "sale.order", "max_amount": 1000000, "currency_id": self.usd.id}
        )
        order = self._authority_order(10000, user=tom)
        order.team_id = team
        self.rpc(tom, "sale.order", "action_review_submit", [order.id])
        route = self._route(order)
        self.assertEqual(route[0], ("Authority: Tom Teamlead (submitted the record): skipped", "skipped", "nobody"))
        self.assertEqual(
            route[1][0], "Authority: review administrators (no authority in the chain covers 10,000.00 USD)"
        )
        self.assertNotIn("Tom Teamlead", route[1][2])
        self.assertRpcRefused("you submitted it", tom, "sale.order", "action_review_approve", [order.id])
        # A rule that allows self-approval lets him sign within his authority.
        self.rpc(tom, "sale.order", "action_review_recall", [order.id])
        self.authority_rule.allow_self_approval = True
        self.rpc(tom, "sale.order", "action_review_submit", [order.id])
        self.assertEqual(
            self._route(order), [("Authority: Tom Teamlead (up to 1,000,000.00 USD)", "pending", "Tom Teamlead")]
        )
        self.rpc(tom, "sale.order", "action_review_approve", [order.id])
        self.assertEqual(order.review_state, "approved")

    def test_first_approver_of_the_step_when_nobody_manages_the_submitter(self):
        loner = self.loner
        self.authority_rule.step_ids.authority_user_id = self.dora
        order = self._authority_order(1000, user=loner)
        order.team_id = False
        self.rpc(loner, "sale.order", "action_review_submit", [order.id])
        self.assertEqual(
            self._route(order), [("Authority: Dora Director (up to 500,000.00 EUR)", "pending", "Dora Director")]
        )

    def test_resubmission_plans_the_chain_again(self):
        order = self._authority_order(600000)
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id])
        self.rpc(self.mia, "sale.order", "action_review_approve", [order.id])
        self._reject(order, self.dora, note="Too expensive")
        self.assertEqual(order.review_state, "rejected")
        line = order.order_line
        self.rpc(self.sally, "sale.order", "write", [order.id], {"order_line": [[1, line.id, {"price_unit": 30000}]]})
        self.rpc(self.sally, "sale.order", "action_review_submit", [order.id])
        self.assertEqual(
            self._route(order), [("Authority: Mia Manager (up to 50,000.00 USD)", "pending", "Mia Manager")]
        )

    def test_simulate_shows_the_chain_before_the_rule_is_on(self):
        self.authority_rule.state = "draft"
        order = self._authority_order(700000)
        action = self.authority_rule.with_user(self.admin_a).action_simulate()
        wizard = self.env[action["res_model"]].with_user(self.admin_a).with_context(**action["context"])
        with Form(wizard) as form:
            form.res_ref = order
            self.assertEqual(form.submitter_id, self.sally)
            for text in (
                "Authority: Mia Manager (up to 50,000.00 USD)",
                "Authority: Sam Senior (no authority): skipped",
                "Authority: Dora Director (up to 500,000.00 EUR)",
                "Authority: Cleo CFO (no limit)",
            ):
                self.assertIn(text, form.result)
        self.assertFalse(order.review_state, "a dry run writes nothing")

    def test_customer_credit_limit_is_the_amount(self):
        self.env["crm.review.authority"].create(
            [
                {"user_id": self.mia.id, "model": "res.partner", "max_amount": 50000, "currency_id": self.usd.id},
                {"user_id": self.dora.id, "model": "res.partner", "max_amount": 100000, "currency_id": self.usd.id},
            ]
        )
        self.env["crm.review.rule"].create(
            {
                "name": "Customers by authority",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [Command.create({"name": "Credit", "approver_type": "authority"})],
            }
        )
        big, small = self.env["res.partner"].create(
            [{"name": "Big Credit", "is_company": True}, {"name": "No Credit", "is_company": True}]
        )
        big.with_company(self.company_a).credit_limit = 80000
        self.rpc(self.sally, "res.partner", "action_review_submit", [big.id, small.id])
        self.assertEqual(
            [name for name, _state, _who in self._route(big)],
            [
                "Authority: Mia Manager (up to 50,000.00 USD)",
                "Authority: Sam Senior (no authority): skipped",
                "Authority: Dora Director (up to 100,000.00 USD)",
            ],
        )
        self.assertEqual(
            self._route(small), [("Authority: Mia Manager (up to 50,000.00 USD)", "pending", "Mia Manager")]
        )

    # ------------------------------------------------------------------
    # The authority table: who sees and edits it
    # ------------------------------------------------------------------

    def test_authority_table_access(self):
        rex = self.rex
        own = self.authorities.filtered(lambda row: row.company_id == self.company_a)
        other = self.authorities - own
        # A reviewer reads the rows of their company only.
        rows = self.rpc(rex, "crm.review.authority", "search_read", [], ["company_id"])
        self.assertEqual({row["company_id"][0] for row in rows}, {self.company_a.id})
        self.assertLessEqual(set(own.ids), {row["id"] for row in rows})
        self.assertRpcRefused(
            "doesn't have 'read' access", rex, "crm.review.authority", "read", other.ids, ["max_amount"]
        )
        # ...and changes nothing.
        self.assertRpcRefused(
            "You are not allowed to modify", rex, "crm.review.authority", "write", own[:1].ids, {"max_amount": 1e9}
        )
        self.assertRpcRefused(
            "You are not allowed to create",
            rex,
            "crm.review.authority",
            "create",
            {"user_id": rex.id, "model": "sale.order", "no_limit": True},
        )
        self.assertEqual(own[:1].max_amount, 50000)
        # A salesperson who reviews nothing does not read it.
        self.assertRpcRefused("You are not allowed to access", self.salesman, "crm.review.authority", "search", [])
        # A review administrator edits their company's table, the chain included.
        row_id = self.rpc(
            self.admin_a,
            "crm.review.authority",
            "create",
            {"user_id": self.sam.id, "model": "sale.order", "max_amount": 100000, "currency_id": self.usd.id},
        )
        self.rpc(self.admin_a, "crm.review.authority", "write", [row_id], {"escalates_to_id": self.cleo.id})
        self.assertEqual(self.sam.review_manager_id, self.cleo)
        self.assertRpcRefused(
            "Sam Senior cannot be the one who approves above their own authority",
            self.admin_a,
            "crm.review.authority",
            "write",
            [row_id],
            {"escalates_to_id": self.sam.id},
        )
        found = set(self.rpc(self.admin_a, "crm.review.authority", "search", []))
        self.assertLessEqual(set(own.ids) | {row_id}, found)
        self.assertFalse(found & set(other.ids))
        self.assertRpcRefused(
            "doesn't have 'write' access",
            self.admin_a,
            "crm.review.authority",
            "write",
            other[:1].ids,
            {"no_limit": True},
        )
        self.assertRpcRefused(
            "user or to a group",
            self.admin_a,
            "crm.review.authority",
            "create",
            {"model": "sale.order", "no_limit": True},
        )


@tagged("post_install", "-at_install")
class TestReviewAuthorityTour(AuthorityCommon, TourScreenshotsMixin, HttpCase):
    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        cls.customer = cls.env["res.partner"].create({"name": "Tour Authority Customer"})
        cls._setup_authority()

    def test_banner_shows_the_chain_and_simulate_plans_it(self):
        order = self._authority_order(700000)
        order.name = "AUTH-700K"
        order.with_user(self.sally).action_review_submit()
        self.start_tour(f"/odoo/sale.order/{order.id}", "crm_review_authority_banner_tour", login="auth_sally")
        draft = self.env["crm.review.rule"].create(
            {
                "name": "Orders by authority (new version)",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "step_ids": [Command.create({"name": "Authority", "approver_type": "authority"})],
            }
        )
        self.assertEqual(draft.state, "draft")
        self.start_tour(
            f"/odoo/action-crm_review.crm_review_rule_action/{draft.id}",
            "crm_review_authority_simulate_tour",
            login="auth_admin_a",
        )
