"""The condition parser: what a review administrator may type, and what is refused.

Conditions are parsed, never run (``crm_review/tools/condition.py``). The
tables below hold every form the web client's domain editor writes and the
known ways out of ``safe_eval``-like sandboxes; each refusal names the
construct refused.
"""

import datetime

from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from ..tools.condition import ConditionError, evaluate_condition

TODAY = datetime.date(2026, 12, 7)
NAMES = {"uid": 7, "company_id": 1, "company_ids": [1, 3], "today": TODAY, "tz": "Asia/Shanghai"}

# (condition, its value)
ACCEPTED = [
    ("[]", []),
    ("", []),
    ("[('amount_total', '>', 50000)]", [("amount_total", ">", 50000)]),
    ("[('amount_total', '>=', 1.5e5)]", [("amount_total", ">=", 150000.0)]),
    ("[('state', 'in', ['draft', 'sent'])]", [("state", "in", ["draft", "sent"])]),
    ("[('state', 'not in', ('cancel',))]", [("state", "not in", ("cancel",))]),
    ("[('partner_id', '=', 42)]", [("partner_id", "=", 42)]),
    ("[('partner_id', '!=', False)]", [("partner_id", "!=", False)]),
    ("[('partner_id.country_id.code', '=', 'CN')]", [("partner_id.country_id.code", "=", "CN")]),
    ("[('team_id', 'child_of', [1, 2])]", [("team_id", "child_of", [1, 2])]),
    ("[('category_id', 'parent_of', 3)]", [("category_id", "parent_of", 3)]),
    ("[('name', 'ilike', '%工厂%')]", [("name", "ilike", "%工厂%")]),
    ("[('note', '=', None)]", [("note", "=", None)]),
    ("['|', ('a', '=', 1), '!', ('b', '<', -2)]", ["|", ("a", "=", 1), "!", ("b", "<", -2)]),
    ("[('user_id', '=', uid)]", [("user_id", "=", 7)]),
    ("[('company_id', '=', company_id)]", [("company_id", "=", 1)]),
    ("[('company_id', 'in', company_ids)]", [("company_id", "in", [1, 3])]),
    ("[('company_id', 'in', company_ids + [False])]", [("company_id", "in", [1, 3, False])]),
    ("[('order_line', 'any', [('price_unit', '>', 10)])]", [("order_line", "any", [("price_unit", ">", 10)])]),
    # Dynamic dates of Odoo 19's domain editor are plain text the ORM reads.
    ("[('date_order', '>=', 'today -7d')]", [("date_order", ">=", "today -7d")]),
    ("[('date_order', '<', '=monday')]", [("date_order", "<", "=monday")]),
    # The domain editor's "in range" bounds for dates...
    ('context_today().strftime("%Y-%m-%d")', "2026-12-07"),
    ("(context_today() + relativedelta(days = -7)).strftime('%Y-%m-%d')", "2026-11-30"),
    ("(context_today() + relativedelta(day = 1, months = -1)).strftime('%Y-%m-%d')", "2026-11-01"),
    ("(context_today() + relativedelta(day = 1, month = 1)).strftime('%Y-%m-%d')", "2026-01-01"),
    ("(context_today() + relativedelta(day = 1, months = -12)).strftime('%Y-%m-%d')", "2025-12-01"),
    # ...and for date-times, in the user's time zone (Shanghai, UTC+8).
    (
        'datetime.datetime.combine(context_today(), datetime.time(0, 0, 0)).to_utc().strftime("%Y-%m-%d %H:%M:%S")',
        "2026-12-06 16:00:00",
    ),
    (
        "datetime.datetime.combine(context_today() + relativedelta(days = 1), datetime.time(0, 0, 0))"
        '.to_utc().strftime("%Y-%m-%d %H:%M:%S")',
        "2026-12-07 16:00:00",
    ),
    # Older hand-written forms.
    ("(context_today() - relativedelta(days=30)).strftime('%Y-%m-%d')", "2026-11-07"),
    ("context_today() - datetime.timedelta(days=1)", datetime.date(2026, 12, 6)),
    ("context_today() + datetime.timedelta(weeks=2)", datetime.date(2026, 12, 21)),
    ("relativedelta(months=1) + context_today()", datetime.date(2027, 1, 7)),
    ("datetime.date.today()", TODAY),
    ("datetime.date(2026, 1, 31)", datetime.date(2026, 1, 31)),
    ("datetime.datetime(2026, 1, 31, 8, 30)", datetime.datetime(2026, 1, 31, 8, 30)),
    ("time.strftime('%Y-%m-%d')", "2026-12-07"),
    ("context_today().strftime('%d/%m/%Y')", "07/12/2026"),
    ("relativedelta(weekday=0, days=1) + context_today()", TODAY + relativedelta(weekday=0, days=1)),
    ("-(relativedelta(days=3)) + relativedelta(days=1)", relativedelta(days=-2)),
    ("[('amount_total', '>', 1000 - 1)]", [("amount_total", ">", 999)]),
    ("[('active', '=', not False)]", [("active", "=", True)]),
    ("[('x', '=', 1 < 2 <= 3)]", [("x", "=", True)]),
    ("[('x', '=', 2 in [1, 2])]", [("x", "=", True)]),
]

# (condition, words the refusal names)
REFUSED = [
    # Format strings walking from an offered object to Odoo's configuration.
    ("'{0.__init__.__globals__[config]}'.format(relativedelta)", ".format"),
    ("'%s' % relativedelta", "%"),
    ("f'{relativedelta.__init__}'", "f-string"),
    # Dunder names and attributes.
    ("relativedelta.__init__.__globals__", ".__init__"),
    ("().__class__.__base__.__subclasses__()", ".__class__"),
    ("context_today().__class__", ".__class__"),
    ("datetime.__builtins__", ".__builtins__"),
    ("__import__('os').system('id')", "__import__"),
    ("__builtins__", "__builtins__"),
    # Calls outside the list.
    ("getattr(relativedelta, '__init__')", "getattr"),
    ("eval('1')", "eval"),
    ("open('/etc/passwd')", "open"),
    ("time.sleep(30)", ".sleep"),
    ("datetime.datetime.now()", ".now"),
    ("str(uid)", "str"),
    ("type(uid)", "type"),
    ("relativedelta(days='1')", "whole numbers"),
    ("relativedelta(1)", "arguments"),
    ("relativedelta(**{'days': 1})", "unpacking"),
    ("relativedelta(leapdays=1)", "arguments"),
    ("datetime.timedelta(days=1.5)", "whole numbers"),
    ("context_today().replace(year=1)", ".replace"),
    ("context_today().strftime('%c')", "directive"),
    ("context_today().strftime(uid)", "short text"),
    # Lambdas, comprehensions and the like.
    ("lambda: 1", "lambda"),
    ("[x for x in company_ids]", "comprehension"),
    ("{x for x in company_ids}", "comprehension"),
    ("(x for x in company_ids)", "comprehension"),
    ("{'a': 1}", "dictionary"),
    ("{1, 2}", "a set"),
    ("company_ids[0]", "indexing"),
    ("[(x := 1)]", "assignment"),
    ("uid if uid else 0", "if ... else"),
    ("uid and company_id", "and / or"),
    # Huge numbers and repetition (denial of service).
    ("10**10**7", "**"),
    ("[1] * 10**9", "*"),
    ("'a' * 100000000", "*"),
    ("9" * 100, "a number"),
    ("relativedelta(days=10000000)", "out of range"),
    ("relativedelta(month=13)", "out of range"),
    ("datetime.timedelta(days=999999999)", "out of range"),
    ("datetime.date(2026, 2, 30)", "valid date"),
    ("[" * 400 + "]" * 400, ""),
    ("[" + "1," * 3000 + "]", "parts"),
    ("[" + "1, " * 5000 + "]", "longer than"),
    # String concatenation into names.
    ("'__cl' + 'ass__'", "+ between str and str"),
    ("context_today() + 'x'", "+ between date and str"),
    ("company_ids + (False,)", "+ between list and tuple"),
    # Names that are no values, and names not offered.
    ("user.company_id.id", "user"),
    ("env.ref('base.user_admin')", "env"),
    ("relativedelta", "relativedelta"),
    ("datetime", "datetime"),
    ("datetime.datetime.combine", "datetime.datetime.combine"),
    ("context_today().strftime", ".strftime"),
    ("context_today().to_utc()", ".to_utc"),
    ("b'bytes'", "b'bytes'"),
    ("...", "Ellipsis"),
    ("uid is company_id", "is"),
    ("~uid", "~"),
    ("import os", "syntax"),
    ("[('a', '=', 1)]; import os", "syntax"),
]


@tagged("post_install", "-at_install")
class TestReviewCondition(TransactionCase):
    """The parser alone (every accepted and refused form), then through the rules' forms."""

    def test_accepted_forms_and_their_values(self):
        self.assertGreaterEqual(len(ACCEPTED), 40)
        for text, expected in ACCEPTED:
            with self.subTest(condition=text):
                self.assertEqual(evaluate_condition(text, **NAMES), expected)

    def test_refused_forms_name_what_is_refused(self):
        self.assertGreaterEqual(len(REFUSED), 40)
        for text, construct in REFUSED:
            with self.subTest(condition=text[:60]):
                with self.assertRaises(ConditionError) as refusal:
                    evaluate_condition(text, **NAMES)
                self.assertIn(construct, str(refusal.exception))

    def test_rule_refuses_with_the_construct_named(self):
        rule_vals = {
            "name": "Escape",
            "state": "active",
            "model_id": self.env["ir.model"]._get_id("sale.order"),
            "step_ids": [
                Command.create({"name": "Boss", "user_ids": [Command.set(self.env.ref("base.user_admin").ids)]})
            ],
        }
        escape = "[('name', '=', '{0.__init__.__globals__}'.format(relativedelta))]"
        with self.assertRaisesRegex(ValidationError, r"The condition .* cannot be used: \.format: is not allowed"):
            self.env["crm.review.rule"].create(dict(rule_vals, domain=escape))
        with self.assertRaisesRegex(ValidationError, r"cannot be used: it is not a list"):
            self.env["crm.review.rule"].create(dict(rule_vals, domain="42"))

    def test_date_conditions_of_the_domain_editor_match_records(self):
        """A rule on 'orders of the last 7 days' (the editor's datetime bounds) matches today's order only."""
        partner = self.env["res.partner"].create({"name": "Date customer"})
        Order = self.env["sale.order"]
        today = Order.create({"partner_id": partner.id})
        old = Order.create({"partner_id": partner.id, "date_order": datetime.datetime(2001, 1, 1)})
        domain = (
            "[('partner_id', '=', %d), ('date_order', '>=', datetime.datetime.combine(context_today() + "
            "relativedelta(days = -7), datetime.time(0, 0, 0)).to_utc().strftime('%%Y-%%m-%%d %%H:%%M:%%S'))]"
        ) % partner.id
        parsed = self.env["crm.review.rule"]._parse_domain(domain, "sale.order")
        self.assertEqual(Order.search(parsed), today)
        self.assertNotIn(old, Order.search(parsed))
