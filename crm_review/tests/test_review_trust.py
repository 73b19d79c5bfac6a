from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewConditions(ReviewCommon):
    """Conditions typed by review administrators see ids and dates, never records."""

    def _rule_vals(self, domain):
        return {
            "name": "Hostile",
            "state": "active",
            "model_id": self.env["ir.model"]._get_id("sale.order"),
            "domain": domain,
            "step_ids": [Command.create({"name": "Boss", "user_ids": [Command.set(self.reviewer.ids)]})],
        }

    def test_condition_cannot_reach_the_user_record(self):
        system = self.env.ref("base.group_system")
        hostile = f"[('id', '!=', user.sudo().write({{'group_ids': [(4, {system.id})]}}) and 0)]"
        Rule = self.env["crm.review.rule"].with_user(self.review_admin)
        with self.assertRaisesRegex(ValidationError, "cannot be used"):
            Rule.create(self._rule_vals(hostile))
        with self.assertRaisesRegex(ValidationError, "cannot be used"), self.cr.savepoint():
            self.rule.with_user(self.review_admin).write({"domain": hostile})
        with self.assertRaisesRegex(ValidationError, "cannot be used"), self.cr.savepoint():
            self.rule.step_ids[0].with_user(self.review_admin).write({"domain": hostile})
        self.env.invalidate_all()
        self.assertNotIn(system, self.review_admin.all_group_ids)
        self.assertEqual(self.rule.domain, "[('amount_total', '>', 1000)]")

    def test_condition_cannot_read_the_database_secret(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        hostile = "[('name', '=', user.env['ir.config_parameter'].sudo().get_param('database.secret'))]"
        for domain in (hostile, "[('name', '=', env['ir.config_parameter'].sudo().get_param('database.secret'))]"):
            with self.assertRaises(ValidationError) as caught:
                self.env["crm.review.rule"].with_user(self.review_admin).create(self._rule_vals(domain))
            self.assertNotIn(secret, str(caught.exception))

    def test_invalid_field_is_named_without_values(self):
        with self.assertRaisesRegex(ValidationError, "no_such_field") as caught:
            self.env["crm.review.rule"].create(self._rule_vals("[('no_such_field', '=', 'value-' + str(uid))]"))
        self.assertNotIn(f"value-{self.env.uid}", str(caught.exception))

    def test_ids_and_dates_are_available(self):
        rule = self.env["crm.review.rule"].create(
            self._rule_vals(
                "[('user_id', '=', uid), ('company_id', 'in', company_ids),"
                " ('date_order', '<=', (context_today() + relativedelta(days=1)).strftime('%Y-%m-%d'))]"
            )
        )
        self.rule.active = False
        mine = self._order()
        other = self._order(user=self.reviewer2)
        self.assertTrue(mine.with_user(self.salesman).review_required)
        self.assertFalse(other.with_user(self.salesman).review_required, "uid is the user asking")
        # The same condition evaluated for another user is not taken from the first user's cache.
        self.assertTrue(other.with_user(self.reviewer2).review_required)
        self.assertFalse(mine.with_user(self.reviewer2).review_required)
        self.assertTrue(rule.active)

    def test_reminder_rule_condition_has_no_records(self):
        with self.assertRaisesRegex(ValidationError, "cannot be used"):
            self.env["crm.review.reminder.rule"].with_user(self.review_admin).create(
                {
                    "name": "Hostile reminder",
                    "model_id": self.env["ir.model"]._get_id("sale.order"),
                    "domain": "[('id', '=', user.id)]",
                    "date_field_id": self.env["ir.model.fields"]._get("sale.order", "date_order").id,
                    "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
                }
            )

    def test_field_step_needs_a_user_field(self):
        for model, field in (("sale.order", "partner_id"), ("sale.order", "tag_ids")):
            with self.assertRaisesRegex(ValidationError, "user field"):
                self.env["crm.review.step"].create(
                    {
                        "rule_id": self.rule.id,
                        "name": "Wrong field",
                        "approver_type": "field",
                        "user_field_id": self.env["ir.model.fields"]._get(model, field).id,
                    }
                )
        step = self.env["crm.review.step"].create(
            {
                "rule_id": self.rule.id,
                "name": "Salesperson",
                "approver_type": "field",
                "user_field_id": self.env["ir.model.fields"]._get("sale.order", "user_id").id,
            }
        )
        self.assertEqual(step.user_field_id.name, "user_id")


@tagged("post_install", "-at_install")
class TestReviewFourEyes(ReviewCommon):
    """Substitutes are reviewers, never the submitter, one approval each, and logged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.substitute = new_test_user(
            cls.env,
            "rv_substitute",
            groups="sales_team.group_sale_salesman,crm_review.group_review_reviewer",
            name="Sam Substitute",
        )
        cls.rule.step_ids[1].unlink()
        cls.rule.step_ids.write({"user_ids": [Command.set((cls.reviewer | cls.reviewer2).ids)], "approval_mode": "all"})

    def test_substitute_must_be_a_reviewer(self):
        portal = new_test_user(self.env, "rv_portal", groups="base.group_portal")
        archived = new_test_user(self.env, "rv_archived", groups="crm_review.group_review_reviewer")
        archived.active = False
        for candidate in (self.outsider, portal, archived, self.reviewer):
            with self.assertRaisesRegex(ValidationError, "substitute"), self.cr.savepoint():
                self.reviewer.with_user(self.reviewer).write({"review_substitute_id": candidate.id})
        self.env.invalidate_all()
        self.assertFalse(self.reviewer.review_substitute_id)
        self.reviewer.with_user(self.reviewer).write({"review_substitute_id": self.substitute.id})
        self.assertEqual(self.substitute._review_substituted_users(), self.reviewer)

    def test_substitute_follows_the_reviewer_group_form(self):
        self.reviewer.write({"review_substitute_id": self.substitute.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        as_substitute = order.with_user(self.substitute)
        self.assertTrue(as_substitute.review_can_decide)
        self.assertEqual(self.substitute._review_substituted_users(), self.reviewer)
        # Removed from the Reviewer group on the group's form (not the user's): stands in for nobody.
        reviewers = self.env.ref("crm_review.group_review_reviewer")
        reviewers.write({"user_ids": [Command.unlink(self.substitute.id)]})
        self.assertFalse(self.substitute._review_substituted_users())
        self.assertFalse(as_substitute.search([("id", "=", order.id), ("review_involves_me", "=", True)]))
        # Back in the group: stands in again, without waiting for a cache to clear.
        reviewers.write({"user_ids": [Command.link(self.substitute.id)]})
        self.assertEqual(self.substitute._review_substituted_users(), self.reviewer)
        as_substitute.invalidate_recordset()
        self.assertTrue(as_substitute.review_can_decide)
        as_substitute.action_review_approve()
        self.assertEqual(order.review_ids.approved_by_ids, self.reviewer)

    def test_substitute_counts_once_in_an_all_step(self):
        (self.reviewer | self.reviewer2).write({"review_substitute_id": self.substitute.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.assertTrue(order.with_user(self.substitute).review_can_decide)
        order.with_user(self.substitute).action_review_approve()
        self.assertEqual(order.review_state, "pending", "one approval stands for one reviewer")
        self.assertEqual(len(order.review_ids.approved_by_ids), 1)
        self.assertFalse(order.with_user(self.substitute).review_can_decide)
        with self.assertRaisesRegex(AccessError, "already approved"):
            order.with_user(self.substitute).action_review_approve()
        log = order.review_log_ids.filtered(lambda r: r.action == "approve")
        self.assertEqual(log.user_id, self.substitute)
        self.assertEqual(log.substitute_for_id, order.review_ids.approved_by_ids)
        self.assertIn("as substitute for", self._last_note(order).body)
        # The other reviewer still decides: four eyes.
        other = (self.reviewer | self.reviewer2) - order.review_ids.approved_by_ids
        order.with_user(other).action_review_approve()
        self.assertEqual(order.review_state, "approved")

    def test_submitter_never_decides_as_substitute(self):
        self.reviewer.write({"review_substitute_id": self.substitute.id})
        order = self._order(user=self.substitute)
        order.with_user(self.substitute).action_review_submit()
        self.assertFalse(order.with_user(self.substitute).review_can_decide)
        self.assertFalse(order.with_user(self.substitute).review_to_me)
        self.assertNotIn(order, order.with_user(self.substitute).search([("review_to_me", "=", True)]))
        with self.assertRaisesRegex(AccessError, "you submitted it"):
            order.with_user(self.substitute).action_review_approve()
        self.assertEqual(order.review_state, "pending")
        self.assertFalse(order.review_ids.approved_by_ids)

    def test_delegation_switched_off(self):
        self.reviewer.write({"review_substitute_id": self.substitute.id})
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        self.env.company.review_delegation = False
        self.env.invalidate_all()
        self.assertFalse(order.with_user(self.substitute).review_can_decide)
        self.assertNotIn(order, order.with_user(self.substitute).search([("review_to_me", "=", True)]))
        with self.assertRaisesRegex(AccessError, "not a reviewer"):
            order.with_user(self.substitute).action_review_approve()
        self.env.company.review_delegation = True
        self.env.invalidate_all()
        self.assertIn(order, order.with_user(self.substitute).search([("review_to_me", "=", True)]))

    def test_audit_trail_cannot_be_deleted_with_a_context_key(self):
        order = self._order()
        order.with_user(self.salesman).action_review_submit()
        logs = order.review_log_ids
        self.assertTrue(logs)
        with self.assertRaises(AccessError):
            logs.sudo().with_context(crm_review_unlink_with_record=True, crm_review_delete=True).unlink()
        self.assertTrue(logs.exists())
        order.with_user(self.salesman).action_review_recall()
        order.sudo().unlink()
        self.assertFalse(logs.exists(), "the trail goes with its record")
