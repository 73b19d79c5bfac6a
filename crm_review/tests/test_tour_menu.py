from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestReviewMenuTour(HttpCase):
    def test_menu_tour(self):
        """The Reviews app opens its "To Review" list and the Review Rules list in a browser."""
        self.start_tour("/odoo", "crm_review_menu_tour", login="admin")
