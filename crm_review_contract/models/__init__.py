from . import contract_contract
from . import contract_line
