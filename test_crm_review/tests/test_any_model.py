from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.crm_review.tests.common import ReviewCommon


@tagged("post_install", "-at_install")
class TestAnyModel(ReviewCommon):
    """The mixin and the glue are enough: rules, decisions, gating and history on a fourth model."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.doc_rule = cls.env["crm.review.rule"].create(
            {
                "name": "Big documents",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("crm.review.test.document"),
                "domain": "[('amount', '>', 100)]",
                "step_ids": [
                    Command.create({"name": "Check", "user_ids": [Command.set(cls.reviewer.ids)]}),
                    Command.create(
                        {
                            "name": "Sign",
                            "approver_type": "field",
                            "user_field_id": cls.env["ir.model.fields"]._get("crm.review.test.document", "user_id").id,
                        }
                    ),
                ],
            }
        )
        cls.env["ir.model"]._get("crm.review.test.document")

    def _document(self, amount=500):
        return (
            self.env["crm.review.test.document"]
            .with_user(self.salesman)
            .create({"name": "Test document", "amount": amount, "user_id": self.reviewer2.id})
        )

    def test_the_model_is_offered_to_rules(self):
        self.assertIn("crm.review.test.document", self.env["crm.review.rule"]._reviewable_models())

    def test_submit_approve_and_gate(self):
        document = self._document()
        self.assertTrue(document.review_required)
        with self.assertRaisesRegex(UserError, "has not been submitted"):
            document.action_done()
        document.action_review_submit()
        self.assertEqual(document.review_state, "pending")
        with self.assertRaisesRegex(UserError, "under review at step Check"):
            document.action_done()
        document.with_user(self.reviewer).action_review_approve()
        self.assertEqual(document.review_reviewer_ids, self.reviewer2, "the user field names the second reviewer")
        document.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(document.review_state, "approved")
        document.action_done()
        self.assertEqual(document.state, "done")
        self.assertEqual(document.review_log_ids.mapped("action"), ["approve", "approve", "submit"])
        document.with_user(self.salesman).amount = 900
        self.assertEqual(document.review_state, "approved", "done: the review is over")

    def test_reject_and_key_field_reset(self):
        document = self._document()
        document.action_review_submit()
        self._reject(document, self.reviewer)
        self.assertEqual(document.review_state, "rejected")
        self.assertTrue(self._review_activities(document, self.salesman, "crm_review.mail_activity_type_review_fix"))
        document.with_user(self.salesman).action_review_submit()
        document.with_user(self.reviewer).action_review_approve()
        document.with_user(self.reviewer2).action_review_approve()
        self.assertEqual(document.review_state, "approved")
        document.with_user(self.salesman).amount = 900
        self.assertEqual(document.review_state, "draft", "a key field changed after approval")

    def test_small_documents_need_no_review(self):
        document = self._document(amount=10)
        self.assertFalse(document.review_required)
        document.action_done()
        self.assertEqual(document.state, "done")
