"""The live checks, one module per service; importing this package registers them in
boi.live_audit.registry.CHECKS, in the order they run (the order of the imports below)."""

# isort: off
from boi.live_audit.checks import trail  # noqa: F401  (registers)
from boi.live_audit.checks import config  # noqa: F401
from boi.live_audit.checks import kms  # noqa: F401
from boi.live_audit.checks import s3  # noqa: F401
from boi.live_audit.checks import sqs  # noqa: F401
from boi.live_audit.checks import iam  # noqa: F401
from boi.live_audit.checks import alerting  # noqa: F401
from boi.live_audit.checks import perimeter  # noqa: F401
# isort: on
