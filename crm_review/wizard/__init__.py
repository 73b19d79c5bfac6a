from . import crm_review_target
from . import crm_review_reject
from . import crm_review_approve
from . import crm_review_simulate
from . import sale_order_cancel_reason
from . import crm_review_bulk
from . import crm_review_rule_activate
from . import crm_review_reminder_preview
