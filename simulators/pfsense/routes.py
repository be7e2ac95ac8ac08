"""The endpoints the simulator serves: path -> method -> handler.

Each entry lists the methods the real endpoint class accepts. A method the real box accepts but the
simulator does not implement maps to None: it answers 501 and records a violation (so a client
using it fails its test instead of passing against an incomplete fake). A method the real box does
not accept answers 405 `ENDPOINT_METHOD_NOT_ALLOWED`, also recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import handlers_dhcp as dhcp
from . import handlers_firewall as firewall
from . import handlers_interfaces as interfaces
from .envelope import schema_violation
from .handlers_common import Request
from .schema import STRING, Field
from .validation import clean

Handler = Callable[[Request], Any]

SETTINGS_DEFAULTS = {
    "enabled": True,
    "read_only": False,
    "keep_backup": True,
    "login_protection": True,
    "log_successful_auth": False,
    "hateoas": False,
    "expose_sensitive_fields": False,
    "allowed_interfaces": [],
    "represent_interfaces_as": "descr",
    "auth_methods": ["KeyAuth"],
    "jwt_exp": 3600,
}


def read_settings(req: Request) -> dict[str, Any]:
    return {**SETTINGS_DEFAULTS, **req.store.settings}


def update_settings(req: Request) -> dict[str, Any]:
    writable = {"represent_interfaces_as": Field(STRING, choices=("descr", "id", "if"))}
    body = {k: v for k, v in req.params.items() if k not in SETTINGS_DEFAULTS or k in writable}
    extra = set(req.params) - set(body)
    if extra:
        raise schema_violation(
            "SIMULATOR_SETTING_NOT_SIMULATED", f"Setting(s) {sorted(extra)} are not simulated."
        )
    req.store.settings.update(clean(writable, body, existing=req.store.settings))
    return read_settings(req)


P = "/api/v2"
ROUTES: dict[str, dict[str, Handler | None]] = {
    f"{P}/interface/vlan": {
        "GET": interfaces.VLANS.read_one,
        "POST": interfaces.VLANS.create,
        "PATCH": interfaces.VLANS.update,
        "DELETE": interfaces.VLANS.delete_one,
    },
    f"{P}/interface/vlans": {
        "GET": interfaces.VLANS.read_many,
        "DELETE": interfaces.VLANS.delete_many,
    },
    f"{P}/interface": {
        "GET": interfaces.read_interface,
        "POST": interfaces.create_interface,
        "PATCH": interfaces.update_interface,
        "DELETE": interfaces.delete_interface,
    },
    f"{P}/interfaces": {"GET": interfaces.read_interfaces, "DELETE": interfaces.delete_interfaces},
    f"{P}/interface/available_interfaces": {"GET": interfaces.read_available},
    f"{P}/interface/apply": {"GET": interfaces.apply_status, "POST": interfaces.apply_now},
    f"{P}/services/dhcp_server": {
        "GET": dhcp.read_server,
        "POST": None,
        "PATCH": dhcp.update_server,
        "DELETE": None,
    },
    f"{P}/services/dhcp_servers": {"GET": dhcp.read_servers, "PUT": None},
    f"{P}/services/dhcp_server/static_mapping": {
        "GET": dhcp.STATIC_MAPPINGS.read_one,
        "POST": dhcp.STATIC_MAPPINGS.create,
        "PATCH": dhcp.STATIC_MAPPINGS.update,
        "DELETE": dhcp.STATIC_MAPPINGS.delete_one,
    },
    f"{P}/services/dhcp_server/static_mappings": {
        "GET": dhcp.STATIC_MAPPINGS.read_many,
        "DELETE": dhcp.STATIC_MAPPINGS.delete_many,
    },
    f"{P}/services/dhcp_server/apply": {"GET": dhcp.apply_status, "POST": dhcp.apply_now},
    f"{P}/firewall/rule": {
        "GET": firewall.RULES.read_one,
        "POST": firewall.RULES.create,
        "PATCH": firewall.RULES.update,
        "DELETE": firewall.RULES.delete_one,
    },
    f"{P}/firewall/rules": {
        "GET": firewall.RULES.read_many,
        "PUT": firewall.RULES.replace_all,
        "DELETE": firewall.RULES.delete_many,
    },
    f"{P}/firewall/nat/one_to_one/mapping": {
        "GET": firewall.ONE_TO_ONE.read_one,
        "POST": firewall.ONE_TO_ONE.create,
        "PATCH": firewall.ONE_TO_ONE.update,
        "DELETE": firewall.ONE_TO_ONE.delete_one,
    },
    f"{P}/firewall/nat/one_to_one/mappings": {
        "GET": firewall.ONE_TO_ONE.read_many,
        "PUT": firewall.ONE_TO_ONE.replace_all,
        "DELETE": firewall.ONE_TO_ONE.delete_many,
    },
    f"{P}/firewall/apply": {"GET": firewall.apply_status, "POST": firewall.apply_now},
    f"{P}/system/restapi/settings": {"GET": read_settings, "PATCH": update_settings},
}

# Plural DELETEs: they delete match after match and keep what they did when one is refused.
NON_ATOMIC = {
    ("DELETE", path)
    for path, methods in ROUTES.items()
    if path.endswith("s") and "DELETE" in methods
}
