from odoo.addons.crm_review.hooks import remove_review_data

# The models this addon makes reviewable.
REVIEWED_MODELS = ("contract.contract",)


def uninstall_hook(env):
    """Contracts are no longer reviewed once this addon goes, while crm_review and contract stay.

    Their review lines, audit trail and review to-dos go (nothing could decide
    or show them any more), and their review rules are archived: active, they
    would apply to records nobody can review; archived, they are there again
    for a reinstall.
    """
    remove_review_data(env, REVIEWED_MODELS)
    rules = env["crm.review.rule"].sudo().search([("model", "in", list(REVIEWED_MODELS))])
    rules.active = False
