"""Public home of the validators (``from conformance.validators import assert_valid_sim``).

They live in :mod:`conformance.contract.validators`, beside the schemas they apply; this name
is that very module (not a copy), so everything it defines is reachable here.
"""

import sys
from typing import TYPE_CHECKING

from conformance.contract import validators as _validators

if TYPE_CHECKING:  # what type checkers see of the alias below
    from conformance.contract.validators import (
        ContractViolation as ContractViolation,
    )
    from conformance.contract.validators import (
        Problem as Problem,
    )
    from conformance.contract.validators import (
        assert_valid_callback as assert_valid_callback,
    )
    from conformance.contract.validators import (
        assert_valid_error as assert_valid_error,
    )
    from conformance.contract.validators import (
        assert_valid_sim as assert_valid_sim,
    )
    from conformance.contract.validators import (
        assert_valid_sim_page as assert_valid_sim_page,
    )
    from conformance.contract.validators import (
        problems as problems,
    )

sys.modules[__name__] = _validators
