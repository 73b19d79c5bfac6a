from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import ReviewCommon


@tagged("post_install", "-at_install")
class TestReviewMenuTour(HttpCase, ReviewCommon):
    def test_menu_tour(self):
        """The Reviews app opens on the reviews waiting for me (not those waiting for others), and its rules."""
        self.rule.step_ids.filtered(lambda step: step.name == "Manager").user_ids = [Command.set(self.review_admin.ids)]
        waiting_for_others, waiting_for_me = self._order(), self._order()
        (waiting_for_others | waiting_for_me).with_user(self.salesman).action_review_submit()
        waiting_for_others.with_user(self.review_admin).action_review_approve()
        # The tour finds one row, the Manager step: this order's, the only one waiting for the administrator.
        self.start_tour("/odoo", "crm_review_menu_tour", login="rv_admin")
        mine = self.env["crm.review"].search([("state", "=", "pending"), ("reviewer_ids", "in", self.review_admin.ids)])
        self.assertEqual((mine.res_id, mine.name), (waiting_for_me.id, "Manager"))
        # Opening the lists decides nothing: both orders still wait, with their reviewers' to-dos.
        self.assertEqual((waiting_for_me | waiting_for_others).mapped("review_state"), ["pending", "pending"])
        self.assertTrue(self._review_activities(waiting_for_me, self.review_admin))
        self.assertTrue(self._review_activities(waiting_for_others, self.reviewer2))
