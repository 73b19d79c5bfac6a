"""Review conditions: Odoo domains that are read, never run.

A condition is typed by a review administrator, who is not a system
administrator. Odoo never lets such users type text that ``safe_eval`` runs,
so a condition is parsed into Python's syntax tree and only a short list of
forms is given a value: literals, lists and tuples, comparisons, the names
``uid``, ``company_id`` and ``company_ids``, and the date helpers the domain
editor writes (``context_today()``, ``relativedelta(days=-30)``,
``datetime.timedelta(days=1)``, ``datetime.datetime.combine(...)``,
``.to_utc()``, ``.strftime('%Y-%m-%d')``, ``+`` and ``-`` on dates, ``+`` on
lists). Anything
else (an attribute, a call, an operator or a name not in that list) is
refused, and the error names what was refused. Nothing is imported or looked
up by name: a condition cannot reach an object the list does not build.
"""

import ast
import datetime

import pytz
from dateutil.relativedelta import relativedelta

# A condition is a few lines; its tree a few hundred nodes. Beyond, it is an attack or a paste error.
MAX_LENGTH = 10000
MAX_NODES = 2000
# Integers of a condition fit PostgreSQL's bigint; anything larger is a typing error or an attack.
MAX_INT = 2**63 - 1
# Offsets of relativedelta and timedelta: a thousand years at most.
MAX_OFFSET = {"years": 1000, "months": 12000, "weeks": 52200, "days": 365250, "hours": 8766000}
MAX_OFFSET.update(minutes=MAX_OFFSET["hours"] * 60, seconds=MAX_OFFSET["hours"] * 3600)
# Absolute parts of a relativedelta: (lowest, highest).
ABSOLUTE = {
    "year": (1, 9999),
    "month": (1, 12),
    "day": (1, 31),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
    "weekday": (0, 6),
}
TIMEDELTA_KEYWORDS = ("weeks", "days", "hours", "minutes", "seconds")
# strftime directives a date value needs; %c and the like depend on the server's locale.
STRFTIME_DIRECTIVES = set("YmdHMSyjbBaAwWUpIz%")

COMPARISONS = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
# Python's names of the nodes a refusal can name, in words a reader knows.
CONSTRUCTS = {
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Subscript: "indexing ([...])",
    ast.Starred: "unpacking (*)",
    ast.IfExp: "if ... else",
    ast.BoolOp: "and / or",
    ast.NamedExpr: "an assignment (:=)",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
OPERATORS = {
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}


class ConditionError(ValueError):
    """A condition that cannot be used; ``construct`` names what was refused (or is empty)."""

    def __init__(self, construct="", problem="refused"):
        super().__init__(f"{construct}: {problem}" if construct else problem)
        self.construct = construct
        self.problem = problem


class _Module:
    """A name of the whitelist that only leads to its helpers (``datetime.timedelta``), never a value."""

    def __init__(self, path):
        self.path = path


class _Helper:
    """A whitelisted callable, reached by its dotted path."""

    def __init__(self, path):
        self.path = path


class _Method:
    """``.strftime`` or ``.to_utc`` of a date: only called, never a value."""

    def __init__(self, value, name):
        self.value = value
        self.path = f".{name}"
        self.name = name


HELPERS = {
    "context_today",
    "relativedelta",
    "datetime.timedelta",
    "datetime.date",
    "datetime.time",
    "datetime.datetime",
    "datetime.datetime.combine",
    "datetime.date.today",
    "time.strftime",
}
MODULES = {"datetime", "datetime.datetime", "datetime.date", "time"}


def evaluate_condition(text, *, uid, company_id, company_ids, today, tz="UTC"):
    """The value of condition ``text`` (a list of domain terms, not checked here).

    :param today: the user's calendar day (``context_today()``)
    :param tz: the user's time zone, for ``.to_utc()``
    :raise ConditionError: naming the construct refused
    """
    if not isinstance(text, str):
        raise ConditionError("", "not text")
    if len(text) > MAX_LENGTH:
        raise ConditionError("", f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip() or "[]", mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ConditionError("", "not valid Python syntax") from None
    if sum(1 for _node in ast.walk(tree)) > MAX_NODES:
        raise ConditionError("", f"more than {MAX_NODES} parts")
    names = {"uid": uid, "company_id": company_id, "company_ids": list(company_ids)}
    try:
        return _Evaluator(names, today, tz).value(tree.body)
    except RecursionError:
        raise ConditionError("", "nested too deeply") from None


class _Evaluator:
    def __init__(self, names, today, tz):
        self.names = names
        self.today = today
        self.tz = tz

    def value(self, node):
        """The value of ``node``; helpers and modules are no values."""
        result = self.eval(node)
        if isinstance(result, (_Module, _Helper, _Method)):
            raise ConditionError(result.path, "is not a value")
        return result

    def eval(self, node):
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, (ast.List, ast.Tuple)):
            values = [self.value(element) for element in node.elts]
            return values if isinstance(node, ast.List) else tuple(values)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise ConditionError(CONSTRUCTS.get(type(node), type(node).__name__), "is not allowed")

    def constant(self, value):
        if value is None or isinstance(value, (bool, str, float)):
            return value
        if isinstance(value, int):
            return self.bounded(value)
        raise ConditionError(repr(value)[:40], "is not allowed")

    @staticmethod
    def bounded(value):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise ConditionError("a number", f"is out of range ({MAX_INT} at most)")
        return value

    def name(self, name):
        if name in self.names:
            return self.names[name]
        if name in MODULES:
            return _Module(name)
        if name in HELPERS:
            return _Helper(name)
        raise ConditionError(name, "is not a name a condition may use")

    def attribute(self, node):
        base = self.eval(node.value)
        if isinstance(base, (_Module, _Helper)):
            path = f"{base.path}.{node.attr}"
            if path in MODULES and path in HELPERS:
                # datetime.datetime and datetime.date are both a type and a module of helpers.
                return _Module(path)
            if path in HELPERS:
                return _Helper(path)
            if path in MODULES:
                return _Module(path)
        elif node.attr in ("strftime", "to_utc") and isinstance(base, (datetime.date, datetime.datetime)):
            return _Method(base, node.attr)
        raise ConditionError(f".{node.attr}", "is not allowed")

    def call(self, node):
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(kw.arg is None for kw in node.keywords):
            raise ConditionError("unpacking (*, **)", "is not allowed")
        function = self.eval(node.func)
        args = [self.value(arg) for arg in node.args]
        kwargs = {kw.arg: self.value(kw.value) for kw in node.keywords}
        if isinstance(function, _Method):
            return self.method(function.value, function.name, args, kwargs)
        path = function.path if isinstance(function, (_Module, _Helper)) else None
        if path not in HELPERS:
            raise ConditionError(f"{path or 'this'}(...)", "is not a function a condition may call")
        return getattr(self, "call_" + path.replace(".", "_"))(args, kwargs)

    @staticmethod
    def expect(path, args, kwargs, positional=0, keywords=()):
        if len(args) > positional or set(kwargs) - set(keywords):
            raise ConditionError(f"{path}(...)", "is called with arguments it does not take")

    @staticmethod
    def integers(path, values):
        for value in values:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConditionError(f"{path}(...)", "takes whole numbers only")

    def call_context_today(self, args, kwargs):
        self.expect("context_today", args, kwargs)
        return self.today

    def call_datetime_date_today(self, args, kwargs):
        self.expect("datetime.date.today", args, kwargs)
        return self.today

    def call_relativedelta(self, args, kwargs):
        self.expect("relativedelta", args, kwargs, keywords=(*MAX_OFFSET, *ABSOLUTE))
        self.integers("relativedelta", kwargs.values())
        for key, value in kwargs.items():
            low, high = ABSOLUTE.get(key) or (-MAX_OFFSET[key], MAX_OFFSET[key])
            if not low <= value <= high:
                raise ConditionError(f"relativedelta({key}={value})", "is out of range")
        return relativedelta(**kwargs)

    def call_datetime_timedelta(self, args, kwargs):
        self.expect("datetime.timedelta", args, kwargs, keywords=TIMEDELTA_KEYWORDS)
        self.integers("datetime.timedelta", kwargs.values())
        for key, value in kwargs.items():
            if abs(value) > MAX_OFFSET[key]:
                raise ConditionError(f"datetime.timedelta({key}={value})", "is out of range")
        return datetime.timedelta(**kwargs)

    def _build(self, path, factory, args, kwargs, positional):
        self.expect(path, args, kwargs, positional=positional)
        self.integers(path, args)
        try:
            return factory(*args)
        except (ValueError, OverflowError):
            raise ConditionError(f"{path}(...)", "is not a valid date or time") from None

    def call_datetime_date(self, args, kwargs):
        return self._build("datetime.date", datetime.date, args, kwargs, 3)

    def call_datetime_time(self, args, kwargs):
        return self._build("datetime.time", datetime.time, args, kwargs, 3)

    def call_datetime_datetime(self, args, kwargs):
        return self._build("datetime.datetime", datetime.datetime, args, kwargs, 6)

    def call_datetime_datetime_combine(self, args, kwargs):
        self.expect("datetime.datetime.combine", args, kwargs, positional=2)
        if (
            len(args) != 2
            or not isinstance(args[0], datetime.date)
            or isinstance(args[0], datetime.datetime)
            or not isinstance(args[1], datetime.time)
        ):
            raise ConditionError("datetime.datetime.combine(...)", "takes a date and a time")
        return datetime.datetime.combine(args[0], args[1])

    def call_time_strftime(self, args, kwargs):
        self.expect("time.strftime", args, kwargs, positional=1)
        return self.strftime(self.today, args)

    def method(self, value, name, args, kwargs):
        if name == "strftime":
            self.expect(".strftime", args, kwargs, positional=1)
            return self.strftime(value, args)
        self.expect(".to_utc", args, kwargs)
        if not isinstance(value, datetime.datetime):
            raise ConditionError(".to_utc()", "applies to a date and time only")
        # What the web client's to_utc() does: the user's local time, as UTC without a zone.
        local = pytz.timezone(self.tz or "UTC").localize(value, is_dst=False)
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @staticmethod
    def strftime(value, args):
        if len(args) != 1 or not isinstance(args[0], str) or len(args[0]) > 64:
            raise ConditionError(".strftime(...)", "takes one short text, such as '%Y-%m-%d'")
        pattern = args[0]
        directives = {pattern[i + 1 : i + 2] for i, char in enumerate(pattern) if char == "%"}
        if not directives <= STRFTIME_DIRECTIVES:
            raise ConditionError(f".strftime({pattern!r})", "uses a directive a date does not need")
        return value.strftime(pattern)

    def unary(self, node):
        operand = self.value(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, (int, float)):
            return self.bounded(-operand if isinstance(node.op, ast.USub) else +operand)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, (relativedelta, datetime.timedelta)):
            return -operand if isinstance(node.op, ast.USub) else operand
        raise ConditionError(OPERATORS.get(type(node.op), type(node.op).__name__), "is not allowed here")

    def binary(self, node):
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            raise ConditionError(OPERATORS.get(type(node.op), type(node.op).__name__), "is not allowed")
        left, right = self.value(node.left), self.value(node.right)
        symbol = "+" if isinstance(node.op, ast.Add) else "-"
        numbers = (int, float)
        dates = (datetime.date, datetime.datetime)
        offsets = (relativedelta, datetime.timedelta)
        allowed = (
            (isinstance(left, numbers) and isinstance(right, numbers) and not {type(left), type(right)} & {bool})
            or (isinstance(left, dates) and isinstance(right, offsets))
            or (isinstance(left, offsets) and isinstance(right, offsets))
            or (symbol == "+" and isinstance(left, offsets) and isinstance(right, dates))
            # company_ids + [False], as Odoo's own record rules write it
            or (symbol == "+" and type(left) is type(right) and isinstance(left, (list, tuple)))
        )
        if not allowed:
            raise ConditionError(
                f"{symbol} between {type(left).__name__} and {type(right).__name__}",
                "is not allowed (only numbers, dates and lists add up)",
            )
        try:
            result = left + right if symbol == "+" else left - right
        except (OverflowError, ValueError, TypeError):
            raise ConditionError(symbol, "gives a date out of range") from None
        return self.bounded(result)

    def compare(self, node):
        left = self.value(node.left)
        for operator, comparator in zip(node.ops, node.comparators, strict=True):
            if type(operator) not in COMPARISONS:
                raise ConditionError(OPERATORS.get(type(operator), type(operator).__name__), "is not allowed")
            right = self.value(comparator)
            try:
                if not COMPARISONS[type(operator)](left, right):
                    return False
            except TypeError:
                raise ConditionError("a comparison of different kinds of values", "is not allowed") from None
            left = right
        return True
