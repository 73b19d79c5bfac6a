{
    "name": "Reviews for Contracts",
    "summary": "Review and approval of OCA contracts before they invoice",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "crm_review contributors",
    "website": "https://github.com/crm-review/crm_review",
    "development_status": "Alpha",
    "maintainers": ["crm-review"],
    "depends": ["crm_review", "contract"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_review_contract_rules.xml",
        "views/contract_contract_views.xml",
        "views/contract_contract_routing_views.xml",
    ],
    "demo": [
        "demo/crm_review_contract_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_review_contract/static/tests/tours/*.js",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
    "installable": True,
}
