"""Crons interrupted in the middle of a run, then run again: nothing sent twice, nothing lost.

The failure is injected in a batch after the first one. The cron commits each
batch, so the first batch stays done; the failed batch is rolled back and the
next run takes it up. Upgrade and uninstall/reinstall are run by
``scripts/test_workers.sh`` on copies of the test database.
"""

from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ReviewCommon
from .reliability import outcome

CATEGORY = "Faults"
BATCH = 2
ORDERS = 5


class InjectedFault(Exception):
    """The failure injected into a cron batch."""


@tagged("post_install", "-at_install")
class TestReliabilityFaults(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reviewer.email = "rita@example.com"
        cls.reviewer2.email = "rob@example.com"
        cls.env["crm.review.reminder.rule"].search([]).active = False

    @contextmanager
    def _small_batches(self, model, cron_method):
        """Run ``cron_method`` of ``model`` with batches of ``BATCH`` records."""
        cls = type(self.env[model])
        original = getattr(cls, cron_method)

        def small(records, batch_size=None):
            return original(records, batch_size=BATCH)

        with patch.object(cls, cron_method, small):
            yield

    @contextmanager
    def _failing_after_first_batch(self, model, method):
        """Every call of ``method`` after the first one raises: the run stops after one batch."""
        cls = type(self.env[model])
        original = getattr(cls, method)
        calls = []

        def failing(records, *args, **kwargs):
            calls.append(records.ids)
            if len(calls) > 1:
                raise InjectedFault(f"{method} interrupted after {len(calls[0])} records")
            return original(records, *args, **kwargs)

        with patch.object(cls, method, failing), mute_logger("odoo.addons.base.models.ir_cron"):
            yield calls

    def _trigger(self, xmlid):
        with self.enter_registry_test_mode():
            self.env.ref(xmlid).method_direct_trigger()
        self.env.invalidate_all()

    def _mails_since(self, last_id, user):
        mails = self.env["mail.mail"].sudo().search([("id", ">", last_id)])
        return mails.filtered(lambda m: user.partner_id in m.recipient_ids or user.email in (m.email_to or ""))

    def _last_mail_id(self):
        return self.env["mail.mail"].sudo().search([], order="id desc", limit=1).id or 0

    # ------------------------------------------------------------------
    # Reminders of overdue steps
    # ------------------------------------------------------------------

    def _overdue_orders(self):
        orders = self.env["sale.order"].concat(*(self._order() for _i in range(ORDERS)))
        orders.with_user(self.salesman).action_review_submit()
        lines = orders.review_ids.filtered(lambda r: r.state == "pending")
        now = fields.Datetime.now()
        lines.write({"pending_since": now - timedelta(hours=30), "next_reminder_at": now - timedelta(hours=6)})
        return orders, lines

    def _reminded(self, orders):
        """{order: number of 'remind' rows in its history}"""
        self.env.invalidate_all()
        return {order.name: order.review_log_ids.mapped("action").count("remind") for order in orders}

    def test_reminder_cron_interrupted_then_rerun(self):
        with outcome(CATEGORY, "reminder cron interrupted after the first batch, then rerun") as attempt:
            orders, lines = self._overdue_orders()
            runs = []
            with self._small_batches("crm.review", "_cron_send_reminders"):
                last = self._last_mail_id()
                with self._failing_after_first_batch("crm.review", "_send_reminders") as calls:
                    self._trigger("crm_review.ir_cron_review_reminders")
                self.assertGreater(len(calls), 1, "the run was interrupted")
                runs.append(self._mails_since(last, self.reviewer))
                first = self._reminded(orders)
                self.assertEqual(
                    sorted(first.values()), [0] * (ORDERS - BATCH) + [1] * BATCH, "the first batch is kept"
                )
                last = self._last_mail_id()
                self._trigger("crm_review.ir_cron_review_reminders")
                runs.append(self._mails_since(last, self.reviewer))
            reminded = self._reminded(orders)
            lost = sum(1 for count in reminded.values() if count == 0)
            twice = sum(1 for count in reminded.values() if count > 1)
            attempt.attempt(not lost and not twice, rows_lost=lost, detail=f"reminders per order: {reminded}")
            self.assertEqual(set(reminded.values()), {1}, "each overdue step reminded once, none lost")
            self.assertEqual(set(lines.mapped("reminder_count")), {1})
            for order in orders:
                listed = [mail for run in runs for mail in run if order.name in mail.body_html]
                self.assertEqual(len(listed), 1, f"{order.name} is in one digest")
            self.assertLessEqual(max(len(run) for run in runs), 1, "at most one digest per person per run")

    def test_one_digest_per_person_per_run(self):
        with outcome(CATEGORY, "one digest per person per run (several batches)") as attempt:
            orders, _lines = self._overdue_orders()
            last = self._last_mail_id()
            with self._small_batches("crm.review", "_cron_send_reminders"):
                self._trigger("crm_review.ir_cron_review_reminders")
            digests = self._mails_since(last, self.reviewer)
            attempt.attempt(
                len(digests) == 1, detail=f"{len(digests)} digests for {ORDERS} steps in batches of {BATCH}"
            )
            self.assertEqual(len(digests), 1, f"one digest for {ORDERS} overdue steps")
            for order in orders:
                self.assertIn(order.name, digests.body_html)

    # ------------------------------------------------------------------
    # Date-driven reminder rules
    # ------------------------------------------------------------------

    def test_reminder_rule_interrupted_then_rerun(self):
        reminder = self.env["crm.review.reminder.rule"].create(
            {
                "name": "Quotation expires soon",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "domain": "[('client_order_ref', '=', 'expiring')]",
                "date_field_id": self.env["ir.model.fields"]._get("sale.order", "validity_date").id,
                "offset_days": -5,
                "frequency": "daily",
                "recipient_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
                "channel_activity": True,
                "summary": "Call the customer",
            }
        )
        today = fields.Date.context_today(reminder)
        orders = self.env["sale.order"].concat(*(self._order(price=100.0) for _i in range(ORDERS)))
        orders.write({"client_order_ref": "expiring", "validity_date": today + timedelta(days=2)})

        def todos():
            self.env.invalidate_all()
            found = self.env["mail.activity"].search(
                [("res_model", "=", "sale.order"), ("res_id", "in", orders.ids), ("summary", "=", "Call the customer")]
            )
            return {order.id: len(found.filtered(lambda a, o=order: a.res_id == o.id)) for order in orders}

        with outcome(CATEGORY, "date-driven reminder rule interrupted after the first batch, then rerun") as attempt:
            with self._small_batches("crm.review.reminder.rule", "_cron_run_reminder_rules"):
                with self._failing_after_first_batch("crm.review.reminder.rule", "_send") as calls:
                    self._trigger("crm_review.ir_cron_reminder_rules")
                self.assertGreater(len(calls), 1, "the run was interrupted")
                self.assertEqual(sorted(todos().values()), [0] * (ORDERS - BATCH) + [1] * BATCH)
                self._trigger("crm_review.ir_cron_reminder_rules")
                self._trigger("crm_review.ir_cron_reminder_rules")
            counts = todos()
            lost = sum(1 for count in counts.values() if count == 0)
            attempt.attempt(set(counts.values()) == {1}, rows_lost=lost, detail=f"to-dos per order: {counts}")
            self.assertEqual(set(counts.values()), {1}, "one to-do per record, none lost, none twice")
            sent = self.env["crm.review.reminder.sent"].search([("rule_id", "=", reminder.id)])
            self.assertEqual(sorted(sent.mapped("res_id")), sorted(orders.ids))
