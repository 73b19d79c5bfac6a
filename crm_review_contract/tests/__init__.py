from . import test_install
from . import test_review_contract
from . import test_review_contract_tour
from . import test_access_invariance
from . import test_review_contract_authority
