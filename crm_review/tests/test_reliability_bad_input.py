"""Bad input over RPC, as real users: each case is a clear refusal and leaves every row as it was.

A clear refusal is a ``UserError`` (``MissingError`` included),
``ValidationError`` or ``AccessError`` naming what is wrong: never a raw
Python or PostgreSQL error, a traceback or an HTTP 500. Markup typed by users
is kept as text and escaped wherever it is shown (chatter, to-do, digest).
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from . import test_security_attacks as attacks
from .reliability import outcome

CATEGORY = "Bad input"
CLEAR_ERRORS = {f"odoo.exceptions.{name}" for name in ("UserError", "ValidationError", "AccessError", "MissingError")}
# /xmlrpc/2 fault codes of UserError (ValidationError, MissingError) and AccessError.
CLEAR_FAULTS = {attacks.USER_FAULT, attacks.ACCESS_FAULT}
# Counted before and after each case: a refused call creates nothing either.
COUNTED = ["crm.review.rule", "crm.review.step", "crm.review.reminder.rule", "crm.review", "crm.review.log"]
SCRIPT = '<script>alert("x")</script><b onmouseover="steal()">bold</b>'
ONE_MB = "x" * (1024 * 1024)


@tagged("post_install", "-at_install")
class TestReliabilityBadInput(HttpCase):
    """A review administrator, a salesperson and reviewers send what the forms would never send."""

    # The RPC transports and the row snapshots of the attack tests.
    xmlrpc = attacks.TestSecurityAttacks.xmlrpc
    json2 = attacks.TestSecurityAttacks.json2
    _changes = attacks.TestSecurityAttacks._changes

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman"
        reviewers = f"{sales},crm_review.group_review_reviewer"
        cls.salesman = new_test_user(env, "bad_salesman", groups=sales, name="Sam Bad", email="sam@example.com")
        cls.reviewer = new_test_user(env, "bad_reviewer", groups=reviewers, name="Rae Bad", email="rae@example.com")
        cls.reviewer2 = new_test_user(env, "bad_reviewer2", groups=reviewers, name="Rex Bad", email="rex@example.com")
        cls.review_admin = new_test_user(
            env, "bad_revadmin", groups=f"{sales},crm_review.group_review_manager", name="Ada Bad"
        )
        cls.sales_admin = new_test_user(env, "bad_salesadmin", groups="sales_team.group_sale_manager", name="Sal Bad")
        cls.system_admin = new_test_user(env, "bad_sysadmin", groups="base.group_system", name="Sys Bad")
        cls.archived = new_test_user(env, "bad_archived", groups=reviewers, name="Arch Ived")
        cls.archived.active = False
        expiration = datetime.now() + timedelta(hours=12)
        cls.api_keys = {
            user.id: env["res.users.apikeys"].with_user(user)._generate(None, "bad input", expiration)
            for user in (cls.salesman, cls.reviewer, cls.reviewer2, cls.review_admin, cls.sales_admin, cls.system_admin)
        }
        cls.sale_model_id = env["ir.model"]._get_id("sale.order")
        cls.rule = env["crm.review.rule"].create(
            {
                "name": "Bad input rule",
                "state": "active",
                "model_id": cls.sale_model_id,
                "domain": "[('client_order_ref', '=', 'bad')]",
                "step_ids": [Command.create({"name": "Board", "user_ids": [Command.set(cls.reviewer.ids)]})],
            }
        )
        cls.reason = env.ref("crm_review.reason_incomplete")
        cls.customer = env["res.partner"].create({"name": "Bad Customer"})
        cls.product = env["product.product"].create({"name": "Bad widget", "list_price": 100.0})
        cls.order = cls._order("bad")
        cls.order.with_user(cls.salesman).action_review_submit()

    @classmethod
    def _order(cls, reference, user=None):
        user = cls.salesman if user is None else user
        return (
            cls.env["sale.order"]
            .with_user(cls.salesman)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": user.id if user else False,
                    "client_order_ref": reference,
                    "order_line": [Command.create({"product_id": cls.product.id, "price_unit": 100.0})],
                }
            )
        )

    def setUp(self):
        super().setUp()
        self._uids = {}

    # ------------------------------------------------------------------
    # Refused, clearly, and nothing changed
    # ------------------------------------------------------------------

    def _snapshot(self, records):
        state = attacks.TestSecurityAttacks._snapshot(self, records)
        state["row counts"] = {
            model: self.env[model].sudo().with_context(active_test=False).search_count([]) for model in COUNTED
        }
        return state

    @staticmethod
    def _rows_changed(before, after):
        return sum(1 for key in set(before) | set(after) if before.get(key) != after.get(key))

    @contextmanager
    def refused(self, case, *watched, message=None):
        """The call in the block is refused with a clear error (``message`` in it, if given); no row changed."""
        before = self._snapshot(watched)
        with self.subTest(case=case), outcome(CATEGORY, case) as attempt:
            refusal = None
            with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc", "odoo.sql_db", "odoo.service.model"):
                try:
                    yield
                except attacks.Refused as error:
                    refusal = error
            after = self._snapshot(watched)
            changes = self._changes(before, after)
            clear = refusal is not None and (
                refusal.name in CLEAR_ERRORS if refusal.fault_code is None else refusal.fault_code in CLEAR_FAULTS
            )
            attempt.attempt(
                clear and not changes and (not message or message in refusal.message),
                rows_lost=self._rows_changed(before, after),
                detail=f"accepted: {changes[:200] or 'no row changed'}" if refusal is None else f"{refusal}"[:300],
            )
            self.assertIsNotNone(refusal, f"not refused; changes: {changes[:300] or 'none'}")
            self.assertTrue(clear, f"not a clear error: {refusal}")
            if message:
                self.assertIn(message, refusal.message)
            self.assertFalse(changes[:300], "a refused call left changes behind")

    def _admin(self, model, method, **kwargs):
        return self.json2(self.review_admin, model, method, **kwargs)

    def _rule_vals(self, **values):
        return dict(
            {
                "name": "Bad rule",
                "state": "active",
                "model_id": self.sale_model_id,
                "domain": "[]",
                "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
            },
            **values,
        )

    def _reminder_vals(self, **values):
        fields_ = self.env["ir.model.fields"]
        return dict(
            {
                "name": "Bad reminder",
                "model_id": self.sale_model_id,
                "domain": "[]",
                "date_field_id": fields_._get("sale.order", "validity_date").id,
                "recipient_type": "field",
                "user_field_id": fields_._get("sale.order", "user_id").id,
            },
            **values,
        )

    def _reject_wizard(self, user, record_ids, res_model="sale.order", **values):
        """Create the reject wizard over /json/2 as ``user`` and confirm it."""
        context = {"default_res_model": res_model, "default_res_ids": str(record_ids)}
        vals = dict({"reason_id": self.reason.id, "note": "Bad"}, **values)
        [wizard_id] = self.json2(user, "crm.review.reject", "create", vals_list=[vals], context=context)
        return self.json2(user, "crm.review.reject", "action_confirm", ids=[wizard_id])

    # ------------------------------------------------------------------
    # Invalid and hostile conditions
    # ------------------------------------------------------------------

    def test_invalid_and_hostile_rule_conditions(self):
        for case, domain in (
            ("rule condition: syntax error", "[('amount_total', '>'"),
            ("rule condition: not a list", "42"),
            ("rule condition: unknown field", "[('no_such_field', '=', 1)]"),
            ("rule condition: unknown operator", "[('amount_total', 'is like', 1)]"),
            ("rule condition: code instead of a domain", "__import__('os').system('true')"),
            ("rule condition: dunder access", "[('id', '=', ().__class__.__base__.__subclasses__())]"),
            ("rule condition: nested 5,000 deep", "[" * 5000 + "]" * 5000),
        ):
            with self.refused(case, self.rule):
                self._admin("crm.review.rule", "create", vals_list=[self._rule_vals(domain=domain)])

    def test_invalid_condition_written_on_a_rule(self):
        with self.refused("rule condition: invalid, written on an existing rule", self.rule):
            self._admin("crm.review.rule", "write", ids=self.rule.ids, vals={"domain": "[(1, '=', 1"})

    def test_invalid_step_and_reminder_conditions(self):
        with self.refused("step condition: unknown field", self.rule):
            self._admin(
                "crm.review.step",
                "create",
                vals_list=[
                    {
                        "rule_id": self.rule.id,
                        "name": "Bad",
                        "domain": "[('nope', '=', 1)]",
                        "user_ids": [Command.set(self.reviewer.ids)],
                    }
                ],
            )
        with self.refused("reminder rule condition: syntax error"):
            self._admin("crm.review.reminder.rule", "create", vals_list=[self._reminder_vals(domain="[(")])

    # ------------------------------------------------------------------
    # Models, numbers and dates out of range
    # ------------------------------------------------------------------

    def test_rules_on_models_that_are_not_reviewable(self):
        with self.refused("rule on a model that is not reviewable (res.country)"):
            country = self.env["ir.model"]._get_id("res.country")
            self._admin("crm.review.rule", "create", vals_list=[self._rule_vals(model_id=country)])
        with self.refused("rule on a model id that does not exist"):
            self._admin("crm.review.rule", "create", vals_list=[self._rule_vals(model_id=999999999)])
        with self.refused("reject wizard on a model that is not reviewable", self.order):
            self._reject_wizard(self.reviewer, [1], res_model="res.country")

    def test_numbers_out_of_range(self):
        for case, values in (
            ("reminder after 2,000,000,000 hours", {"reminder_after_hours": 2000000000}),
            ("negative reminder delay", {"reminder_after_hours": -1}),
            ("negative reject limit", {"reject_limit": -5}),
            ("negative number of reminders", {"reminder_max": -1}),
            ("reminder repeat beyond a 32-bit integer", {"reminder_repeat_hours": 2**31}),
            ("sequence beyond a 32-bit integer", {"sequence": 2**40}),
        ):
            with self.refused(f"rule: {case}", self.rule):
                self._admin("crm.review.rule", "write", ids=self.rule.ids, vals=values)

    def test_reminder_dates_out_of_range(self):
        with self.refused("reminder rule offset of 1,000,000 days"):
            self._admin("crm.review.reminder.rule", "create", vals_list=[self._reminder_vals(offset_days=1000000)])
        with self.refused("reminder rule on a field that is not a date"):
            date_field = self.env["ir.model.fields"]._get("sale.order", "name").id
            self._admin("crm.review.reminder.rule", "create", vals_list=[self._reminder_vals(date_field_id=date_field)])

    # ------------------------------------------------------------------
    # Users, groups and reasons that are gone
    # ------------------------------------------------------------------

    def _step_rule(self, reference, **step):
        return self.env["crm.review.rule"].create(
            {
                "name": f"Rule {reference}",
                "state": "active",
                "model_id": self.sale_model_id,
                "domain": repr([("client_order_ref", "=", reference)]),
                "step_ids": [Command.create(dict({"name": f"Step {reference}"}, **step))],
            }
        )

    def _submit_or_route(self, case, order):
        """Submitting is refused clearly, or the step goes to active internal users only."""
        before = self._snapshot(order)
        with self.subTest(case=case), outcome(CATEGORY, case) as attempt:
            try:
                with mute_logger("odoo.http", "odoo.sql_db", "odoo.service.model"):
                    self.json2(self.salesman, "sale.order", "action_review_submit", ids=order.ids)
            except attacks.Refused as refusal:
                after = self._snapshot(order)
                changes = self._changes(before, after)
                clear = refusal.name in CLEAR_ERRORS
                rows = self._rows_changed(before, after)
                attempt.attempt(clear and not changes, rows_lost=rows, detail=str(refusal)[:300])
                self.assertTrue(clear, f"not a clear error: {refusal}")
                self.assertFalse(changes[:300], "a refused call left changes behind")
                return
            # Accepted: then nobody archived, shared or the inactive superuser is asked to review.
            line = order.sudo().review_ids.filtered(lambda r: r.state == "pending")
            fine = bool(line.reviewer_ids) and all(u.active and not u.share for u in line.reviewer_ids)
            attempt.attempt(fine, detail=f"accepted; reviewers: {line.reviewer_ids.mapped('name')}")
            self.assertTrue(fine, f"reviewers: {line.reviewer_ids.mapped('name')}")

    def test_archived_reviewer(self):
        with self.refused("step naming only an archived reviewer"):
            vals = self._rule_vals(
                step_ids=[Command.create({"name": "Gone", "user_ids": [Command.set(self.archived.ids)]})]
            )
            self._admin("crm.review.rule", "create", vals_list=[vals])
        leaving = new_test_user(self.env, "bad_leaving", groups="crm_review.group_review_reviewer", name="Lea Ving")
        self._step_rule("archived", user_ids=[Command.set(leaving.ids)])
        leaving.active = False
        self._submit_or_route("step whose only reviewer was archived since", self._order("archived"))

    def test_empty_group(self):
        group = self.env["res.groups"].create({"name": "Nobody here"})
        self._step_rule("empty", approver_type="group", group_id=group.id)
        self._submit_or_route("step on an empty group", self._order("empty"))

    def test_deleted_group(self):
        group = self.env["res.groups"].create({"name": "Going away", "user_ids": [Command.set(self.reviewer.ids)]})
        rule = self._step_rule("deleted", approver_type="group", group_id=group.id)
        with self.refused("deleting the group a step names", rule):
            self.json2(self.system_admin, "res.groups", "unlink", ids=group.ids)

    def test_manager_step_without_manager(self):
        self._step_rule("manager", approver_type="manager")
        self._submit_or_route("manager step, submitter without a manager", self._order("manager"))

    def test_empty_user_field(self):
        user_field = self.env["ir.model.fields"]._get("sale.order", "user_id")
        self._step_rule("field", approver_type="field", user_field_id=user_field.id)
        self._submit_or_route("user-field step, field empty", self._order("field", user=False))

    def test_gone_and_wrong_reasons(self):
        archived = self.env["crm.review.reason"].create({"name": "Old reason", "reason_type": "reject"})
        archived.active = False
        cancel = self.env["crm.review.reason"].create({"name": "Customer left", "reason_type": "cancel"})
        for case, reason_id in (
            ("reject with an archived reason", archived.id),
            ("reject with a cancel reason", cancel.id),
            ("reject with a reason that does not exist", 999999999),
            ("reject with a reason id that is text", "abc"),
        ):
            with self.refused(case, self.order):
                self._reject_wizard(self.reviewer, self.order.ids, reason_id=reason_id)

    # ------------------------------------------------------------------
    # Ids and types no form would send
    # ------------------------------------------------------------------

    def test_ids_that_do_not_exist_or_are_not_ids(self):
        for case, ids in (
            ("approve a record id that does not exist", [999999999]),
            ("approve a negative id", [-1]),
            ("approve an id that is text", ["abc"]),
            ("approve an id that is a list", [[self.order.id]]),
        ):
            with self.refused(case, self.order):
                self.xmlrpc(self.reviewer, "sale.order", "action_review_approve", ids)

    def test_wrong_types_over_rpc(self):
        with self.refused("reject wizard: send_back='nowhere'", self.order):
            self._reject_wizard(self.reviewer, self.order.ids, send_back="nowhere")
        with self.refused("reject wizard: records given as text", self.order):
            self._reject_wizard(self.reviewer, "abc")
        with self.refused("approve with a comment that is a dictionary", self.order):
            self.json2(self.reviewer, "sale.order", "action_review_approve", ids=self.order.ids, comment={"a": 1})

    def test_notes_of_one_megabyte(self):
        with self.refused("reject note of 1 MB", self.order):
            self._reject_wizard(self.reviewer, self.order.ids, note=ONE_MB)
        with self.refused("approval comment of 1 MB", self.order):
            self.json2(self.reviewer, "sale.order", "action_review_approve", ids=self.order.ids, comment=ONE_MB)

    # ------------------------------------------------------------------
    # Records deleted in the middle of a review
    # ------------------------------------------------------------------

    def test_records_deleted_mid_review(self):
        with self.refused("delete an order under review", self.order):
            self.json2(self.sales_admin, "sale.order", "unlink", ids=self.order.ids)
        order = self._order("bad")
        order.with_user(self.salesman).action_review_submit()
        order.with_user(self.salesman).action_review_recall()
        order_id = order.id
        order.sudo().unlink()
        with self.refused("approve an order deleted after its submission", self.order):
            self.json2(self.reviewer, "sale.order", "action_review_approve", ids=[order_id])
        with self.refused("reject an order deleted after its submission", self.order):
            self._reject_wizard(self.reviewer, [order_id])

    # ------------------------------------------------------------------
    # Markup in names and notes: text, escaped wherever it is shown
    # ------------------------------------------------------------------

    def _assert_escaped(self, case, html, where, shown=True):
        with self.subTest(case=f"{case} ({where})"), outcome(CATEGORY, f"{case} ({where})") as attempt:
            html = str(html or "")
            attempt.attempt("<script" not in html and (not shown or "&lt;script&gt;" in html), detail=html[:200])
            self.assertNotIn("<script", html, f"markup executed in the {where}")
            if shown:
                self.assertIn("&lt;script&gt;", html, f"the text is shown in the {where}")

    def test_markup_in_a_reject_note(self):
        self._reject_wizard(self.reviewer, self.order.ids, note=SCRIPT)
        self.env.invalidate_all()
        note = self.order.sudo().message_ids.sorted("id")[-1]
        self._assert_escaped("<script> in a reject note", note.body, "chatter note")
        todo = self.env["mail.activity"].search([("res_model", "=", "sale.order"), ("res_id", "=", self.order.id)])
        self._assert_escaped("<script> in a reject note", "".join(str(n) for n in todo.mapped("note")), "to-do")

    def test_markup_in_step_and_record_names(self):
        self.rule.step_ids.name = SCRIPT
        order = self._order("bad")
        order.client_order_ref = "bad"
        self.json2(self.salesman, "sale.order", "action_review_submit", ids=order.ids)
        self.env.invalidate_all()
        note = order.sudo().message_ids.sorted("id")[-1]
        self._assert_escaped("<script> in a step name", note.body, "chatter note")
        todo = self.env["mail.activity"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        # The summary is plain text (the client escapes it); the note is HTML.
        notes = "".join(str(note) for note in todo.mapped("note") if note)
        self._assert_escaped("<script> in a step name", notes, "to-do", shown=False)
        line = order.sudo().review_ids.filtered(lambda r: r.state == "pending")
        line.write(
            {
                "pending_since": datetime.now() - timedelta(hours=30),
                "next_reminder_at": datetime.now() - timedelta(hours=6),
            }
        )
        last = self.env["mail.mail"].sudo().search([], order="id desc", limit=1).id or 0
        self.env.ref("crm_review.ir_cron_review_reminders").method_direct_trigger()
        self.env.invalidate_all()
        digests = (
            self.env["mail.mail"]
            .sudo()
            .search([("id", ">", last)])
            .filtered(lambda m: self.reviewer.partner_id in m.recipient_ids or "rae@example.com" in (m.email_to or ""))
        )
        self._assert_escaped("<script> in a step name", "".join(str(m.body_html) for m in digests), "digest email")
