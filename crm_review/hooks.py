from .models.crm_review_log import _DELETE_WITH_RECORD

REVIEW_TODO_TYPES = (
    "crm_review.mail_activity_type_review",
    "crm_review.mail_activity_type_review_fix",
    "crm_review.mail_activity_type_review_escalation",
)


def uninstall_hook(env):
    """Remove what means nothing without the addon, before its data goes.

    Open review to-dos would stay as plain to-dos; the review lines and the
    audit trail refer to the reasons the uninstall deletes next.
    """
    type_ids = [env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False) for xmlid in REVIEW_TODO_TYPES]
    todos = env["mail.activity"].with_context(active_test=False).search([("activity_type_id", "in", type_ids)])
    todos.unlink()
    env["crm.review.log"].sudo().search([]).with_context(crm_review_delete=_DELETE_WITH_RECORD).unlink()
    env["crm.review"].sudo().search([]).unlink()
