import html
import re
from urllib.parse import parse_qs, urlsplit

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

# Every page of the layout carries the CSRF token of the session (the form's hidden input carries the same).
CSRF_TOKEN = re.compile(r'csrf_token: "([^"]+)"')
FORM_CSRF_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestReviewEmailLink(HttpCase):
    """The approve link of the reminder email: a page to confirm, bound to one step and one reviewer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.review.rule"].search([]).active = False
        sales = "sales_team.group_sale_salesman"
        cls.salesman = new_test_user(cls.env, "link_sales", groups=sales, name="Sam Seller")
        cls.reviewer = new_test_user(
            cls.env, "link_reviewer", groups=f"{sales},crm_review.group_review_reviewer", email="rita@example.com"
        )
        cls.reviewer2 = new_test_user(
            cls.env, "link_reviewer2", groups=f"{sales},crm_review.group_review_reviewer", name="Rob Reviewer"
        )
        # Sees every order, reviews other steps.
        cls.other = new_test_user(
            cls.env, "link_other", groups="sales_team.group_sale_salesman_all_leads,crm_review.group_review_reviewer"
        )
        # Sees their own orders only.
        cls.outsider = new_test_user(cls.env, "link_outsider", groups=sales)
        cls.env["crm.review.rule"].create(
            {
                "name": "All orders",
                "state": "active",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "step_ids": [
                    Command.create(
                        {
                            "name": "Boss",
                            "approver_type": "users",
                            "user_ids": [Command.set((cls.reviewer | cls.reviewer2).ids)],
                        }
                    )
                ],
            }
        )
        partner = cls.env["res.partner"].create({"name": "Link Customer"})
        cls.order = cls.env["sale.order"].create({"partner_id": partner.id, "user_id": cls.salesman.id})
        cls.order.with_user(cls.salesman).action_review_submit()

    def _line(self):
        self.env.invalidate_all()
        return self.order.review_ids.filtered(lambda line: line.is_current and line.state == "pending")

    def _link(self, user=None, line=None):
        return (line or self._line())._review_approve_link(user or self.reviewer)

    def _post(self, link, csrf_token, **data):
        """Submit the confirmation form of ``link`` as the browser does."""
        parts = urlsplit(link)
        form = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if csrf_token:
            form["csrf_token"] = csrf_token
        return self.url_open(parts.path, data=dict(form, **data))

    def _csrf(self, response):
        return CSRF_TOKEN.search(response.text).group(1)

    def _approve(self, link, **data):
        """Open the link, then press Approve on the page."""
        page = self.url_open(link)
        self.assertEqual(page.status_code, 200)
        return self._post(link, FORM_CSRF_TOKEN.search(page.text).group(1), **data)

    def _assert_pending(self):
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "pending")

    def test_opening_the_link_shows_the_step_and_approves_nothing(self):
        link = self._link()
        # Not signed in (a mail scanner): sent to the login page.
        response = self.url_open(link, allow_redirects=False)
        self.assertIn("/web/login", response.headers.get("Location", ""))
        self.authenticate("link_reviewer", "link_reviewer")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        for text in (self.order.name, "Boss", "Sam Seller", 'method="post"', 'name="csrf_token"', "Approve"):
            self.assertIn(text, response.text)
        self.assertIn(f'href="/odoo/sale.order/{self.order.id}"', response.text)
        self._assert_pending()
        self.assertEqual(self._line().state, "pending")
        self.assertFalse(self._line().approved_by_ids | self._line().done_by_id)

    def test_confirming_approves_as_the_reviewer(self):
        line = self._line()
        self.authenticate("link_reviewer", "link_reviewer")
        response = self._approve(self._link())
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"You approved step Boss of {self.order.name}.", response.text)
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "approved")
        self.assertEqual(line.done_by_id, self.reviewer)
        # The link is spent: opening it again says so.
        response = self.url_open(self._link(line=line))
        self.assertIn("was already approved by", response.text)
        self.assertNotIn('method="post"', response.text)

    def test_post_without_csrf_token_is_refused(self):
        self.authenticate("link_reviewer", "link_reviewer")
        with self.assertLogs("odoo.http", "WARNING"):
            response = self._post(self._link(), None)
        self.assertEqual(response.status_code, 400)
        self._assert_pending()

    def test_link_of_an_earlier_submission_approves_nothing(self):
        old_link = self._link()
        self.order.with_user(self.salesman).action_review_recall()
        self.order.with_user(self.salesman).action_review_submit()
        self.authenticate("link_reviewer", "link_reviewer")
        response = self.url_open(old_link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("is no longer waiting for a decision", response.text)
        self.assertNotIn('method="post"', response.text)
        csrf_token = self._csrf(self.url_open(self._link()))
        response = self._post(old_link, csrf_token)
        self.assertIn("is no longer waiting for a decision", response.text)
        self._assert_pending()
        self.assertEqual(self._line().state, "pending")

    def test_link_sent_to_someone_else_approves_nothing(self):
        link = self._link(self.reviewer)
        # Even another reviewer of the same step cannot use it.
        self.authenticate("link_reviewer2", "link_reviewer2")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("This link was sent to another reviewer.", response.text)
        self.assertNotIn('method="post"', response.text)
        response = self._post(link, self._csrf(response))
        self.assertIn("This link was sent to another reviewer.", response.text)
        self._assert_pending()

    def test_link_of_someone_who_is_not_a_reviewer_of_the_step(self):
        for login, refusal in (
            ("link_other", "You are not a reviewer of step Boss"),
            # A user who cannot read the order learns nothing of it, not even its name.
            ("link_outsider", "This review is not available to you."),
        ):
            user = self.env["res.users"].search([("login", "=", login)])
            link = self._link(user)
            self.authenticate(login, login)
            response = self.url_open(link)
            self.assertEqual(response.status_code, 200)
            self.assertIn(refusal, response.text)
            self.assertNotIn('method="post"', response.text)
            response = self._post(link, self._csrf(response))
            self.assertIn(refusal, response.text)
            self._assert_pending()

    def test_missing_or_wrong_token_says_the_link_is_not_valid(self):
        line = self._line()
        self.authenticate("link_reviewer", "link_reviewer")
        wrong = self._link().replace("token=", "token=0")
        old_style = f"/crm_review/approve/sale.order?res_id={self.order.id}&token=abc"
        for url in (f"/crm_review/approve/{line.id}", f"/crm_review/approve/{line.id}?user_id=1", wrong, old_style):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertIn("This link is not valid.", response.text, url)
            self.assertNotIn('method="post"', response.text, url)
        self._assert_pending()

    def test_decided_step_says_so(self):
        link = self._link()
        self.order.with_user(self.reviewer2).action_review_approve()
        self.authenticate("link_reviewer", "link_reviewer")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"Step Boss of {self.order.name} was already approved by Rob Reviewer.", response.text)
        self.assertNotIn('method="post"', response.text)

    def test_step_needing_a_comment(self):
        line = self._line()
        line.comment_required = True
        self.authenticate("link_reviewer", "link_reviewer")
        page = self.url_open(self._link())
        self.assertIn('name="comment"', page.text)
        response = self._post(self._link(), self._csrf(page))
        self.assertIn("Step Boss needs a comment to be approved.", response.text)
        self.assertIn('name="comment"', response.text, "the form comes back to write the comment")
        self._assert_pending()
        response = self._post(self._link(), self._csrf(page), comment="Checked the margin")
        self.assertIn("You approved step Boss", response.text)
        self.env.invalidate_all()
        self.assertEqual((line.state, line.note), ("approved", "Checked the margin"))

    def test_deleted_record(self):
        link = self._link()
        self.order.with_user(self.salesman).action_review_recall()
        self.order.unlink()
        self.authenticate("link_reviewer", "link_reviewer")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("This review no longer exists", response.text)

    def test_reminder_email_carries_the_reviewers_own_link(self):
        line = self._line()
        line._send_reminder_digests({self.reviewer: line})
        mail = self.env["mail.mail"].search(
            [("subject", "=", "Reviews waiting for you"), ("recipient_ids", "in", self.reviewer.partner_id.ids)]
        )
        url = html.unescape(re.search(r'href="([^"]*/crm_review/approve/[^"]*)"', mail.body_html).group(1))
        self.assertIn(f"/crm_review/approve/{line.id}?", url)
        self.authenticate("link_reviewer", "link_reviewer")
        response = self._approve(url[url.index("/crm_review") :])
        self.assertIn("You approved step Boss", response.text)
        self.order.invalidate_recordset()
        self.assertEqual(self.order.review_state, "approved")

    def test_times_shown_in_the_viewers_time_zone(self):
        # Written in UTC; the reviewer reads Shanghai time (UTC+8), whoever opened the step.
        self._line().pending_since = "2026-03-02 22:30:00"
        self.reviewer.tz = "Europe/Brussels"
        self.authenticate("link_reviewer", "link_reviewer")
        # Moved since signing in: the page follows the reviewer, not the time zone of the session.
        self.reviewer.tz = "Asia/Shanghai"
        response = self.url_open(self._link())
        self.assertIn("03/03/2026 06:30:00", response.text)
        self.assertNotIn("22:30", response.text)

    def _page_values(self, response):
        """{label: text} of the page's description list."""
        pairs = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", response.text, re.S)
        return {label.strip(): re.sub(r"<[^>]+>", "", value).replace("\xa0", " ").strip() for label, value in pairs}

    def test_page_shows_the_customer_and_the_amount_in_the_orders_currency(self):
        # As the email does: the customer, and the amount in the order's currency (not the company's).
        euro = self.env.ref("base.EUR")
        euro.active = True
        pricelist = self.env["product.pricelist"].create({"name": "Euro", "currency_id": euro.id})
        product = self.env["product.product"].create({"name": "Link Product"})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.order.partner_id.id,
                "user_id": self.salesman.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create({"product_id": product.id, "price_unit": 1234.5, "tax_ids": [Command.clear()]})
                ],
            }
        )
        self.assertEqual((order.currency_id, order.amount_total), (euro, 1234.5))
        order.with_user(self.salesman).action_review_submit()
        line = order.review_ids.filtered(lambda line: line.state == "pending")
        self.authenticate("link_reviewer", "link_reviewer")
        values = self._page_values(self.url_open(line._review_approve_link(self.reviewer)))
        self.assertEqual(values["Customer"], "Link Customer")
        self.assertEqual(values["Amount"], "1,234.50 €")
        self.assertEqual(values["Step"], "Boss")
        # A customer under review is the record itself, and has no amount.
        self.env["crm.review.rule"].create(
            {
                "name": "Companies",
                "state": "active",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": "[('is_company', '=', True)]",
                "step_ids": [
                    Command.create({"name": "Credit", "approver_type": "users", "user_ids": self.reviewer.ids})
                ],
            }
        )
        partner = self.env["res.partner"].create({"name": "Link Company", "is_company": True})
        partner.action_review_submit()
        line = partner.review_ids.filtered(lambda line: line.state == "pending")
        values = self._page_values(self.url_open(line._review_approve_link(self.reviewer)))
        self.assertEqual(values["Record"], "Link Company")
        self.assertEqual(values["Step"], "Credit")
        self.assertNotIn("Customer", values)
        self.assertNotIn("Amount", values)
