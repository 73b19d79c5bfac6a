"""Shared pieces of the reliability tests: the outcome of each case, and data committed for real.

Every case records what it tried and how the server held into
``var/test/reliability/<category>--<case>.json``; ``scripts/reliability_report.py``
renders ``var/test/reliability.md`` from those files after the test run, and
``make reliability-report`` copies it to ``docs/reliability.md``.
"""

import json
import re
import time
from contextlib import contextmanager
from pathlib import Path

from odoo import api
from odoo.fields import Command
from odoo.service.model import retrying

OUTCOME_DIR = Path(__file__).resolve().parents[2] / "var" / "test" / "reliability"


class Outcome:
    """What one case tried: attempts, attempts the server held (refused or survived), failures, rows lost."""

    def __init__(self, category, case):
        self.category = category
        self.case = case
        self.tried = 0
        self.held = 0
        self.failed = 0
        self.rows_lost = 0
        self.details = []

    def attempt(self, held, rows_lost=0, detail=None):
        self.tried += 1
        if held:
            self.held += 1
        else:
            self.failed += 1
            if detail:
                self.details.append(str(detail)[:300])
        self.rows_lost += rows_lost

    def save(self, error=None):
        if error is not None and not self.failed:
            # The case stopped on an assertion before counting it.
            self.tried += 1
            self.failed += 1
            self.details.append(str(error).strip().splitlines()[0][:300] if str(error).strip() else repr(error))
        OUTCOME_DIR.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.category}--{self.case}".lower()).strip("-")
        data = {
            "category": self.category,
            "case": self.case,
            "tried": self.tried,
            "held": self.held,
            "failed": self.failed,
            "rows_lost": self.rows_lost,
            "details": self.details,
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        (OUTCOME_DIR / f"{slug}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


@contextmanager
def outcome(category, case):
    """Record the case's outcome whatever happens in the block; an error in it counts as a failure."""
    result = Outcome(category, case)
    try:
        yield result
    except BaseException as error:
        result.save(error)
        raise
    else:
        if not result.tried:
            result.attempt(True)
        result.save()


class Committed:
    """Data created in committed transactions (so that two cursors see it), deleted at the end.

    ``run(func)`` calls ``func(env)`` as superuser in a new cursor and commits.
    """

    def __init__(self, registry):
        self.registry = registry
        self.created = []  # (model, ids), deleted in reverse order

    def run(self, func, uid=api.SUPERUSER_ID, context=None, retry=False):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, uid, dict(context or {}, tracking_disable=False))
            if retry:
                return retrying(lambda: func(env), env)
            return func(env)

    def create_records(self, model, vals_list):
        def _create(env):
            return env[model].create(vals_list).ids

        ids = self.run(_create)
        self.created.append((model, ids))
        return ids

    def cleanup(self):
        """Delete what the cases committed: review rows first, then the records, users last."""

        def _delete(env):
            env = env(context=dict(env.context, active_test=False))
            for model, ids in reversed(self.created):
                records = env[model].browse(ids).exists()
                if records and hasattr(records, "action_review_recall"):
                    # A record under review cannot be deleted: withdraw it first, as the administrator would.
                    records.filtered(lambda r: r.review_state == "pending").action_review_recall()
                if model == "sale.order" and records:
                    records.filtered(lambda o: o.state == "sale")._action_cancel()
                if model == "res.users" and records:
                    partners = records.partner_id
                    env["mail.mail"].search([("recipient_ids", "in", partners.ids)]).unlink()
                    env["mail.message"].search([("author_id", "in", partners.ids)]).unlink()
                    try:
                        with env.cr.savepoint():
                            records.unlink()
                            partners.unlink()
                    except Exception:  # noqa: BLE001 - a user still referenced somewhere is archived instead
                        records.write({"active": False})
                    continue
                records.unlink()

        if self.created:
            self.run(_delete)
            self.created = []


def sale_rule_vals(env, name, reference, steps):
    """A rule on sale orders whose customer reference is ``reference`` (demo rules never match it)."""
    return {
        "name": name,
        "state": "active",
        "model_id": env["ir.model"]._get_id("sale.order"),
        "domain": repr([("client_order_ref", "=", reference)]),
        "step_ids": [Command.create(step) for step in steps],
    }
