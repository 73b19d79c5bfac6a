from . import test_review_sale
from . import test_security_groups
from . import test_tour_menu
from . import test_review_payment
from . import test_review_partner
from . import test_review_misc
from . import test_review_tours
from . import test_review_reminders
