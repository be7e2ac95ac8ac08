"""The NetworkFabric on pfSense, through the REST API package v2 (`/api/v2`, `X-API-Key`)."""

from adapters.pfsense.config import (
    FirewallSite,
    PublicAddressMode,
    Timeouts,
    TlsSettings,
)
from adapters.pfsense.errors import (
    FirewallBusy,
    FirewallConflict,
    FirewallMisconfigured,
    FirewallRefused,
    OutcomeUnknown,
)
from adapters.pfsense.fabric import PfSenseFabric

__all__ = [
    "FirewallBusy",
    "FirewallConflict",
    "FirewallMisconfigured",
    "FirewallRefused",
    "FirewallSite",
    "OutcomeUnknown",
    "PfSenseFabric",
    "PublicAddressMode",
    "Timeouts",
    "TlsSettings",
]
