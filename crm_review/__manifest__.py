{
    "name": "Reviews for Customers, Sale Orders and Contracts",
    "summary": "Governed review process: rules, ordered approval steps, "
    "reject reasons, reminders and audit trail",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "crm_review contributors",
    "website": "https://github.com/crm-review/crm_review",
    "development_status": "Alpha",
    "maintainers": ["crm-review"],
    "depends": ["mail", "contacts", "sale_management"],
    "data": [
        "security/crm_review_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_review_rules.xml",
        "data/mail_data.xml",
        "data/crm_review_reason_data.xml",
        "views/crm_review_rule_views.xml",
        "views/crm_review_reason_views.xml",
        "views/crm_review_views.xml",
        "views/crm_review_log_views.xml",
        "views/sale_order_views.xml",
        "views/res_partner_views.xml",
        "wizard/crm_review_wizard_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_review_menus.xml",
    ],
    "demo": [
        "demo/crm_review_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_review/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
