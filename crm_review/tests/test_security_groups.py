from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReviewSecurityGroups(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_user = cls.env.ref("base.group_user")
        cls.submitter = cls.env.ref("crm_review.group_review_submitter")
        cls.reviewer = cls.env.ref("crm_review.group_review_reviewer")
        cls.manager = cls.env.ref("crm_review.group_review_manager")
        cls.plain_user = new_test_user(cls.env, login="crm_review_plain", groups="base.group_user")
        cls.review_manager = new_test_user(
            cls.env, login="crm_review_admin", groups="base.group_user,crm_review.group_review_manager"
        )
        cls.partner = cls.env["res.partner"].create({"name": "Reviewed Customer"})

    def test_groups_share_one_privilege(self):
        groups = self.submitter | self.reviewer | self.manager
        self.assertEqual(len(groups), 3)
        self.assertTrue(self.submitter.privilege_id)
        self.assertEqual(groups.privilege_id, self.submitter.privilege_id)

    def test_implied_chain(self):
        """Administrator ⊃ Reviewer ⊃ Submitter ⊃ Internal User, and not the other way round."""
        self.assertIn(self.reviewer, self.manager.implied_ids)
        self.assertIn(self.submitter, self.reviewer.implied_ids)
        self.assertIn(self.group_user, self.submitter.implied_ids)
        self.assertLessEqual(self.reviewer | self.submitter | self.group_user, self.manager.all_implied_ids)
        self.assertNotIn(self.manager, self.reviewer.all_implied_ids)
        self.assertNotIn(self.reviewer, self.submitter.all_implied_ids)
        self.assertTrue(self.review_manager.has_group("crm_review.group_review_reviewer"))
        self.assertTrue(self.review_manager.has_group("crm_review.group_review_submitter"))
        self.assertFalse(self.plain_user.has_group("crm_review.group_review_submitter"))

    def test_salesman_is_submitter(self):
        salesman_group = self.env.ref("sales_team.group_sale_salesman")
        self.assertIn(self.submitter, salesman_group.implied_ids)
        salesman = new_test_user(self.env, login="crm_review_salesman", groups="sales_team.group_sale_salesman")
        self.assertTrue(salesman.has_group("crm_review.group_review_submitter"))
        self.assertFalse(salesman.has_group("crm_review.group_review_reviewer"))

    def test_internal_user_cannot_forge_reviews(self):
        values = {"res_model": "res.partner", "res_id": self.partner.id, "name": "Forged step"}
        with self.assertRaises(AccessError):
            self.env["crm.review"].with_user(self.plain_user).create(values)
        review = self.env["crm.review"].sudo().create(values)
        with self.assertRaises(AccessError):
            review.with_user(self.plain_user).write({"state": "approved"})

    def test_internal_user_cannot_forge_audit_trail(self):
        values = {"res_model": "res.partner", "res_id": self.partner.id, "action": "approve"}
        with self.assertRaises(AccessError):
            self.env["crm.review.log"].with_user(self.plain_user).create(values)
        log = self.env["crm.review.log"].sudo().create(values)
        with self.assertRaises(AccessError):
            log.with_user(self.plain_user).write({"action": "reject"})

    def test_only_review_manager_creates_rules(self):
        values = {
            "name": "Large orders",
            "state": "active",
            "model_id": self.env["ir.model"]._get_id("sale.order"),
            "domain": "[('amount_total', '>', 50000)]",
            "step_ids": [Command.create({"name": "Director", "user_ids": [Command.set(self.review_manager.ids)]})],
        }
        with self.assertRaises(AccessError):
            self.env["crm.review.rule"].with_user(self.plain_user).create(values)
        rule = self.env["crm.review.rule"].with_user(self.review_manager).create(values)
        self.assertEqual(rule.model, "sale.order")
        self.assertEqual(rule.create_uid, self.review_manager)
