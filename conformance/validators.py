"""Public home of the validators (``from conformance.validators import assert_valid_sim``).

They live in :mod:`conformance.contract.validators`, beside the schemas they apply; this name
is that very module (not a copy), so everything it defines is reachable here.
"""

import sys

from conformance.contract import validators as _validators

sys.modules[__name__] = _validators
