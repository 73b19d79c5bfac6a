from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewPartner(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_rule = cls.env["crm.review.rule"].create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "key_field_ids": [Command.set(cls.env["ir.model.fields"]._get("res.partner", "vat").ids)],
                "step_ids": [
                    Command.create(
                        {"name": "Credit", "approver_type": "users", "user_ids": [Command.set(cls.reviewer.ids)]}
                    )
                ],
            }
        )
        cls.company_partner = cls.env["res.partner"].create({"name": "Acme Trading", "is_company": True})

    def test_partner_flow_and_vat_reset(self):
        partner = self.company_partner.with_user(self.salesman)
        self.assertTrue(partner.review_required)
        self.assertFalse(self.customer.review_required, "the rule's condition picks companies only")
        partner.action_review_submit()
        self.assertEqual(partner.review_state, "pending")
        with self.assertRaisesRegex(UserError, "Tax ID"):
            partner.write({"vat": "BE0477472701"})
        partner.write({"phone": "+32 2 290 34 90"})  # not a key field
        self._reject(self.company_partner, self.reviewer, reason=self.env.ref("crm_review.reason_documents"))
        self.assertEqual(partner.review_state, "rejected")
        partner.write({"vat": "BE0477472701"})
        partner.action_review_submit()
        self.company_partner.with_user(self.reviewer).action_review_approve()
        self.assertEqual(partner.review_state, "approved")
        partner.write({"comment": "A note"})
        self.assertEqual(partner.review_state, "approved", "only key fields reset the review")
        partner.write({"vat": "BE0477472702"})
        self.assertEqual(partner.review_state, "draft")
        self.assertIn("Tax ID", self._last_note(self.company_partner).body)

    def test_partner_messages_internal_and_followers_not_emailed(self):
        portal_partner = self.env["res.partner"].create({"name": "Customer Contact", "email": "c@example.com"})
        self.company_partner.message_subscribe(partner_ids=portal_partner.ids)
        self.company_partner.with_user(self.salesman).action_review_submit()
        messages = self.company_partner.message_ids.filtered(lambda m: "Submitted for review" in (m.body or ""))
        self.assertTrue(messages)
        self.assertTrue(all(m.is_internal or m.subtype_id.internal for m in messages))
        self.assertFalse(messages.notification_ids, "no follower is notified of review traffic")

    def test_reviewer_without_partner_write_can_decide(self):
        self.company_partner.with_user(self.salesman).action_review_submit()
        self.company_partner.with_user(self.reviewer).action_review_approve()
        self.assertEqual(self.company_partner.review_state, "approved")

    def test_outsider_cannot_approve(self):
        self.company_partner.with_user(self.salesman).action_review_submit()
        with self.assertRaises(AccessError):
            self.company_partner.with_user(self.outsider).action_review_approve()

    def test_partner_list_fields_batch(self):
        partners = self.env["res.partner"].create([{"name": f"Co {i}", "is_company": True} for i in range(20)])
        partners.with_user(self.salesman).action_review_submit()
        partners.invalidate_recordset()

        def read_list(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            for record in records:
                _values = (
                    record.review_state,
                    record.review_step_label,
                    record.review_to_me,
                    record.review_reviewer_ids,
                )
            return self.env.cr.sql_log_count - before

        read_list(partners.with_user(self.reviewer))  # warm the registry caches (access rules...)
        few = read_list(partners[:2].with_user(self.reviewer))
        many = read_list(partners.with_user(self.reviewer))
        self.assertEqual(many, few, "the number of queries does not grow with the number of records")
        self.assertLessEqual(many, 9)
        self.assertTrue(all(partners.with_user(self.reviewer).mapped("review_to_me")))
