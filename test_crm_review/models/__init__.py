from . import crm_review_test_document
