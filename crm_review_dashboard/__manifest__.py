{
    "name": "Reviews Dashboard",
    "summary": "Reviews dashboard in the Dashboards app: waiting now, overdue, cycle time, rejections",
    "version": "19.0.1.0.0",
    "category": "Productivity/Dashboard",
    "license": "LGPL-3",
    "author": "crm_review contributors",
    "website": "https://github.com/crm-review/crm_review",
    "development_status": "Alpha",
    "maintainers": ["crm-review"],
    "depends": ["crm_review", "spreadsheet_dashboard"],
    "data": [
        "data/dashboards.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_review_dashboard/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}
