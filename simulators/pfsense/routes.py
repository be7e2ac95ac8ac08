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
from .envelope import invalid, schema_violation
from .handlers_common import Request
from .schema import AUTH_METHODS, SETTINGS_DEFAULTS, STRING, Field
from .validation import clean

Handler = Callable[[Request], Any]


def read_settings(req: Request) -> dict[str, Any]:
    return {**SETTINGS_DEFAULTS, **req.store.settings}


# `Models/RESTAPISettings.inc`: the settings a client may change here
WRITABLE_SETTINGS = {
    "represent_interfaces_as": Field(STRING, choices=("descr", "id", "if")),
    "auth_methods": Field(STRING, many=True, choices=AUTH_METHODS),
}


def update_settings(req: Request) -> dict[str, Any]:
    body = {k: v for k, v in req.params.items() if k in WRITABLE_SETTINGS}
    extra = set(req.params) - set(body)
    if extra:
        raise schema_violation(
            "SIMULATOR_SETTING_NOT_SIMULATED", f"Setting(s) {sorted(extra)} are not simulated."
        )
    current = {name: req.store.setting(name) for name in WRITABLE_SETTINGS}
    changed = clean(WRITABLE_SETTINGS, body, existing=current)
    if not changed["auth_methods"]:
        raise invalid("FIELD_MANY_MINIMUM_NOT_REACHED", "Field `auth_methods` needs a value.")
    req.store.settings.update(changed)
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
        "POST": dhcp.create_server,  # v2.7.0 and later (see Options.implicit_dhcp_servers)
        "PATCH": dhcp.update_server,
        "DELETE": dhcp.delete_server,
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
    f"{P}/firewall/virtual_ip": {
        "GET": firewall.VIRTUAL_IPS.read_one,
        "POST": firewall.VIRTUAL_IPS.create,
        "PATCH": firewall.VIRTUAL_IPS.update,
        "DELETE": firewall.VIRTUAL_IPS.delete_one,
    },
    f"{P}/firewall/virtual_ips": {
        "GET": firewall.VIRTUAL_IPS.read_many,
        "DELETE": firewall.VIRTUAL_IPS.delete_many,
    },
    f"{P}/firewall/virtual_ip/apply": {
        "GET": firewall.vip_apply_status,
        "POST": firewall.vip_apply_now,
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
