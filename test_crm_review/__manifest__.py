{
    "name": "Reviews: any model (tests)",
    "summary": "Test module: a fourth reviewable model, made reviewable by the review mixin and a few lines of glue",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "crm_review contributors",
    "website": "https://github.com/crm-review/crm_review",
    "depends": ["crm_review"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
