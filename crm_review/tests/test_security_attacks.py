"""Attacks over RPC, as real users: every refusal is checked, and so is the data it protects.

Each case logs in through the test server, as a malicious user would, over
``/xmlrpc/2`` (login and password) or ``/json/2`` (API key), tries one thing
it must not be able to do, and checks that the server refused it with a
clear error and that the rows it aimed at (read back as superuser) are
exactly as before.
"""

import json
import re
import xmlrpc.client
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

# /xmlrpc/2 fault codes: access errors, and every other user error (ValidationError included).
ACCESS_FAULT = 4
USER_FAULT = 2

# Odoo's own refusals.
NO_RULE_ACCESS = "doesn't have '%s' access"
NO_RULE_ACCESS_AT_ALL = "doesn't have '"
NO_MODEL_ACCESS = "You are not allowed to %s"
PRIVATE_METHOD = "Private methods (such as '%s') cannot be called remotely."

HOSTILE_ESCALATION = "[('id', '!=', user.sudo().write({'group_ids': [(4, %d)]}) and 0)]"
HOSTILE_SECRETS = (
    "[('name', '=', user.env['ir.config_parameter'].sudo().get_param('database.secret'))]",
    "[('no_such_field', '=', user.env['ir.config_parameter'].sudo().get_param('database.secret'))]",
)

# Fields of a user an attack could aim at (the others change with every login).
USER_FIELDS = ["group_ids", "active", "share", "company_ids", "review_substitute_id"]
LINE_FIELDS = ["state", "is_current", "reviewer_ids", "approved_by_ids", "done_by_id", "note", "reason_id", "position"]
LOG_FIELDS = ["action", "user_id", "note", "reason_id", "review_id", "res_name"]


class Refused(Exception):
    """A call the server refused: the exception it named, its message and the whole response."""

    def __init__(self, message, text, name=None, fault_code=None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.name = name
        self.fault_code = fault_code

    def is_a(self, error):
        """Whether the server refused with ``error`` (an Odoo exception class)."""
        if self.fault_code is not None:
            expected = ACCESS_FAULT if issubclass(error, AccessError) else USER_FAULT
            return self.fault_code == expected
        return self.name == f"{error.__module__}.{error.__name__}"

    def __str__(self):
        kind = self.name or f"fault {self.fault_code}"
        return f"{kind}: {self.message}"


@tagged("post_install", "-at_install")
class TestSecurityAttacks(HttpCase):
    """Salespeople, reviewers, an outsider and a review administrator attack the review over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # Demo rules would add their own steps to the orders built here.
        env["crm.review.rule"].search([]).active = False
        cls.company = env.company
        cls.company_b = env["res.company"].create({"name": "Attack Company B"})
        cls.group_system = env.ref("base.group_system")
        sales = "sales_team.group_sale_salesman"
        reviewers = f"{sales},crm_review.group_review_reviewer"
        cls.salesman = cls._user("atk_salesman", sales, "Sam Seller")
        cls.salesman2 = cls._user("atk_salesman2", sales, "Sue Seller")
        cls.biller = cls._user("atk_biller", f"{sales},account.group_account_invoice", "Bill Biller")
        cls.reviewer = cls._user("atk_reviewer", reviewers, "Rae Reviewer")
        cls.reviewer2 = cls._user("atk_reviewer2", reviewers, "Rex Reviewer")
        cls.substitute = cls._user("atk_substitute", reviewers, "Sid Substitute")
        cls.outsider = cls._user("atk_outsider", "base.group_user", "Olga Outsider")
        # Review administrator of both companies: company B's orders fall back to them (the A-only reviewers
        # named by the rules are not allowed in company B).
        cls.review_admin = cls._user(
            "atk_revadmin",
            f"{sales},crm_review.group_review_manager",
            "Ada Admin",
            company_ids=[Command.set([cls.company.id, cls.company_b.id])],
        )
        cls.system_admin = cls._user("atk_sysadmin", "base.group_system", "Sys Admin")
        cls.salesman_b = cls._user(
            "atk_salesman_b", sales, "Bea Both", company_ids=[Command.set([cls.company.id, cls.company_b.id])]
        )
        cls.inactive_reviewer = cls._user("atk_inactive", reviewers, "Ian Inactive")
        cls.inactive_reviewer.active = False
        cls.portal_user = cls._user("atk_portal", "base.group_portal", "Pat Portal")
        expiration = datetime.now() + timedelta(hours=12)
        cls.api_keys = {
            user.id: env["res.users.apikeys"].with_user(user)._generate(None, "attack", expiration)
            for user in (
                cls.salesman,
                cls.salesman2,
                cls.biller,
                cls.reviewer,
                cls.reviewer2,
                cls.substitute,
                cls.outsider,
                cls.review_admin,
                cls.system_admin,
            )
        }

        cls.sale_model_id = env["ir.model"]._get_id("sale.order")
        cls.rule = env["crm.review.rule"].create(
            {
                "name": "Attack: two steps",
                "state": "active",
                "model_id": cls.sale_model_id,
                "domain": "[('client_order_ref', '=', 'two steps')]",
                "step_ids": [
                    Command.create({"name": "Manager", "sequence": 10, "user_ids": [Command.set(cls.reviewer.ids)]}),
                    Command.create(
                        {"name": "Controller", "sequence": 20, "user_ids": [Command.set(cls.reviewer2.ids)]}
                    ),
                ],
            }
        )
        cls.rule_all = env["crm.review.rule"].create(
            {
                "name": "Attack: everyone",
                "state": "active",
                "model_id": cls.sale_model_id,
                "domain": "[('client_order_ref', '=', 'all')]",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Board",
                            "approval_mode": "all",
                            "user_ids": [Command.set((cls.reviewer | cls.reviewer2).ids)],
                        }
                    )
                ],
            }
        )
        cls.reminder_rule = env["crm.review.reminder.rule"].create(cls._reminder_vals("[]"))
        cls.reason = env.ref("crm_review.reason_incomplete")

        cls.customer = env["res.partner"].create({"name": "Attack Customer"})
        cls.other_customer = env["res.partner"].create({"name": "Other Customer"})
        cls.product = env["product.product"].create({"name": "Attack widget", "list_price": 500.0})
        cls.order = cls._order(cls.salesman, "two steps")
        cls.order_all = cls._order(cls.salesman, "all")
        cls.order_by_substitute = cls._order(cls.substitute, "two steps")
        cls.order_plain = cls._order(cls.salesman, False)
        cls.order_biller = cls._order(cls.biller, False)
        cls.order_b = cls._order(cls.salesman_b, "two steps", company=cls.company_b)
        for order in (cls.order, cls.order_all, cls.order_by_substitute, cls.order_b):
            order.with_user(order.user_id).with_company(order.company_id).action_review_submit()

    @classmethod
    def _user(cls, login, groups, name, **values):
        # The password of a test user is its login (all logins here have 8 characters or more).
        return new_test_user(cls.env, login, groups=groups, name=name, **values)

    @classmethod
    def _order(cls, user, reference, company=None):
        company = company or cls.company
        return (
            cls.env["sale.order"]
            .with_user(user)
            .with_company(company)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": user.id,
                    "company_id": company.id,
                    "client_order_ref": reference,
                    "order_line": [
                        Command.create({"product_id": cls.product.id, "product_uom_qty": 2, "price_unit": 700.0})
                    ],
                }
            )
        )

    @classmethod
    def _reminder_vals(cls, domain):
        fields_ = cls.env["ir.model.fields"]
        return {
            "name": "Attack reminder",
            "model_id": cls.env["ir.model"]._get_id("sale.order"),
            "domain": domain,
            "date_field_id": fields_._get("sale.order", "date_order").id,
            "recipient_type": "field",
            "user_field_id": fields_._get("sale.order", "user_id").id,
        }

    def setUp(self):
        super().setUp()
        self._uids = {}

    # ------------------------------------------------------------------
    # Transports: a call as a real user, over XML-RPC or JSON-2
    # ------------------------------------------------------------------

    def xmlrpc(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over /xmlrpc/2/object, logged in with ``user``'s password."""
        db = self.env.cr.dbname
        self.env.flush_all()
        try:
            if user.id not in self._uids:
                self._uids[user.id] = self.xmlrpc_common.authenticate(db, user.login, user.login, {})
                self.assertEqual(self._uids[user.id], user.id, "the attacker logs in")
            return self.xmlrpc_object.execute_kw(db, user.id, user.login, model, method, list(args), kwargs)
        except xmlrpc.client.Fault as fault:
            raise Refused(fault.faultString, fault.faultString, fault_code=fault.faultCode) from None
        finally:
            self.env.invalidate_all()

    def json2(self, user, model, method, ids=(), context=None, **kwargs):
        """``model.method(**kwargs)`` on ``ids`` over /json/2, authenticated with ``user``'s API key."""
        body = dict(kwargs, context=context or {})
        if ids:
            body["ids"] = list(ids)
        self.env.flush_all()
        try:
            response = self.url_open(
                f"/json/2/{model}/{method}",
                data=json.dumps(body),
                headers={"Content-Type": "application/json", "Authorization": f"bearer {self.api_keys[user.id]}"},
            )
        finally:
            self.env.invalidate_all()
        if response.status_code != 200:
            try:
                error = response.json()
            except ValueError:
                error = {"name": f"HTTP {response.status_code}", "message": response.text}
            raise Refused(error["message"], response.text, name=error["name"])
        return response.json()

    # ------------------------------------------------------------------
    # Assertions: refused, and nothing changed
    # ------------------------------------------------------------------

    def _snapshot(self, records):
        """Everything an attack could change on ``records``, read as superuser.

        Every stored field of each record; for reviewed records, also their
        review lines and audit trail.
        :return: {what: values}
        """
        self.env.invalidate_all()
        state = {}
        for record in records:
            record = record.sudo().with_context(active_test=False)
            names = (
                USER_FIELDS
                if record._name == "res.users"
                else [name for name, field in record._fields.items() if field.store and field.type != "binary"]
            )
            for values in record.read(names):
                state[f"{record._name},{values['id']}"] = values
            if "review_state" in record._fields:
                domain = [("res_model", "=", record._name), ("res_id", "in", record.ids)]
                for model, names in (("crm.review", LINE_FIELDS), ("crm.review.log", LOG_FIELDS)):
                    for values in self.env[model].sudo().search_read(domain, names, order="id"):
                        state[f"{model},{values['id']} of {record._name},{record.ids}"] = values
        return state

    def _changes(self, before, after):
        """Each row and field that differs, old value -> new value."""
        changes = []
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            if isinstance(old, dict) and isinstance(new, dict):
                changes += [f"{key} {name}: {old[name]!r} -> {new[name]!r}" for name in old if old[name] != new[name]]
            else:
                changes.append(f"{key}: {old!r} -> {new!r}")
        return "\n".join(changes)

    @contextmanager
    def assertRefused(self, error, message, *watched):
        """The call in the block is refused with ``error`` saying ``message``; ``watched`` records are unchanged.

        /json/2 names the exception class; /xmlrpc/2 tells access errors from
        the other user errors by the fault code. Yields an object whose
        ``refusal`` is the server's answer once the block has run.
        """
        before = self._snapshot(watched)
        outcome = SimpleNamespace(refusal=None)
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc", "odoo.addons.base.models.ir_rule"):
            try:
                yield outcome
            except Refused as refusal:
                outcome.refusal = refusal
        changes = self._changes(before, self._snapshot(watched))
        if outcome.refusal is None:
            self.fail(f"not refused: expected {error.__name__} ({message})\n{changes}".strip())
        self.assertTrue(outcome.refusal.is_a(error), f"expected {error.__name__}, got {outcome.refusal}")
        self.assertIn(message, outcome.refusal.message)
        self.assertFalse(changes, "a refused call left changes behind")

    @contextmanager
    def assertUnchanged(self, *watched):
        """Whatever the block does, ``watched`` records are exactly as before."""
        before = self._snapshot(watched)
        yield
        self.assertFalse(self._changes(before, self._snapshot(watched)), "the attack changed data")

    def _pending_line(self, record):
        self.env.invalidate_all()
        return record.sudo().review_ids.filtered(lambda line: line.is_current and line.state == "pending")

    def _set_substitute(self, users, substitute):
        users.sudo().write({"review_substitute_id": substitute.id})
        self.env.flush_all()

    # ------------------------------------------------------------------
    # Conditions see ids and dates only
    # ------------------------------------------------------------------

    def _rule_vals(self, domain):
        return {
            "name": "Hostile rule",
            "state": "active",
            "model_id": self.sale_model_id,
            "domain": domain,
            "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
        }

    def _assert_not_system(self, user):
        self.env.invalidate_all()
        self.assertNotIn(self.group_system, user.sudo().all_group_ids, f"{user.name} became a system administrator")

    def test_rule_condition_cannot_grant_rights_on_create(self):
        hostile = HOSTILE_ESCALATION % self.group_system.id
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin):
            self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(hostile)])
        self._assert_not_system(self.review_admin)

    def test_rule_condition_cannot_grant_rights_on_write(self):
        hostile = HOSTILE_ESCALATION % self.group_system.id
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin, self.rule):
            self.xmlrpc(self.review_admin, "crm.review.rule", "write", self.rule.ids, {"domain": hostile})
        self._assert_not_system(self.review_admin)

    def test_step_condition_cannot_grant_rights(self):
        hostile = HOSTILE_ESCALATION % self.group_system.id
        step = self.rule.step_ids[0]
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin, self.rule):
            self.json2(
                self.review_admin,
                "crm.review.step",
                "create",
                vals_list=[
                    {
                        "rule_id": self.rule.id,
                        "name": "Hostile step",
                        "user_ids": [Command.set(self.reviewer.ids)],
                        "domain": hostile,
                    }
                ],
            )
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin, step):
            self.xmlrpc(self.review_admin, "crm.review.step", "write", step.ids, {"domain": hostile})
        self._assert_not_system(self.review_admin)

    def test_reminder_condition_cannot_grant_rights(self):
        hostile = HOSTILE_ESCALATION % self.group_system.id
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin):
            self.xmlrpc(self.review_admin, "crm.review.reminder.rule", "create", [self._reminder_vals(hostile)])
        with self.assertRefused(ValidationError, f"The condition {hostile}", self.review_admin, self.reminder_rule):
            self.json2(
                self.review_admin,
                "crm.review.reminder.rule",
                "write",
                ids=self.reminder_rule.ids,
                vals={"domain": hostile},
            )
        self._assert_not_system(self.review_admin)

    def test_condition_cannot_read_the_database_secret(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        self.assertTrue(secret)
        for domain in HOSTILE_SECRETS:
            with self.subTest(domain=domain):
                with self.assertRefused(ValidationError, f"The condition {domain}", self.rule) as outcome:
                    self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(domain)])
                self.assertNotIn(secret, outcome.refusal.text, "the error response shows the database secret")
                with self.assertRefused(ValidationError, f"The condition {domain}", self.rule) as outcome:
                    self.xmlrpc(self.review_admin, "crm.review.rule", "write", self.rule.ids, {"domain": domain})
                self.assertNotIn(secret, outcome.refusal.text, "the error response shows the database secret")

    def test_conditions_with_ids_and_dates_keep_working(self):
        condition = (
            "[('client_order_ref', '=', 'ids and dates'), ('user_id', '=', uid), ('company_id', 'in', company_ids),"
            " ('company_id', '=', company_id),"
            " ('date_order', '>=', (context_today() - relativedelta(days=30)).strftime('%Y-%m-%d'))]"
        )
        [rule_id] = self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(condition)])
        self.assertEqual(self.env["crm.review.rule"].browse(rule_id).domain, condition)
        values = {"partner_id": self.customer.id, "client_order_ref": "ids and dates"}
        order_id = self.xmlrpc(self.salesman, "sale.order", "create", values)
        [read] = self.xmlrpc(self.salesman, "sale.order", "read", [order_id], ["review_required"])
        self.assertTrue(read["review_required"], "the condition matches the user's own order")
        # The same reference on another salesperson's order: uid is the user asking.
        other_id = self.json2(self.salesman2, "sale.order", "create", vals_list=[values])[0]
        [read] = self.json2(self.salesman2, "sale.order", "read", ids=[other_id], fields=["review_required"])
        self.assertTrue(read["review_required"], "uid is the user asking: salesman2 asks about their own order")
        self.xmlrpc(self.salesman, "sale.order", "action_review_submit", [order_id])
        self.assertEqual(self.env["sale.order"].browse(order_id).review_state, "pending")

    # ------------------------------------------------------------------
    # Conditions are parsed, never run (second pass)
    # ------------------------------------------------------------------

    def test_condition_format_string_is_no_oracle(self):
        """A format string walking to Odoo's configuration is refused, and the same way for every guess."""
        password = "{0.__init__.__globals__[__builtins__]}"
        refusals = []
        for guess in ("a", "b"):
            domain = f"[('name', '=', '{password}'.format(relativedelta) == '{guess}')]"
            with self.assertRefused(ValidationError, "cannot be used: .format: is not allowed", self.rule) as outcome:
                self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(domain)])
            refusals.append(outcome.refusal.message.replace(domain, "<condition>"))
            with self.assertRefused(ValidationError, ".format: is not allowed", self.rule):
                self.xmlrpc(self.review_admin, "crm.review.rule", "write", self.rule.ids, {"domain": domain})
        self.assertEqual(refusals[0], refusals[1], "the refusal tells nothing about the guess")
        admin_password = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        self.assertNotIn(admin_password, "".join(refusals))

    def test_condition_cannot_stall_the_server(self):
        """time.sleep and huge powers are refused when saved: nothing is evaluated, at save or at submission."""
        step = self.rule.step_ids[0]
        for hostile, construct in (
            ("[('amount_total', '>', time.sleep(30))]", ".sleep"),
            ("[('amount_total', '>', 10**10**7)]", "**"),
            ("[('client_order_ref', 'in', ['x'] * 10**8)]", "*"),
        ):
            with self.subTest(condition=hostile):
                with self.assertRefused(ValidationError, f"{construct}: is not allowed", self.rule):
                    self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(hostile)])
                with self.assertRefused(ValidationError, f"{construct}: is not allowed", step):
                    self.xmlrpc(self.review_admin, "crm.review.step", "write", step.ids, {"domain": hostile})
                with self.assertRefused(ValidationError, f"{construct}: is not allowed", self.reminder_rule):
                    self.xmlrpc(
                        self.review_admin,
                        "crm.review.reminder.rule",
                        "write",
                        self.reminder_rule.ids,
                        {"domain": hostile},
                    )

    def test_condition_on_a_field_one_cannot_read_is_refused(self):
        """Saving a condition is no oracle on hidden fields: it needs the right to read what it reads."""
        # Payment transactions of an order are for Billing users; the review administrator has sales rights only.
        hidden = "[('transaction_ids.reference', '=', 'guess')]"
        with self.assertRefused(AccessError, 'access the field "transaction_ids"', self.rule):
            self.json2(self.review_admin, "crm.review.rule", "create", vals_list=[self._rule_vals(hidden)])
        with self.assertRefused(AccessError, 'access the field "transaction_ids"', self.rule):
            self.xmlrpc(self.review_admin, "crm.review.rule", "write", self.rule.ids, {"domain": hidden})
        step = self.rule.step_ids[0]
        with self.assertRefused(AccessError, 'access the field "transaction_ids"', step):
            self.xmlrpc(self.review_admin, "crm.review.step", "write", step.ids, {"domain": hidden})
        with self.assertRefused(AccessError, 'access the field "transaction_ids"', self.reminder_rule):
            self.json2(
                self.review_admin,
                "crm.review.reminder.rule",
                "write",
                ids=self.reminder_rule.ids,
                vals={"domain": hidden},
            )
        # A Billing user may.
        self.review_admin.sudo().group_ids = [Command.link(self.env.ref("account.group_account_invoice").id)]
        self.xmlrpc(self.review_admin, "crm.review.rule", "write", self.rule.ids, {"domain": hidden})
        self.assertEqual(self.rule.domain, hidden)

    def test_simulate_tells_nothing_about_records_one_cannot_read(self):
        """A review administrator without sales rights cannot learn an order's token through Simulate."""
        admin_no_sales = self._user("atk_revadmin_ns", "crm_review.group_review_manager", "Nia NoSales")
        self.api_keys[admin_no_sales.id] = (
            self.env["res.users.apikeys"]
            .with_user(admin_no_sales)
            ._generate(None, "attack", datetime.now() + timedelta(hours=1))
        )
        order = self.order_plain.sudo()
        order._portal_ensure_token()
        results = []
        for guess in (order.access_token, "wrong-token"):
            vals = self._rule_vals(f"[('access_token', '=', {guess!r})]")
            vals["active"] = False
            [rule_id] = self.json2(admin_no_sales, "crm.review.rule", "create", vals_list=[vals])
            [wizard_id] = self.json2(
                admin_no_sales,
                "crm.review.simulate",
                "create",
                vals_list=[{"rule_id": rule_id, "res_ref": f"sale.order,{order.id}", "submitter_id": self.salesman.id}],
            )
            [read] = self.json2(admin_no_sales, "crm.review.simulate", "read", ids=[wizard_id], fields=["result"])
            results.append(read["result"])
        self.assertIn("You cannot read this record", results[0])
        self.assertEqual(results[0], results[1], "Simulate answers the same whatever the guess")

    # ------------------------------------------------------------------
    # Rights re-checked where decisions run
    # ------------------------------------------------------------------

    def _take_reviewer_access(self, user):
        """``user`` keeps reading every order (all leads) but loses the Reviewer access."""
        user.sudo().write(
            {
                "group_ids": [
                    Command.unlink(self.env.ref("crm_review.group_review_reviewer").id),
                    Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id),
                ]
            }
        )
        self.env.flush_all()
        self.assertFalse(user._review_is_reviewer())

    def test_reviewer_who_lost_the_access_cannot_decide(self):
        self._take_reviewer_access(self.reviewer)
        [read] = self.json2(self.reviewer, "sale.order", "read", ids=self.order.ids, fields=["review_can_decide"])
        self.assertFalse(read["review_can_decide"], "no decision offered")
        found = self.xmlrpc(self.reviewer, "sale.order", "search", [("review_to_me", "=", True)])
        self.assertNotIn(self.order.id, found, "not in 'To review by me'")
        with self.assertRefused(AccessError, "you do not have the Reviewer access", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        with self.assertRefused(AccessError, "you do not have the Reviewer access", self.order):
            self.json2(self.reviewer, "sale.order", "action_review_approve", ids=self.order.ids)
        # The reject wizard asks the same engine.
        [wizard_id] = self.json2(
            self.reviewer,
            "crm.review.reject",
            "create",
            vals_list=[{"res_model": "sale.order", "res_ids": str(self.order.ids), "reason_id": self.reason.id}],
        )
        with self.assertRefused(AccessError, "you do not have the Reviewer access", self.order):
            self.json2(self.reviewer, "crm.review.reject", "action_confirm", ids=[wizard_id])

    def test_reviewer_who_lost_the_access_cannot_approve_from_the_email(self):
        link = self._pending_line(self.order)._review_approve_link(self.reviewer)
        self._take_reviewer_access(self.reviewer)
        self.authenticate(self.reviewer.login, self.reviewer.login)
        with self.assertUnchanged(self.order):
            page = self.url_open(link)
            self.assertEqual(page.status_code, 200)
            self.assertNotIn('method="post"', page.text, "no Approve button")
            self.assertIn("Reviewer access", page.text)
            query = parse_qs(urlsplit(link).query)
            csrf = re.search(r'csrf_token: "([^"]+)"', page.text).group(1)
            posted = self.url_open(
                urlsplit(link).path,
                data={"csrf_token": csrf, "user_id": query["user_id"][0], "token": query["token"][0]},
            )
            self.assertIn("Reviewer access", posted.text)

    def test_decision_actions_run_as_the_deciding_user(self):
        """A step's server action runs with the reviewer's rights, not the superuser's."""
        action = self.env["ir.actions.server"].create(
            {
                "name": "Stamp the reference",
                "model_id": self.sale_model_id,
                "state": "code",
                "code": "records.write({'client_order_ref': 'stamped'})",
            }
        )
        self.rule.step_ids[0].action_approved_id = action
        # The reviewer reads the order through the review, and may not write it.
        with self.assertRefused(AccessError, "cannot run as you", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        # A reviewer who may write every order runs it.
        self.reviewer.sudo().group_ids = [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        self.assertEqual(self.order.client_order_ref, "stamped")
        self.assertEqual(self.order.write_uid, self.reviewer, "written as the reviewer")

    def test_decision_actions_belong_to_the_rule_model(self):
        partner_action = self.env["ir.actions.server"].create(
            {
                "name": "Partner action",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "code",
                "code": "records.write({'comment': 'x'})",
            }
        )
        with self.assertRefused(ValidationError, "must be actions of", self.rule):
            self.json2(
                self.review_admin,
                "crm.review.rule",
                "write",
                ids=self.rule.ids,
                vals={"action_approved_id": partner_action.id},
            )
        step = self.rule.step_ids[0]
        with self.assertRefused(ValidationError, "must be actions of", step):
            self.xmlrpc(
                self.review_admin, "crm.review.step", "write", step.ids, {"action_rejected_id": partner_action.id}
            )

    def test_read_only_reviewer_cannot_reopen_an_approved_order(self):
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        self.xmlrpc(self.reviewer2, "sale.order", "action_review_approve", self.order.ids)
        self.assertEqual(self.order.review_state, "approved")
        # The reviewer reads the order through its review, and may not edit it.
        with self.assertRefused(AccessError, "needs the right to edit it", self.order):
            self.json2(self.reviewer, "sale.order", "action_review_submit", ids=self.order.ids)
        with self.assertRefused(AccessError, "needs the right to edit it", self.order):
            self.xmlrpc(self.reviewer2, "sale.order", "action_review_submit", self.order.ids)

    def test_salesperson_without_contact_rights_cannot_submit_or_recall_a_customer(self):
        self.env["crm.review.rule"].create(
            {
                "name": "Attack: customers",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('ref', '=', 'rights')]",
                "step_ids": [Command.create({"name": "Credit", "user_ids": [Command.set(self.reviewer.ids)]})],
            }
        )
        customer = self.env["res.partner"].create({"name": "Rights customer", "ref": "rights"})
        with self.assertRefused(AccessError, "needs the right to edit it", customer):
            self.xmlrpc(self.salesman, "res.partner", "action_review_submit", customer.ids)
        # Submitted while they could edit contacts; the right is gone since.
        partner_manager = self.env.ref("base.group_partner_manager")
        self.salesman.sudo().group_ids = [Command.link(partner_manager.id)]
        self.xmlrpc(self.salesman, "res.partner", "action_review_submit", customer.ids)
        self.assertEqual(customer.review_state, "pending")
        self.salesman.sudo().group_ids = [Command.unlink(partner_manager.id)]
        with self.assertRefused(AccessError, "needs the right to edit it", customer):
            self.json2(self.salesman, "res.partner", "action_review_recall", ids=customer.ids)
        # A review administrator recalls what they may read.
        self.json2(self.review_admin, "res.partner", "action_review_recall", ids=customer.ids)
        self.assertEqual(customer.review_state, "draft")

    def test_to_review_by_me_agrees_with_deciding_for_shared_contacts(self):
        """Substitutes off in the company the user works in: a shared contact is neither listed nor decidable."""
        self.env["crm.review.rule"].create(
            {
                "name": "Attack: shared contacts",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('ref', '=', 'shared')]",
                "step_ids": [Command.create({"name": "Contacts", "user_ids": [Command.set(self.reviewer.ids)]})],
            }
        )
        contact = self.env["res.partner"].create({"name": "Shared contact", "ref": "shared", "company_id": False})
        contact.action_review_submit()
        self._set_substitute(self.reviewer, self.substitute)
        self.company.review_delegation = False
        self.company_b.review_delegation = True
        found = self.xmlrpc(self.substitute, "res.partner", "search", [("review_to_me", "=", True)])
        self.assertNotIn(contact.id, found, "not listed: the substitute could not decide it")
        with self.assertRefused(AccessError, "not a reviewer", contact):
            self.xmlrpc(self.substitute, "res.partner", "action_review_approve", contact.ids)

    # ------------------------------------------------------------------
    # Own documents stay own documents (Billing does not widen them)
    # ------------------------------------------------------------------

    def test_billing_salesperson_cannot_read_others_orders(self):
        order = self.order_plain
        self.assertEqual(self.xmlrpc(self.biller, "sale.order", "search_read", [("id", "=", order.id)], ["name"]), [])
        self.assertEqual(
            self.json2(self.biller, "sale.order.line", "search_read", domain=[("order_id", "=", order.id)], fields=[]),
            [],
        )
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", order) as outcome:
            self.json2(self.biller, "sale.order", "read", ids=order.ids, fields=["name", "amount_total"])
        self.assertNotIn(order.name, outcome.refusal.message)
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", order):
            self.xmlrpc(self.biller, "sale.order.line", "read", order.order_line.ids, ["price_unit"])

    def test_billing_salesperson_cannot_write_others_orders(self):
        order = self.order_plain
        with self.assertRefused(AccessError, NO_RULE_ACCESS_AT_ALL, order, order.order_line):
            self.xmlrpc(self.biller, "sale.order", "write", order.ids, {"client_order_ref": "mine now"})
        with self.assertRefused(AccessError, NO_RULE_ACCESS_AT_ALL, order, order.order_line):
            self.json2(self.biller, "sale.order.line", "write", ids=order.order_line.ids, vals={"price_unit": 1.0})

    def test_billing_salesperson_reads_and_writes_own_orders(self):
        order = self.order_biller
        [read] = self.xmlrpc(self.biller, "sale.order", "read", order.ids, ["name", "amount_total"])
        self.assertEqual(read["name"], order.name)
        [line] = self.json2(self.biller, "sale.order.line", "read", ids=order.order_line.ids, fields=["price_unit"])
        self.assertEqual(line["price_unit"], 700.0)
        self.json2(self.biller, "sale.order", "write", ids=order.ids, vals={"client_order_ref": "PO-42"})
        self.xmlrpc(self.biller, "sale.order.line", "write", order.order_line.ids, {"price_unit": 650.0})
        self.assertEqual(order.client_order_ref, "PO-42")
        self.assertEqual(order.order_line.price_unit, 650.0)

    # ------------------------------------------------------------------
    # Review lines and audit trail are readable only with their record
    # ------------------------------------------------------------------

    def test_review_lines_unreadable_without_the_record(self):
        lines = self.order.sudo().review_ids
        domain = [("res_model", "=", "sale.order"), ("res_id", "=", self.order.id)]
        for user in (self.outsider, self.salesman2):
            with self.subTest(user=user.name):
                self.assertEqual(self.xmlrpc(user, "crm.review", "search_read", domain, ["res_name", "state"]), [])
                with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", self.order) as outcome:
                    self.json2(user, "crm.review", "read", ids=lines.ids, fields=["res_name", "state"])
                self.assertNotIn(self.order.name, outcome.refusal.text)

    def test_audit_trail_unreadable_without_the_record(self):
        logs = self.order.sudo().review_log_ids
        self.assertTrue(logs)
        domain = [("res_model", "=", "sale.order"), ("res_id", "=", self.order.id)]
        for user in (self.outsider, self.salesman2):
            with self.subTest(user=user.name):
                self.assertEqual(
                    self.json2(user, "crm.review.log", "search_read", domain=domain, fields=["res_name"]), []
                )
                with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", self.order) as outcome:
                    self.xmlrpc(user, "crm.review.log", "read", logs.ids, ["res_name", "action"])
                self.assertNotIn(self.order.name, outcome.refusal.text)

    def test_reject_wizard_does_not_reveal_record_names(self):
        context = {"default_res_model": "sale.order", "default_res_ids": str(self.order.ids)}
        for user in (self.outsider, self.salesman2):
            with self.subTest(user=user.name), self.assertUnchanged(self.order):
                answers = []
                try:
                    [wizard_id] = self.json2(user, "crm.review.reject", "create", context=context, vals_list=[{}])
                    answers.append(json.dumps(wizard_id))
                    answers.append(
                        json.dumps(
                            self.json2(user, "crm.review.reject", "read", ids=[wizard_id], fields=["record_names"])
                        )
                    )
                except Refused as refusal:
                    self.assertTrue(refusal.is_a(AccessError), refusal)
                    answers.append(refusal.text)
                for answer in answers:
                    self.assertNotIn(
                        self.order.name, answer, "the wizard shows the name of an order the user cannot read"
                    )

    # ------------------------------------------------------------------
    # Email links: opening one changes nothing, only a confirmed POST approves
    # ------------------------------------------------------------------

    def _csrf_token(self, page):
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        self.assertTrue(found, "the page has a confirmation form")
        return found.group(1)

    def test_email_link_opened_approves_nothing(self):
        # Links of earlier emails, signed for the record only, are opened by the reviewer.
        signed = self.order._notify_get_action_link("controller", controller="/crm_review/approve/sale.order")
        self.authenticate(self.reviewer.login, self.reviewer.login)
        with self.assertUnchanged(self.order):
            self.assertEqual(self.url_open(signed[signed.index("/crm_review") :]).status_code, 200)
        line = self._pending_line(self.order)
        link = line._review_approve_link(self.reviewer)
        with self.assertUnchanged(self.order):
            # A mail scanner, not logged in...
            self.authenticate(None, None)
            self.assertEqual(self.url_open(link).status_code, 200)
            # ... and the reviewer opening the link, twice.
            self.authenticate(self.reviewer.login, self.reviewer.login)
            for _i in range(2):
                response = self.url_open(link)
                self.assertEqual(response.status_code, 200)
        self.assertIn('method="post"', response.text)
        # The confirmation (a POST with the user's CSRF token) is what approves.
        query = parse_qs(urlsplit(link).query)
        self.url_open(
            urlsplit(link).path,
            data={
                "csrf_token": self._csrf_token(response.text),
                "user_id": query["user_id"][0],
                "token": query["token"][0],
            },
        )
        self.assertEqual(self._pending_line(self.order).name, "Controller", "the confirmed link approves step 1")

    def test_email_link_without_token_shows_a_page(self):
        line = self._pending_line(self.order)
        self.authenticate(self.reviewer.login, self.reviewer.login)
        with self.assertUnchanged(self.order):
            for url in (
                f"/crm_review/approve/{line.id}",
                f"/crm_review/approve/{line.id}?user_id={self.reviewer.id}",
                f"/crm_review/approve/sale.order?res_id={self.order.id}",
            ):
                with self.subTest(url=url):
                    response = self.url_open(url)
                    self.assertEqual(response.status_code, 200, "an incomplete link is not a server error")
                    self.assertIn("not valid", response.text)

    def test_email_link_with_forged_token_approves_nothing(self):
        line = self._pending_line(self.order)
        genuine = line._review_approve_link(self.reviewer)
        query = parse_qs(urlsplit(genuine).query)
        token = query["token"][0]
        self.authenticate(self.reviewer.login, self.reviewer.login)
        csrf = self._csrf_token(self.url_open(genuine).text)
        other_line = self._pending_line(self.order_all)
        forged = [
            {"user_id": self.reviewer.id, "token": "0" * len(token)},
            {"user_id": self.reviewer.id, "token": token[:-1] + ("0" if token[-1] != "0" else "1")},
        ]
        with self.assertUnchanged(self.order, self.order_all):
            for params in forged:
                with self.subTest(params=params):
                    self.assertIn("not valid", self.url_open(f"/crm_review/approve/{line.id}", params=params).text)
                    self.url_open(f"/crm_review/approve/{line.id}", data=dict(params, csrf_token=csrf))
            # The token of one step does not open another one.
            params = {"user_id": self.reviewer.id, "token": token, "csrf_token": csrf}
            self.url_open(f"/crm_review/approve/{other_line.id}", data=params)
            # Without the user's CSRF token, the genuine link's POST is refused.
            with mute_logger("odoo.http"):
                response = self.url_open(
                    f"/crm_review/approve/{line.id}", data={"user_id": self.reviewer.id, "token": token}
                )
            self.assertEqual(response.status_code, 400)
            # The reviewer's link opened by another reviewer.
            self.authenticate(self.reviewer2.login, self.reviewer2.login)
            self.assertIn("another reviewer", self.url_open(genuine).text)

    # ------------------------------------------------------------------
    # Four eyes: substitutes
    # ------------------------------------------------------------------

    def test_substitute_must_be_a_reviewer(self):
        with self.assertRefused(ValidationError, "cannot be a review substitute", self.reviewer):
            self.json2(
                self.reviewer,
                "res.users",
                "write",
                ids=self.reviewer.ids,
                vals={"review_substitute_id": self.salesman.id},
            )
        with self.assertRefused(ValidationError, "cannot be a review substitute", self.reviewer):
            self.xmlrpc(
                self.reviewer, "res.users", "write", self.reviewer.ids, {"review_substitute_id": self.outsider.id}
            )

    def test_substitute_must_be_an_active_internal_user(self):
        for user in (self.inactive_reviewer, self.portal_user):
            with self.subTest(user=user.name):
                with self.assertRefused(ValidationError, "cannot be a review substitute", self.reviewer):
                    self.xmlrpc(
                        self.reviewer, "res.users", "write", self.reviewer.ids, {"review_substitute_id": user.id}
                    )

    def test_substitute_of_two_reviewers_approves_once(self):
        self._set_substitute(self.reviewer | self.reviewer2, self.substitute)
        self.assertTrue(self.json2(self.substitute, "sale.order", "action_review_approve", ids=self.order_all.ids))
        line = self._pending_line(self.order_all)
        self.assertEqual(self.order_all.review_state, "pending", "one person cannot give both approvals")
        self.assertEqual(len(line.approved_by_ids), 1)
        with self.assertRefused(AccessError, "already approved", self.order_all):
            self.xmlrpc(self.substitute, "sale.order", "action_review_approve", self.order_all.ids)

    def test_substitute_who_submitted_cannot_approve(self):
        self._set_substitute(self.reviewer, self.substitute)
        [read] = self.xmlrpc(
            self.substitute, "sale.order", "read", self.order_by_substitute.ids, ["review_can_decide", "review_to_me"]
        )
        self.assertFalse(read["review_can_decide"], "the submitter is offered no decision on their own submission")
        self.assertFalse(read["review_to_me"])
        with self.assertRefused(AccessError, "you submitted it", self.order_by_substitute):
            self.json2(self.substitute, "sale.order", "action_review_approve", ids=self.order_by_substitute.ids)

    def test_substitute_decision_names_the_reviewer_stood_in_for(self):
        self._set_substitute(self.reviewer, self.substitute)
        [read] = self.json2(self.substitute, "sale.order", "read", ids=self.order.ids, fields=["review_can_decide"])
        self.assertTrue(read["review_can_decide"])
        self.xmlrpc(self.substitute, "sale.order", "action_review_approve", self.order.ids)
        log = self.order.sudo().review_log_ids.filtered(lambda row: row.action == "approve")
        self.assertEqual(log.user_id, self.substitute)
        self.assertEqual(log.substitute_for_id, self.reviewer)

    def test_substitute_cannot_decide_without_delegation(self):
        self._set_substitute(self.reviewer, self.substitute)
        self.company.review_delegation = False
        [read] = self.json2(self.substitute, "sale.order", "read", ids=self.order.ids, fields=["review_can_decide"])
        self.assertFalse(read["review_can_decide"])
        with self.assertRefused(AccessError, "not a reviewer", self.order):
            self.xmlrpc(self.substitute, "sale.order", "action_review_approve", self.order.ids)
        # The reviewer still decides.
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        self.assertEqual(self._pending_line(self.order).name, "Controller")

    # ------------------------------------------------------------------
    # Steps approved by "a user field": a user field only
    # ------------------------------------------------------------------

    def test_field_step_needs_a_user_field(self):
        fields_ = self.env["ir.model.fields"]
        step = self.rule.step_ids[0]
        with self.assertRefused(ValidationError, "user field", self.rule):
            self.json2(
                self.review_admin,
                "crm.review.step",
                "create",
                vals_list=[
                    {
                        "rule_id": self.rule.id,
                        "name": "Customer decides",
                        "approver_type": "field",
                        "user_field_id": fields_._get("sale.order", "partner_id").id,
                    }
                ],
            )
        with self.assertRefused(ValidationError, "user field", step):
            self.xmlrpc(
                self.review_admin,
                "crm.review.step",
                "write",
                step.ids,
                {"approver_type": "field", "user_field_id": fields_._get("res.partner", "country_id").id},
            )
        # A user field of the record is fine.
        self.xmlrpc(
            self.review_admin,
            "crm.review.step",
            "write",
            step.ids,
            {"approver_type": "field", "user_field_id": fields_._get("sale.order", "user_id").id},
        )
        self.assertEqual(step.user_field_id.name, "user_id")

    # ------------------------------------------------------------------
    # The audit trail is immutable
    # ------------------------------------------------------------------

    def test_audit_trail_cannot_be_deleted(self):
        logs = self.order.sudo().review_log_ids
        for user in (self.review_admin, self.system_admin):
            for context in ({}, {"crm_review_unlink_with_record": True}):
                with self.subTest(user=user.name, context=context):
                    with self.assertRefused(AccessError, NO_MODEL_ACCESS % "delete", self.order, logs):
                        self.xmlrpc(user, "crm.review.log", "unlink", logs.ids, context=context)
                    with self.assertRefused(AccessError, NO_MODEL_ACCESS % "delete", self.order, logs):
                        self.json2(user, "crm.review.log", "unlink", ids=logs.ids, context=context)

    def test_audit_trail_cannot_be_written(self):
        logs = self.order.sudo().review_log_ids
        for user in (self.review_admin, self.system_admin):
            with self.subTest(user=user.name):
                with self.assertRefused(AccessError, "cannot be changed", self.order, logs):
                    self.json2(user, "crm.review.log", "write", ids=logs.ids, vals={"action": "approve"})
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "create", self.order, logs):
                    self.xmlrpc(
                        user,
                        "crm.review.log",
                        "create",
                        [{"res_model": "sale.order", "res_id": self.order.id, "action": "approve"}],
                    )

    # ------------------------------------------------------------------
    # Forged review data and decisions out of turn
    # ------------------------------------------------------------------

    def test_review_state_cannot_be_written(self):
        contexts = (
            {},
            {"crm_review_write": True},
            {"crm_review_write": "_REVIEW_WRITE"},
            {"su": True, "install_mode": True, "tracking_disable": True},
        )
        for context in contexts:
            with self.subTest(context=context):
                with self.assertRefused(AccessError, "set by the review process", self.order):
                    self.xmlrpc(
                        self.salesman,
                        "sale.order",
                        "write",
                        self.order.ids,
                        {"review_state": "approved"},
                        context=context,
                    )
                with self.assertRefused(AccessError, "set by the review process", self.order_plain):
                    self.json2(
                        self.salesman,
                        "sale.order",
                        "write",
                        ids=self.order_plain.ids,
                        context=context,
                        vals={"review_state": "approved"},
                    )

    def test_review_state_cannot_be_set_on_create(self):
        values = {"partner_id": self.customer.id, "review_state": "approved"}
        count = self.env["sale.order"].search_count([])
        with self.assertRefused(AccessError, "set by the review process"):
            self.json2(self.salesman, "sale.order", "create", vals_list=[values], context={"crm_review_write": True})
        with self.assertRefused(AccessError, "set by the review process"):
            self.xmlrpc(self.salesman, "sale.order", "create", [values])
        self.assertEqual(self.env["sale.order"].search_count([]), count)

    def test_review_lines_cannot_be_forged(self):
        line = self._pending_line(self.order)
        values = {"res_model": "sale.order", "res_id": self.order.id, "name": "Forged", "state": "approved"}
        for user in (self.salesman, self.reviewer):
            with self.subTest(user=user.name):
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "create", self.order):
                    self.xmlrpc(user, "crm.review", "create", [values])
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "modify", self.order):
                    self.json2(user, "crm.review", "write", ids=line.ids, vals={"state": "approved"})
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "delete", self.order):
                    self.xmlrpc(user, "crm.review", "unlink", line.ids)

    def test_non_reviewer_cannot_approve(self):
        # A reviewer of a later step reads the order, and is told whose step it is.
        with self.assertRefused(AccessError, "not a reviewer of step Manager", self.order):
            self.json2(self.reviewer2, "sale.order", "action_review_approve", ids=self.order.ids)
        # Users who cannot read the order are refused without learning anything of it.
        for user, message in (
            (self.substitute, NO_RULE_ACCESS % "read"),
            (self.salesman2, NO_RULE_ACCESS % "read"),
            (self.outsider, NO_MODEL_ACCESS % "access"),
        ):
            with self.subTest(user=user.name):
                with self.assertRefused(AccessError, message, self.order) as outcome:
                    self.xmlrpc(user, "sale.order", "action_review_approve", self.order.ids)
                self.assertNotIn(self.order.name, outcome.refusal.text)

    def test_approve_twice_refused(self):
        self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        with self.assertRefused(AccessError, "not a reviewer of step Controller", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)
        self.json2(self.reviewer, "sale.order", "action_review_approve", ids=self.order_all.ids)
        with self.assertRefused(AccessError, "already approved", self.order_all):
            self.json2(self.reviewer, "sale.order", "action_review_approve", ids=self.order_all.ids)

    def test_approve_after_recall_refused(self):
        self.json2(self.salesman, "sale.order", "action_review_recall", ids=self.order.ids)
        self.assertEqual(self.order.review_state, "draft")
        with self.assertRefused(UserError, "has no step waiting for a decision", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order.ids)

    def test_submitter_cannot_approve_own_submission(self):
        with self.assertRefused(AccessError, "you submitted it", self.order):
            self.xmlrpc(self.salesman, "sale.order", "action_review_approve", self.order.ids)
        with self.assertRefused(AccessError, "you submitted it", self.order_by_substitute):
            self.json2(self.substitute, "sale.order", "action_review_approve", ids=self.order_by_substitute.ids)

    def test_reject_needs_a_reason(self):
        context = {"default_res_model": "sale.order", "default_res_ids": str(self.order.ids)}
        [wizard_id] = self.json2(
            self.reviewer, "crm.review.reject", "create", context=context, vals_list=[{"note": "No"}]
        )
        with self.assertRefused(UserError, "Choose an active rejection reason", self.order):
            self.json2(self.reviewer, "crm.review.reject", "action_confirm", ids=[wizard_id])

    def test_private_methods_refused(self):
        reject_args = (self.reason.id,)
        for method, args in (("_review_write_state", ("approved",)), ("_review_reject", reject_args)):
            with self.subTest(method=method):
                with self.assertRefused(AccessError, PRIVATE_METHOD % f"sale.order.{method}", self.order):
                    self.xmlrpc(self.reviewer, "sale.order", method, self.order.ids, *args)
        with self.assertRefused(AccessError, PRIVATE_METHOD % "sale.order._review_write_state", self.order):
            self.json2(self.salesman, "sale.order", "_review_write_state", ids=self.order.ids, state="approved")

    def test_non_admin_cannot_configure_reviews(self):
        step = self.rule.step_ids[0]
        for user in (self.reviewer, self.salesman):
            with self.subTest(user=user.name):
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "create", self.rule):
                    self.json2(user, "crm.review.rule", "create", vals_list=[self._rule_vals("[]")])
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "modify", self.rule):
                    self.xmlrpc(user, "crm.review.rule", "write", self.rule.ids, {"active": False})
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "modify", step):
                    self.json2(
                        user, "crm.review.step", "write", ids=step.ids, vals={"user_ids": [Command.set(user.ids)]}
                    )
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "create", self.rule):
                    self.xmlrpc(user, "crm.review.reason", "create", [{"name": "Forged", "reason_type": "reject"}])
                with self.assertRefused(AccessError, NO_MODEL_ACCESS % "modify", self.reason):
                    self.json2(user, "crm.review.reason", "write", ids=self.reason.ids, vals={"active": False})

    def test_key_fields_frozen_under_review(self):
        line = self.order.order_line
        with self.assertRefused(UserError, "is under review", self.order, line):
            self.xmlrpc(self.salesman, "sale.order", "write", self.order.ids, {"partner_id": self.other_customer.id})
        with self.assertRefused(UserError, "is under review", self.order, line):
            self.json2(
                self.salesman,
                "sale.order",
                "write",
                ids=self.order.ids,
                vals={"order_line": [Command.update(line.id, {"price_unit": 1.0})]},
            )
        with self.assertRefused(UserError, "is under review", self.order, line):
            self.xmlrpc(
                self.salesman, "sale.order.line", "write", line.ids, {"price_unit": 1.0, "product_uom_qty": 100}
            )
        with self.assertRefused(UserError, "is under review", self.order, line):
            self.json2(self.salesman, "sale.order.line", "unlink", ids=line.ids)

    def test_amounts_of_an_order_under_review_cannot_be_forged(self):
        # Amounts are computed from the lines, but stored: the ORM lets RPC write them.
        with self.assertRefused(UserError, "cannot be set by hand", self.order, self.order.order_line):
            self.xmlrpc(self.salesman, "sale.order", "write", self.order.ids, {"amount_total": 1.0})

    def test_forged_amount_does_not_escape_review(self):
        self.env["crm.review.rule"].create(self._rule_vals("[('amount_total', '>', 1000)]"))
        order = self.order_plain
        try:
            self.json2(self.salesman, "sale.order", "write", ids=order.ids, vals={"amount_total": 1.0})
        except Refused as refusal:
            self.assertTrue(refusal.is_a(UserError), refusal)
        [read] = self.xmlrpc(self.salesman, "sale.order", "read", order.ids, ["review_required"])
        self.assertTrue(read["review_required"], "an order of 1,610 needs review whatever its stored total says")
        with self.assertRefused(UserError, "has not been submitted", order):
            self.xmlrpc(self.salesman, "sale.order", "action_confirm", order.ids)

    def test_no_line_added_to_an_order_under_review(self):
        values = {"order_id": self.order.id, "product_id": self.product.id, "product_uom_qty": 100, "price_unit": 1.0}
        with self.assertRefused(UserError, "is under review", self.order):
            self.xmlrpc(self.salesman, "sale.order.line", "create", [values])
        with self.assertRefused(UserError, "is under review", self.order):
            self.json2(
                self.salesman, "sale.order", "write", ids=self.order.ids, vals={"order_line": [Command.create(values)]}
            )

    def test_unapproved_order_cannot_be_confirmed(self):
        with self.assertRefused(UserError, "is under review at step Manager", self.order):
            self.xmlrpc(self.salesman, "sale.order", "action_confirm", self.order.ids)
        with self.assertRefused(UserError, "is under review at step Manager", self.order):
            self.json2(
                self.salesman, "sale.order", "action_confirm", ids=self.order.ids, context={"crm_review_write": True}
            )

    def test_recall_of_someone_elses_submission_refused(self):
        # The reviewer reads the order, may not edit it...
        with self.assertRefused(AccessError, "needs the right to edit it", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_recall", self.order.ids)
        # ... and a salesperson who may edit every order did not submit it.
        all_orders = self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.reviewer.sudo().group_ids = [Command.link(all_orders.id)]
        with self.assertRefused(AccessError, "who submitted", self.order):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_recall", self.order.ids)
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", self.order):
            self.json2(self.salesman2, "sale.order", "action_review_recall", ids=self.order.ids)

    def test_approve_order_of_another_company_refused(self):
        self.assertEqual(self._pending_line(self.order_b).company_id, self.company_b)
        # Asking for company B in the context is refused by the framework itself.
        with self.assertRefused(AccessError, "unauthorized or invalid companies", self.order_b):
            self.json2(
                self.reviewer,
                "sale.order",
                "action_review_approve",
                ids=self.order_b.ids,
                context={"allowed_company_ids": [self.company_b.id]},
            )
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read", self.order_b):
            self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", self.order_b.ids)

    # ------------------------------------------------------------------
    # Review analysis: each company's rows, and rows of readable records
    # ------------------------------------------------------------------

    def _api_key(self, user):
        expiration = datetime.now() + timedelta(hours=12)
        self.api_keys[user.id] = self.env["res.users.apikeys"].with_user(user)._generate(None, "attack", expiration)
        return user

    def _report_row(self, order):
        return self.env["crm.review.report"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])

    def test_report_of_another_company_unreadable(self):
        admin_b = self._api_key(
            self._user(
                "atk_revadmin_b",
                "crm_review.group_review_manager",
                "Bo Admin B",
                company_id=self.company_b.id,
                company_ids=[Command.set(self.company_b.ids)],
            )
        )
        row_a, row_b = self._report_row(self.order), self._report_row(self.order_b)
        self.assertEqual((row_a.company_id, row_b.company_id), (self.company, self.company_b))
        rows = self.xmlrpc(admin_b, "crm.review.report", "search_read", [], ["res_id", "res_name", "company_id"])
        self.assertIn(self.order_b.id, [row["res_id"] for row in rows], "company B's administrator reads B")
        self.assertFalse(
            [row for row in rows if row["company_id"] and row["company_id"][0] != self.company_b.id],
            "company B's administrator reads rows of company A",
        )
        self.assertNotIn(self.order.name, json.dumps(rows))
        groups = self.json2(
            admin_b,
            "crm.review.report",
            "formatted_read_group",
            domain=[],
            groupby=["company_id"],
            aggregates=["submission_count:sum"],
        )
        self.assertEqual(
            [group["company_id"][0] for group in groups if group["company_id"]], self.company_b.ids, groups
        )
        groups = self.xmlrpc(admin_b, "crm.review.report", "read_group", [], ["submission_count:sum"], ["res_name"])
        self.assertNotIn(self.order.name, json.dumps(groups))
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read") as outcome:
            self.json2(admin_b, "crm.review.report", "read", ids=row_a.ids, fields=["res_name"])
        self.assertNotIn(self.order.name, outcome.refusal.text)

    def test_report_shared_with_salespeople_shows_their_records_only(self):
        # A site that opens the analysis to salespeople (a dashboard of their own) shares no one else's rows.
        self.env["ir.model.access"].create(
            {
                "name": "crm.review.report salesman",
                "model_id": self.env["ir.model"]._get_id("crm.review.report"),
                "group_id": self.env.ref("sales_team.group_sale_salesman").id,
                "perm_read": True,
            }
        )
        rows = self.env["crm.review.report"].search([])
        found_ids = {}
        for user in (self.salesman, self.salesman2):
            with self.subTest(user=user.name):
                readable = rows.filtered(
                    lambda row, user=user: self.env[row.res_model].browse(row.res_id).with_user(user).has_access("read")
                )
                found = self.xmlrpc(user, "crm.review.report", "search_read", [], ["res_name"])
                found_ids[user] = {row["id"] for row in found}
                self.assertEqual(found_ids[user], set(readable.ids))
                groups = self.json2(
                    user,
                    "crm.review.report",
                    "formatted_read_group",
                    domain=[("res_model", "=", "sale.order")],
                    groupby=["res_id"],
                    aggregates=["__count"],
                )
                orders = {row.res_id for row in readable if row.res_model == "sale.order"}
                self.assertEqual({group["res_id"] for group in groups}, orders)
        own, others = self.order | self.order_all, self.order_by_substitute | self.order_b | self.order
        self.assertLessEqual({self._report_row(order).id for order in own}, found_ids[self.salesman])
        self.assertFalse({self._report_row(order).id for order in others} & found_ids[self.salesman2])
        row = self._report_row(self.order_by_substitute)
        with self.assertRefused(AccessError, NO_RULE_ACCESS % "read") as outcome:
            self.xmlrpc(self.salesman, "crm.review.report", "read", row.ids, ["res_name"])
        self.assertNotIn(self.order_by_substitute.name, outcome.refusal.text)

    # ------------------------------------------------------------------
    # Reminder rules send what their author could send, to who may read
    # ------------------------------------------------------------------

    def _run_reminder_rules(self, rule_id):
        """Run the reminder job with the rule ``rule_id`` alone active."""
        self.env["crm.review.reminder.rule"].search([("id", "!=", rule_id)]).active = False
        self.env.flush_all()
        self.env.ref("crm_review.ir_cron_reminder_rules").method_direct_trigger()
        self.env.invalidate_all()

    def _reminded(self, order, summary):
        """(users with a to-do, partners with an email) about ``order`` from the rule named ``summary``."""
        todos = self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id), ("summary", "=", summary)]
        )
        mails = self.env["mail.mail"].sudo().search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
        return todos.user_id, mails.recipient_ids

    def test_reminder_rule_cannot_send_the_quotation_template_without_sales_rights(self):
        admin = self._api_key(self._user("atk_revadmin_ns", "crm_review.group_review_manager", "Nat Nosales"))
        quotation = self.env.ref("sale.email_template_edi_sale")
        values = dict(
            self._reminder_vals("[]"),
            recipient_type="users",
            user_ids=[(6, 0, admin.ids)],
            channel_email=True,
            template_id=quotation.id,
        )
        count = self.env["crm.review.reminder.rule"].search_count([])
        with self.assertRefused(ValidationError, "cannot send this email template", self.reminder_rule):
            self.xmlrpc(admin, "crm.review.reminder.rule", "create", [values])
        with self.assertRefused(ValidationError, "cannot send this email template", self.reminder_rule):
            self.json2(
                admin,
                "crm.review.reminder.rule",
                "write",
                ids=self.reminder_rule.ids,
                vals={"channel_email": True, "template_id": quotation.id},
            )
        self.assertEqual(self.env["crm.review.reminder.rule"].search_count([]), count)
        # Nor a template of another model, rendered on the ids of orders.
        partner_template = self.env["mail.template"].create(
            {"name": "Partner letter", "model_id": self.env["ir.model"]._get_id("res.partner"), "subject": "Hi"}
        )
        with self.assertRefused(ValidationError, "must be a template of", self.reminder_rule):
            self.json2(
                self.review_admin,
                "crm.review.reminder.rule",
                "write",
                ids=self.reminder_rule.ids,
                vals={"channel_email": True, "template_id": partner_template.id},
            )
        # To-dos alone need no right on the records.
        self.xmlrpc(admin, "crm.review.reminder.rule", "create", [dict(values, channel_email=False, template_id=False)])

    def test_reminder_rule_reaches_only_who_may_read_the_record(self):
        template = self.env["mail.template"].create(
            {
                "name": "Attack follow-up",
                "model_id": self.sale_model_id,
                "subject": "Follow up {{ object.name }}",
                "body_html": "<p>Total: <t t-out='object.amount_total'/></p>",
            }
        )
        own_order = self._order(self.review_admin, False)
        values = dict(
            self._reminder_vals(f"[('id', '=', {own_order.id})]"),
            name="Readers only",
            recipient_type="users",
            user_ids=[Command.set((self.review_admin | self.salesman | self.salesman2).ids)],
            channel_email=True,
            template_id=template.id,
        )
        [rule_id] = self.json2(self.review_admin, "crm.review.reminder.rule", "create", vals_list=[values])
        self._run_reminder_rules(rule_id)
        todo_users, mail_partners = self._reminded(own_order, "Readers only")
        self.assertEqual(todo_users, self.review_admin)
        self.assertEqual(mail_partners, self.review_admin.partner_id)
        strangers = (self.salesman | self.salesman2).partner_id
        self.assertFalse(
            self.env["mail.message"].search([("partner_ids", "in", strangers.ids), ("res_id", "=", own_order.id)])
        )
        rule = self.env["crm.review.reminder.rule"].browse(rule_id)
        self.assertIn("Reminders left out: 2 ", rule.last_run_note)
        self.assertNotIn(own_order.name, rule.last_run_note)

    def test_reminder_rule_renders_its_template_as_its_author(self):
        # A review administrator with sales rights aims the quotation email (portal link, amounts, PDF)
        # of an order they cannot read at themselves and at its salesperson.
        quotation = self.env.ref("sale.email_template_edi_sale")
        order = self.order_plain
        values = dict(
            self._reminder_vals(f"[('id', '=', {order.id})]"),
            name="Fishing",
            recipient_type="users",
            user_ids=[(6, 0, (self.review_admin | self.salesman).ids)],
            channel_email=True,
            template_id=quotation.id,
        )
        [rule_id] = self.xmlrpc(self.review_admin, "crm.review.reminder.rule", "create", [values])
        self._run_reminder_rules(rule_id)
        todo_users, mail_partners = self._reminded(order, "Fishing")
        self.assertEqual(todo_users, self.salesman, "the salesperson reads the order: a to-do")
        self.assertFalse(mail_partners, "the template is rendered as its author, who cannot read the order")
        self.assertFalse(
            self.env["mail.message"]
            .search([("partner_ids", "in", self.review_admin.partner_id.ids)])
            .filtered(lambda message: message.res_id == order.id)
        )
        rule = self.env["crm.review.reminder.rule"].browse(rule_id)
        self.assertIn("Emails left out: 1 (Ada Admin", rule.last_run_note)
        self.assertNotIn(order.name, rule.last_run_note)
        self.assertEqual(rule.write_uid, self.review_admin, "the job's note does not make it the rule's author")

    # ------------------------------------------------------------------
    # Refusals name nothing the user may not read
    # ------------------------------------------------------------------

    def test_list_action_names_unreadable_records_by_id(self):
        secret = self.order_plain
        secret.sudo().name = "SECRET-ORDER-42"
        self.authenticate(self.reviewer.login, self.reviewer.login)
        with self.assertUnchanged(secret):
            result = self.make_jsonrpc_request(
                "/web/action/run",
                {
                    "action_id": self.env.ref("crm_review.action_review_approve_selected").id,
                    "context": {
                        "active_model": "sale.order",
                        "active_ids": (secret | self.order).ids,
                        "active_id": secret.id,
                    },
                },
            )
        message = result["params"]["message"]
        self.assertIn(f"You cannot read Sales Order #{secret.id}.", message)
        self.assertNotIn("SECRET-ORDER", message)
        self.assertIn("1 approved", message)

    def test_rejection_reason_of_another_company_refused(self):
        reason_b = self.env["crm.review.reason"].create(
            {"name": "Company B internal code", "reason_type": "reject", "company_id": self.company_b.id}
        )
        context = {"default_res_model": "sale.order", "default_res_ids": str(self.order.ids)}
        [wizard_id] = self.json2(
            self.reviewer, "crm.review.reject", "create", context=context, vals_list=[{"reason_id": reason_b.id}]
        )
        with self.assertRefused(UserError, "This rejection reason is not in your catalog", self.order) as outcome:
            self.json2(self.reviewer, "crm.review.reject", "action_confirm", ids=[wizard_id])
        self.assertNotIn(reason_b.name, outcome.refusal.text)
        # A reason shared by every company is still in the catalog.
        self.assertFalse(self.reason.company_id)
        [wizard_id] = self.xmlrpc(
            self.reviewer, "crm.review.reject", "create", [{"reason_id": self.reason.id}], context=context
        )
        self.xmlrpc(self.reviewer, "crm.review.reject", "action_confirm", [wizard_id])
        self.assertEqual(self.order.review_state, "rejected")

    def test_email_link_of_a_record_no_longer_readable(self):
        link = self._pending_line(self.order)._review_approve_link(self.reviewer)
        self.reviewer.sudo().group_ids = [Command.unlink(self.env.ref("crm_review.group_review_reviewer").id)]
        self.assertFalse(self.order.with_user(self.reviewer).has_access("read"))
        self.authenticate(self.reviewer.login, self.reviewer.login)
        with self.assertUnchanged(self.order):
            page = self.url_open(link)
            self.assertEqual(page.status_code, 200)
            self.assertIn("This review is not available to you.", page.text)
            query = parse_qs(urlsplit(link).query)
            csrf = re.search(r'csrf_token: "([^"]+)"', page.text).group(1)
            posted = self.url_open(
                urlsplit(link).path,
                data={"csrf_token": csrf, "user_id": query["user_id"][0], "token": query["token"][0]},
            )
            self.assertIn("This review is not available to you.", posted.text)
        for response in (page, posted):
            self.assertNotIn(self.order.name, response.text)
            self.assertNotIn('method="post"', response.text)
