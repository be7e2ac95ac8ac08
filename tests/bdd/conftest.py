"""The acceptance specs: step definitions by domain concept, shared by every feature."""

from .steps.accounts import *  # noqa: F403
from .steps.admin import *  # noqa: F403
from .steps.billing import *  # noqa: F403
from .steps.common import *  # noqa: F403
from .steps.console import *  # noqa: F403
from .steps.faults import *  # noqa: F403
from .steps.monitoring import *  # noqa: F403
from .steps.payments import *  # noqa: F403
from .steps.pricing import *  # noqa: F403
from .steps.promos import *  # noqa: F403
from .steps.rebuild import *  # noqa: F403
from .steps.scoped_tokens import *  # noqa: F403
from .steps.servers import *  # noqa: F403
from .steps.ssh_keys import *  # noqa: F403
from .steps.two_factor import *  # noqa: F403
from .steps.webhooks import *  # noqa: F403
