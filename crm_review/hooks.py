from .models.crm_review_log import _DELETE_WITH_RECORD

REVIEW_TODO_TYPES = (
    "crm_review.mail_activity_type_review",
    "crm_review.mail_activity_type_review_fix",
    "crm_review.mail_activity_type_review_escalation",
)


def remove_review_data(env, res_models=None):
    """Delete the review to-dos, the audit trail and the review lines (of ``res_models`` only, when given)."""
    scope = [("res_model", "in", list(res_models))] if res_models is not None else []
    type_ids = [env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False) for xmlid in REVIEW_TODO_TYPES]
    todos = env["mail.activity"].with_context(active_test=False).search([("activity_type_id", "in", type_ids), *scope])
    todos.unlink()
    env["crm.review.log"].sudo().search(scope).with_context(crm_review_delete=_DELETE_WITH_RECORD).unlink()
    env["crm.review"].sudo().search(scope).unlink()


def uninstall_hook(env):
    """Remove what means nothing without the addon, before its data goes.

    Open review to-dos would stay as plain to-dos; the review lines and the
    audit trail refer to the reasons the uninstall deletes next.
    """
    remove_review_data(env)
