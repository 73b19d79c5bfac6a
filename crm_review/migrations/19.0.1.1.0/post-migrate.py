"""Review settings became per company: copy the former global values to every company."""

from odoo import SUPERUSER_ID, api

PARAMS = {
    "crm_review.default_reject_limit": "review_reject_limit",
    "crm_review.default_reminder_hours": "review_reminder_hours",
    "crm_review.default_reminder_repeat_hours": "review_reminder_repeat_hours",
    "crm_review.default_reminder_max": "review_reminder_max",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Param = env["ir.config_parameter"]
    companies = env["res.company"].with_context(active_test=False).search([])
    values = {}
    for key, field in PARAMS.items():
        value = Param.get_param(key)
        if value not in (None, False, ""):
            values[field] = int(value)
    disabled = {name.strip() for name in (Param.get_param("crm_review.disabled_models") or "").split(",")}
    if "res.partner" in disabled:
        values["review_partner_enabled"] = False
    if "sale.order" in disabled:
        values["review_sale_enabled"] = False
    if values:
        companies.write(values)
    # The reminder digest now shows since when each record waits and how many more there are:
    # its template is noupdate, so load the new body from the data file.
    template = env.ref("crm_review.mail_template_review_reminder", raise_if_not_found=False)
    if template:
        template.reset_template()
