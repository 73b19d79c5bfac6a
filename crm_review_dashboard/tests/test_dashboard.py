import base64
import json

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from odoo.addons.crm_review.tests.screenshots import TourScreenshotsMixin


@tagged("post_install", "-at_install")
class TestReviewsDashboard(TransactionCase):
    def test_dashboard_reads_existing_measures(self):
        """The Reviews dashboard is published, and every pivot it shows reads a field that exists."""
        dashboard = self.env.ref("crm_review_dashboard.spreadsheet_dashboard_reviews")
        self.assertTrue(dashboard.is_published)
        data = json.loads(base64.b64decode(dashboard.spreadsheet_binary_data))
        self.assertEqual({sheet["name"] for sheet in data["sheets"]}, {"Dashboard", "Data"})
        for pivot in data["pivots"].values():
            model = self.env[pivot["model"]]
            for name in [row["fieldName"] for row in pivot["rows"]] + [m["fieldName"] for m in pivot["measures"]]:
                if name != "__count":
                    self.assertIn(name, model._fields, f"{pivot['name']}: {pivot['model']}.{name}")
            # The dashboard's own request: grouped by its rows, with its measures.
            measures = [
                "__count"
                if m["fieldName"] == "__count"
                else f"{m['fieldName']}:{model._fields[m['fieldName']].aggregator}"
                for m in pivot["measures"]
            ]
            model.formatted_read_group(pivot["domain"], [row["fieldName"] for row in pivot["rows"]], measures)

    def test_dashboard_for_review_administrators(self):
        manager = new_test_user(self.env, "dash_manager", groups="base.group_user,crm_review.group_review_manager")
        salesman = new_test_user(self.env, "dash_sales", groups="sales_team.group_sale_salesman")
        Dashboard = self.env["spreadsheet.dashboard"]
        dashboard = self.env.ref("crm_review_dashboard.spreadsheet_dashboard_reviews")
        self.assertIn(dashboard, Dashboard.with_user(manager).search([]))
        self.assertNotIn(dashboard, Dashboard.with_user(salesman).search([]))
        serialized = json.loads(dashboard.with_user(manager)._get_serialized_readonly_dashboard())
        self.assertIn("snapshot", serialized)


@tagged("post_install", "-at_install")
class TestReviewsDashboardTour(TourScreenshotsMixin, HttpCase):
    browser_size = "1280x800"

    def test_dashboard_opens(self):
        """A review administrator opens the Reviews dashboard in the browser without an error."""
        new_test_user(
            self.env,
            "dash_tour",
            groups="base.group_user,crm_review.group_review_manager,sales_team.group_sale_manager",
        )
        self.start_tour(
            "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
            "crm_review_dashboard_tour",
            login="dash_tour",
        )
