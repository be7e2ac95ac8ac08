"""Field tables of the models the simulator serves, after the package's model classes (v2.7 to
v2.10: `Models/InterfaceVLAN.inc`, `NetworkInterface.inc`, `DHCPServer.inc`,
`DHCPServerStaticMapping.inc`, `FirewallRule.inc`, `OneToOneNATMapping.inc`, `VirtualIP.inc`).

Only what a field's type, requirement, choices, defaults and conditions say lives here; the checks
that need the rest of the configuration (overlaps, uniqueness, subnets) are in `validation.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STRING, INTEGER, BOOLEAN, INTERFACE = "string", "integer", "boolean", "interface"
# `Fields/FilterAddressField.inc` (and `SpecialNetworkField.inc`): an address, a subnet, `any`,
# an alias or an interface in the configured representation (with `:ip`), maybe inverted by `!`.
FILTER_ADDRESS = "filter_address"
ADDRESS_OPTIONS = frozenset(
    {"ipaddr", "subnet", "alias", "interface", "interface_ip", "any", "invert", "self", "l2tp",
     "pppoe"}
)  # fmt: skip


@dataclass(frozen=True)
class Field:
    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    many: bool = False
    many_maximum: int | None = None
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    maximum_length: int | None = None
    # `Core/Field.inc` check_value_empty(): "" and [] are refused with FIELD_EMPTY_NOT_ALLOWED
    # unless the field allows them (None: as the package's string fields with a "" or [] default)
    allow_empty: bool | None = None
    address: frozenset[str] = ADDRESS_OPTIONS  # what a FILTER_ADDRESS field accepts
    read_only: bool = False
    editable: bool = True
    # field -> values it must hold; when unmet the field is dropped silently, never rejected
    conditions: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def empty_allowed(self) -> bool:
        if self.allow_empty is not None:
            return self.allow_empty
        return not self.required and self.default in ("", [])


def _s(**kw: Any) -> Field:
    kw.setdefault("default", "")
    return Field(STRING, **kw)


def _many(**kw: Any) -> Field:
    kw.setdefault("default", [])
    return Field(STRING, many=True, **kw)


def _b(default: bool = False, **kw: Any) -> Field:
    return Field(BOOLEAN, default=default, **kw)


def _i(**kw: Any) -> Field:
    return Field(INTEGER, **kw)


VLAN = {
    "if": _s(required=True, editable=False, maximum_length=32),
    "tag": _i(required=True, minimum=1, maximum=4094),
    "vlanif": _s(read_only=True),
    "pcp": _i(nullable=True, minimum=0, maximum=7),
    "descr": _s(),
}

_TYPEV6 = ("staticv6", "dhcp6", "slaac", "6rd", "track6", "6to4", "none")
INTERFACE_ASSIGNMENT = {
    "if": _s(required=True, maximum_length=128),
    "enable": _b(),
    "descr": _s(required=True, maximum_length=128),
    "spoofmac": _s(maximum_length=17),
    "mtu": _i(nullable=True, minimum=1280, maximum=8192),
    "mss": _i(nullable=True, minimum=576, maximum=65535),
    "media": _s(),
    "mediaopt": _s(),
    "blockpriv": _b(),
    "blockbogons": _b(),
    "typev4": _s(required=True, default=None, choices=("static", "dhcp", "none")),
    "ipaddr": _s(required=True, conditions={"typev4": ("static", "dhcp")}),
    "subnet": _i(required=True, minimum=1, maximum=32, conditions={"typev4": ("static",)}),
    "gateway": _s(default=None, nullable=True, conditions={"typev4": ("static",)}),
    "typev6": _s(default="none", nullable=True, choices=_TYPEV6),
    "ipaddrv6": _s(required=True, conditions={"typev6": _TYPEV6[:-1]}),
    "subnetv6": _i(required=True, minimum=1, maximum=128, conditions={"typev6": ("staticv6",)}),
    "gatewayv6": _s(default=None, nullable=True, conditions={"typev6": ("staticv6",)}),
}

DHCP_SERVER = {
    # required on create, where it names the interface (and so the id) of the new server; never
    # stored (`representation_only`), shown from the id
    "interface": Field(INTERFACE, required=True),
    "enable": _b(),
    "range_from": _s(maximum_length=15),
    "range_to": _s(maximum_length=15),
    "domain": _s(maximum_length=255),
    "failover_peerip": _s(maximum_length=255),
    "mac_allow": _many(maximum_length=17),
    "mac_deny": _many(maximum_length=17),
    "domainsearchlist": _many(maximum_length=255),
    "defaultleasetime": _i(default=7200, nullable=True, minimum=60),
    "maxleasetime": _i(default=86400, nullable=True, minimum=60),
    "gateway": _s(maximum_length=15),
    "dnsserver": _many(many_maximum=4, maximum_length=15),
    "winsserver": _many(many_maximum=2, maximum_length=15),
    "ntpserver": _many(many_maximum=4, maximum_length=256),
    "staticarp": _b(),
    "ignorebootp": _b(),
    "ignoreclientuids": _b(),
    "nonak": _b(),
    "disablepingcheck": _b(),
    "dhcpleaseinlocaltime": _b(),
    "statsgraph": _b(),
    "denyunknown": _s(
        default=None, nullable=True, allow_empty=True, choices=("enabled", "class", "")
    ),
}

STATIC_MAPPING = {
    "mac": _s(required=True),
    "ipaddr": _s(default=None, nullable=True, allow_empty=True),
    "cid": _s(default=None, nullable=True, allow_empty=True),
    "hostname": _s(default=None, nullable=True, allow_empty=True),
    "domain": _s(maximum_length=255),
    "domainsearchlist": _many(maximum_length=255),
    "defaultleasetime": _i(default=7200, nullable=True, minimum=60),
    "maxleasetime": _i(default=86400, nullable=True, minimum=60),
    "gateway": _s(maximum_length=15),
    "dnsserver": _many(many_maximum=4, maximum_length=15),
    "winsserver": _many(many_maximum=2, maximum_length=15),
    "ntpserver": _many(many_maximum=3, maximum_length=256),
    "arp_table_static_entry": _b(),
    "descr": _s(maximum_length=255),
}

_PORTED = {"protocol": ("tcp", "udp", "tcp/udp")}
_TCP_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr")
_ICMP_TYPES = (
    "any", "althost", "dataconv", "echorep", "echoreq", "inforep", "inforeq", "ipv6-here",
    "ipv6-where", "maskrep", "maskreq", "mobredir", "mobregrep", "mobregreq", "paramprob",
    "photuris", "redir", "routeradv", "routersol", "skip", "squench", "timerep", "timereq",
    "timex", "trace", "unreach",
)  # fmt: skip
_DSCP = (
    "", "af11", "af12", "af13", "af21", "af22", "af23", "af31", "af32", "af33", "af41", "af42",
    "af43", "VA", "EF", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "0x01", "0x02", "0x04",
)  # fmt: skip
FIREWALL_RULE = {
    "type": _s(required=True, default=None, choices=("pass", "block", "reject")),
    "interface": Field(INTERFACE, required=True, many=True, default=None),
    "ipprotocol": _s(required=True, default=None, choices=("inet", "inet6", "inet46")),
    "protocol": _s(
        default=None,
        nullable=True,
        choices=(
            "tcp",
            "udp",
            "tcp/udp",
            "icmp",
            "esp",
            "ah",
            "gre",
            "ipv6",
            "igmp",
            "pim",
            "ospf",
            "carp",
            "pfsync",
        ),
    ),  # fmt: skip
    "icmptype": _many(default=["any"], choices=_ICMP_TYPES, conditions={"protocol": ("icmp",)}),
    "source": Field(FILTER_ADDRESS, required=True),
    "source_port": _s(default=None, nullable=True, conditions=_PORTED),
    "destination": Field(FILTER_ADDRESS, required=True),
    "destination_port": _s(default=None, nullable=True, conditions=_PORTED),
    "descr": _s(),
    "disabled": _b(),
    "log": _b(),
    "dscp": _s(choices=_DSCP),
    "tag": _s(),  # allow_empty, like `descr` and `dscp`
    "statetype": _s(
        default="keep state", choices=("keep state", "sloppy state", "synproxy state", "none")
    ),
    "tcp_flags_any": _b(),
    "tcp_flags_out_of": _many(default=None, nullable=True, choices=_TCP_FLAGS),
    "tcp_flags_set": _many(default=None, nullable=True, choices=_TCP_FLAGS),
    "gateway": _s(default=None, nullable=True),
    "sched": _s(default=None, nullable=True),
    "dnpipe": _s(default=None, nullable=True),
    "pdnpipe": _s(default=None, nullable=True),
    "defaultqueue": _s(default=None, nullable=True),
    "ackqueue": _s(default=None, nullable=True),
    "floating": _b(editable=False),
    "quick": _b(conditions={"floating": (True,)}),
    "direction": _s(default="any", choices=("any", "in", "out"), conditions={"floating": (True,)}),
    "tracker": _i(read_only=True),
    "associated_rule_id": _s(default=None, nullable=True, read_only=True),
    "created_time": _i(read_only=True),
    "created_by": _s(read_only=True),
    "updated_time": _i(read_only=True),
    "updated_by": _s(read_only=True),
}

ONE_TO_ONE_NAT = {
    "interface": Field(INTERFACE, required=True),
    "disabled": _b(),
    "nobinat": _b(),
    "natreflection": _s(default=None, nullable=True, choices=("enable", "disable")),
    "ipprotocol": _s(default="inet", choices=("inet", "inet6")),
    "external": Field(FILTER_ADDRESS, required=True, address=frozenset({"ipaddr", "interface_ip"})),
    "source": Field(FILTER_ADDRESS, required=True, address=ADDRESS_OPTIONS - {"alias", "self"}),
    "destination": Field(FILTER_ADDRESS, required=True, address=ADDRESS_OPTIONS - {"self"}),
    "descr": _s(),
}

VIRTUAL_IP = {
    "uniqid": _s(read_only=True),
    "mode": _s(required=True, default=None, choices=("ipalias", "proxyarp", "carp", "other")),
    "interface": Field(INTERFACE, required=True),
    "type": _s(default="single", choices=("single", "network")),
    "subnet": _s(required=True, default=None),
    "subnet_bits": _i(required=True, minimum=1, maximum=128),
    "descr": _s(),
    "noexpand": _b(conditions={"mode": ("proxyarp", "other")}),
    "vhid": _i(required=True, minimum=1, maximum=255, conditions={"mode": ("carp",)}),
    "advbase": _i(default=1, minimum=1, maximum=254, conditions={"mode": ("carp",)}),
    "advskew": _i(default=0, minimum=0, maximum=254, conditions={"mode": ("carp",)}),
    "password": _s(required=True, default=None, conditions={"mode": ("carp",)}),
    "carp_mode": _s(default="mcast", choices=("mcast", "ucast"), conditions={"mode": ("carp",)}),
}

# Parameters every write may carry besides the model's fields (COMMON_CONTROL_PARAMETERS).
CONTROL_PARAMETERS = {
    "id": None,
    "parent_id": None,
    "apply": bool,
    "async": bool,
    "placement": int,
    "append": bool,
    "remove": bool,
    "sort_by": None,
    "sort_order": str,
    "sort_flags": str,
}


# `Models/RESTAPISettings.inc`: the package's defaults. `auth_methods` is BasicAuth alone, so an
# `X-API-Key` is refused (401) until an administrator adds KeyAuth; interfaces are represented (in
# answers, and in what a client may send) by their description.
AUTH_METHODS = ("BasicAuth", "KeyAuth", "JWTAuth")
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
    "auth_methods": ["BasicAuth"],  # API keys work only once `KeyAuth` is added
    "jwt_exp": 3600,
}
