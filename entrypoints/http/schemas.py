"""JSON Schemas of the request bodies: they validate requests and they are the OpenAPI document."""

from __future__ import annotations

from typing import Any

from domain.model.accounts import PASSWORD_MAX, PASSWORD_MIN
from domain.model.firewall import MAX_DESCRIPTION, MAX_RULES, PROTOCOLS
from domain.model.money import MAX_UNITS

Schema = dict[str, Any]

ID: Schema = {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}
# Every free text a client sends. NUL is refused here, once: PostgreSQL's text cannot hold it, and a
# field that takes it in the sandbox must refuse it in production too (a field with a stricter
# pattern of its own, an e-mail or a snapshot name, excludes it there).
NO_NUL = r"^[^\x00]*$"


def text(min_length: int = 0, max_length: int | None = None, **extra: Any) -> Schema:
    bounds = {"minLength": min_length} if min_length else {}
    if max_length is not None:
        bounds["maxLength"] = max_length
    return {"type": "string", **bounds, "pattern": NO_NUL, **extra}


def trimmed(min_length: int, max_length: int, **extra: Any) -> Schema:
    """Text the domain takes with the white space around it stripped: `min_length` counts what is
    left, so the pattern asks for that many characters from the first visible one to the last."""
    return {
        "type": "string",
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": _TRIMMED[min_length],
        **extra,
    }


# The white space Python's str.strip() takes off, spelled out: `\s` means other characters to the
# JSON Schema (ECMA-262) patterns generators read than to Python's re.
WS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_TRIMMED = {
    1: rf"^[{WS}]*[^{WS}\x00](?:[^\x00]*[^{WS}\x00])?[{WS}]*$",
    3: rf"^[{WS}]*[^{WS}\x00][^\x00]+[^{WS}\x00][{WS}]*$",
}


# Money as the API shows it: a decimal string of micro-unit precision.
DECIMAL: Schema = {
    "type": "string",
    "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$",
    "maxLength": 24,
    "examples": ["100.00"],
}
# Money a client sends: positive, at most MAX_UNITS (domain.model.money) whole units, so that every
# amount and sums of many of them fit the micro-unit bigint the ledger keeps. The pattern is made
# from MAX_UNITS, a power of ten: fewer digits than it, or it exactly.
_UNIT_DIGITS = len(str(MAX_UNITS)) - 1
assert MAX_UNITS == 10**_UNIT_DIGITS, "AMOUNT's pattern needs MAX_UNITS to be a power of ten"
AMOUNT: Schema = {
    "type": "string",
    "pattern": rf"^(?:[1-9][0-9]{{0,{_UNIT_DIGITS - 1}}}(?:\.[0-9]{{1,6}})?"
    rf"|{MAX_UNITS}(?:\.0{{1,6}})?"
    r"|0\.(?:[1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}"
    r"|0000[1-9][0-9]?|00000[1-9]))$",
    "maxLength": 20,
    "description": f"a positive decimal string, at most {MAX_UNITS:,} with six places",
    "examples": ["100.00"],
}
TIME: Schema = {"type": "string", "format": "date-time", "maxLength": 40}
# A moment a client sends: RFC 3339 with its offset, in the years 1900..2999 (a promo code valid
# from 1454 is a typo, and years near 1 or 9999 leave Python's range once moved to UTC).
SENT_TIME: Schema = {
    **TIME,
    "pattern": r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
}

# A refusal the validator reports in the domain's words: `x-error` is what is wrong with the field,
# `x-error-field` the field when the failing keyword sits above it (a `not` over the whole body).
# Both are OpenAPI extensions, which JSON Schema validators and generators ignore.


def obj(properties: dict[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


# The domain's rule for an address (domain.model.accounts), with no spaces, control characters or
# invisible formatting (zero-width, bidirectional marks) either: they would make one address look
# like another.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL: Schema = {
    "type": "string",
    "minLength": 3,
    "maxLength": 254,
    "pattern": r"^[^@\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    rf"\u2060-\u206f\ufeff]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$",
    "x-error": "is not a valid e-mail address",
    "examples": ["ann@example.com"],
}

# Logging in (and proving the current password) takes any password: a wrong one is a 401. A new
# password (registering, changing, resetting) states the policy's length.
PASSWORD: Schema = text(1, PASSWORD_MAX)
NEW_PASSWORD: Schema = text(
    PASSWORD_MIN,
    PASSWORD_MAX,
    **{"x-error": f"must be at least {PASSWORD_MIN} and at most {PASSWORD_MAX} characters"},
)
CREDENTIALS = obj({"email": EMAIL, "password": PASSWORD}, ("email", "password"))
REGISTRATION = obj({"email": EMAIL, "password": NEW_PASSWORD}, ("email", "password"))
PASSWORD_CHANGE = obj(
    {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}, ("currentPassword", "newPassword")
)
RESET_REQUEST = obj({"email": EMAIL}, ("email",))
RESET_CONFIRM = obj(
    {"token": text(1, 200), "password": NEW_PASSWORD},
    ("token", "password"),
)

TOKEN_CREATE = obj(
    {
        "name": trimmed(1, 100),
        "expiresInDays": {"type": "integer", "minimum": 1, "maximum": 3650},
    },
    ("name",),
)

_ORDER_FIELDS: dict[str, Schema] = {
    "osId": ID,
    "locationId": ID,
    "tariffId": ID,
    "cores": {"type": "integer", "minimum": 1, "maximum": 1024},
    "memory": {"type": "integer", "minimum": 1, "maximum": 16_777_216, "description": "MiB"},
    "disk": {"type": "integer", "minimum": 1, "maximum": 1_048_576, "description": "GiB"},
    # Empty or null: no code.
    "promoCode": {
        "type": ["string", "null"],
        "maxLength": 60,
        "pattern": rf"^([{WS}]*[A-Za-z0-9][A-Za-z0-9_-]{{2,39}}[{WS}]*)?$",
    },
}
_CONFIG = ("cores", "memory", "disk")
# An order names a tariff, or a location with cores, memory and disk: never both, never neither.
_TARIFF_OR_CONFIG: Schema = {
    "dependentSchemas": {
        "tariffId": {
            "not": {"anyOf": [{"required": [field]} for field in _CONFIG]},
            "x-error-field": "tariffId",
            "x-error": "cannot be combined with cores, memory or disk",
        }
    },
    "if": {"not": {"required": ["tariffId"]}},
    "then": {
        "required": ["locationId", *_CONFIG],
        "x-error": "is required when no tariffId is given",
    },
}
QUOTE = obj(_ORDER_FIELDS, ("osId",), **_TARIFF_OR_CONFIG)
ORDER = obj(
    {
        **_ORDER_FIELDS,
        "quoteId": text(1, 2000),
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 63,
            "pattern": r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
            "description": "a hostname: lower-case letters, digits and '-'",
            "x-error": "must be a hostname: lower-case letters, digits and '-', at most 63",
        },
    },
    ("osId",),
    **_TARIFF_OR_CONFIG,
)

RESIZE = obj(
    {
        "cores": _ORDER_FIELDS["cores"],
        "memory": _ORDER_FIELDS["memory"],
        "disk": _ORDER_FIELDS["disk"],
    },
    minProperties=1,
)

# The domain's rule for a snapshot name: the document tells clients (and generators) what fits.
SNAPNAME: Schema = {
    "type": "string",
    "minLength": 2,
    "maxLength": 40,
    "pattern": r"^[A-Za-z][A-Za-z0-9_-]{1,39}$",
}

SNAPSHOT_CREATE = obj(
    {"snapname": SNAPNAME, "description": text(0, 255)},
    ("snapname",),
)
SNAPSHOT_NAME = obj({"snapname": SNAPNAME}, ("snapname",))
# The server by its id, or by its vmid (the seed's body): one of them, never both.
CONSOLE = obj(
    {"vmid": ID, "serverId": ID},
    dependentSchemas={
        "vmid": {
            "not": {"required": ["serverId"]},
            "x-error-field": "serverId",
            "x-error": "cannot be combined with vmid",
        }
    },
    **{
        "if": {"not": {"required": ["vmid"]}},
        "then": {"required": ["serverId"], "x-error": "is required when no vmid is given"},
    },
)
# The domain's rule for a code (compared upper-cased): checked here so that an error names `code`,
# the field the client sent.
PROMO_CODE: Schema = {
    "type": "string",
    "minLength": 3,
    "maxLength": 60,
    "pattern": rf"^[{WS}]*[A-Za-z0-9][A-Za-z0-9_-]{{2,39}}[{WS}]*$",
}
REDEEM = obj({"code": PROMO_CODE}, ("code",))
ADJUST = obj(
    {"amount": AMOUNT, "reason": trimmed(3, 500)},
    ("amount", "reason"),
)
# The Idempotency-Key header as the routes that take one document it.
IDEMPOTENCY_KEY: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^[!-~]+$",
}

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
# Null is the same as absent, so that the rules GET shows (icmp's ports are null) can be sent back.
PORT: Schema = {"type": ["integer", "null"], "minimum": 1, "maximum": 65535}
FIREWALL_RULE = obj(
    {
        "protocol": {"enum": list(PROTOCOLS)},
        "fromPort": {**PORT, "description": "required with tcp and udp, null with icmp"},
        "toPort": {**PORT, "description": "the end of a port range; null: fromPort alone"},
        "source": {
            "type": "string",
            "maxLength": 64,
            "pattern": rf"^[{WS}]*{_OCTET}(\.{_OCTET}){{3}}(/([0-9]|[12][0-9]|3[0-2]))?[{WS}]*$",
            "description": "an IPv4 address or a CIDR network with no host bits; absent: anyone",
            "examples": ["203.0.113.0/24"],
            "x-error": "must be an IPv4 address or network in CIDR form, such as 203.0.113.0/24",
        },
        "description": text(0, MAX_DESCRIPTION),
    },
    ("protocol",),
    # Ports go with tcp and udp (fromPort required), never with icmp.
    **{
        "allOf": [
            {
                "if": {"properties": {"protocol": {"const": "icmp"}}, "required": ["protocol"]},
                "then": {
                    "properties": {
                        name: {"type": "null", "x-error": "is not used with icmp"}
                        for name in ("fromPort", "toPort")
                    }
                },
            },
            {
                "if": {
                    "properties": {"protocol": {"enum": ["tcp", "udp"]}},
                    "required": ["protocol"],
                },
                "then": {
                    "required": ["fromPort"],
                    "properties": {
                        "fromPort": {"type": "integer", "x-error": "is required with tcp and udp"}
                    },
                    "x-error": "is required with tcp and udp",
                },
            },
        ]
    },
)
# The count limit is the domain's to report (its message says what the limit is); the document
# states it for clients.
FIREWALL = obj(
    {
        "rules": {
            "type": "array",
            "items": FIREWALL_RULE,
            "description": f"every inbound rule of the server, at most {MAX_RULES}; [] closes all",
        }
    },
    ("rules",),
)

PROMO = obj(
    {
        "code": PROMO_CODE,
        "kind": {"enum": ["percent", "fixed", "bonus"]},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "amount": {"oneOf": [AMOUNT, {"type": "null"}]},
        "duration": {"enum": ["first_charge", "days", "forever"]},
        "durationDays": {"type": "integer", "minimum": 0, "maximum": 3650},
        "validFrom": {"oneOf": [SENT_TIME, {"type": "null"}]},
        "validUntil": {"oneOf": [SENT_TIME, {"type": "null"}]},
        "maxUses": {
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": 1_000_000_000}, {"type": "null"}]
        },
        "maxUsesPerCustomer": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "tariffIds": {"type": "array", "items": ID, "maxItems": 100, "uniqueItems": True},
        "locationIds": {"type": "array", "items": ID, "maxItems": 100, "uniqueItems": True},
        "active": {"type": "boolean"},
    },
    ("code", "kind"),
    # The domain's rules of a code (domain.model.promo), where one field's value decides another's.
    allOf=[
        {
            "if": {"properties": {"kind": {"const": "percent"}}, "required": ["kind"]},
            "then": {
                "required": ["percent"],
                "properties": {"percent": {"minimum": 1, "x-error": "must be between 1 and 100"}},
            },
        },
        {
            "if": {"properties": {"kind": {"enum": ["fixed", "bonus"]}}, "required": ["kind"]},
            "then": {
                "required": ["amount"],
                "properties": {
                    "amount": {**AMOUNT, "x-error": "must be a positive amount"},
                    "duration": {
                        "const": "first_charge",
                        "x-error": "only a percent discount can last beyond the first charge",
                    },
                },
            },
        },
        {
            "if": {"properties": {"duration": {"const": "days"}}, "required": ["duration"]},
            "then": {
                "required": ["durationDays"],
                "properties": {
                    "durationDays": {
                        "minimum": 1,
                        "x-error": "must be positive for a discount that lasts days",
                    }
                },
            },
        },
    ],
)

# --- responses (for the OpenAPI document) --------------------------------------------------------

MONEY: Schema = {
    "type": "object",
    "required": ["amount", "currency"],
    "properties": {"amount": DECIMAL, "currency": {"type": "string"}},
}
ERROR: Schema = {
    "type": "object",
    "required": ["error", "code", "details"],
    "properties": {
        "error": {"type": "string"},
        "code": {"type": "string"},
        "details": {"type": "object"},
    },
}
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
NULLABLE_STR: Schema = {"type": ["string", "null"]}

SERVER: Schema = {
    "type": "object",
    "required": [
        "id",
        "userId",
        "tariffId",
        "osId",
        "status",
        "proxmoxId",
        "ipAddress",
        "createdAt",
        "updatedAt",
        "os",
        "tariff",
    ],
    "properties": {
        "id": {"type": "integer"},
        "userId": {"type": "integer"},
        "tariffId": NULLABLE_INT,
        "osId": {"type": "integer"},
        "locationId": {"type": "integer"},
        "name": {"type": "string"},
        "status": {
            "enum": [
                "creating",
                "running",
                "stopped",
                "suspended",
                "rebuilding",
                "deleting",
                "deleted",
                "failed",
            ]
        },
        "proxmoxId": NULLABLE_INT,
        "ipAddress": NULLABLE_STR,
        "createdAt": TIME,
        "updatedAt": TIME,
        "hourly": MONEY,
        "monthly": MONEY,
        "os": {"type": "object"},
        "tariff": {"type": ["object", "null"]},
    },
}
ACTION: Schema = {
    "type": "object",
    "required": ["id", "serverId", "command", "status", "progress", "startedAt"],
    "properties": {
        "id": {"type": "integer"},
        "serverId": {"type": "integer"},
        "command": {"type": "string"},
        "status": {"enum": ["running", "success", "error"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "startedAt": TIME,
        "finishedAt": {"type": ["string", "null"]},
        "error": {"type": ["object", "null"]},
    },
}
ACCEPTED: Schema = {
    "type": "object",
    "required": ["status", "taskId"],
    "properties": {
        "status": {"type": "string"},
        "action": {"type": "string"},
        "taskId": {"type": "integer"},
    },
}
QUOTE_RESPONSE: Schema = {
    "type": "object",
    "required": ["quoteId", "expiresAt", "hourly", "monthly", "discount", "firstCharge"],
    "properties": {
        "quoteId": {"type": "string"},
        "expiresAt": TIME,
        "hourly": MONEY,
        "monthly": MONEY,
        "discount": MONEY,
        "firstCharge": MONEY,
    },
}
FIREWALL_VIEW: Schema = {
    "type": "object",
    "required": ["rules", "applied", "default"],
    "properties": {
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["protocol", "fromPort", "toPort", "source", "description"],
                "properties": {
                    "protocol": {"enum": list(PROTOCOLS)},
                    "fromPort": NULLABLE_INT,
                    "toPort": NULLABLE_INT,
                    "source": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
        "applied": {"type": "boolean"},
        "default": {"type": "boolean"},
    },
}
PAGE: Schema = {
    "type": "object",
    "required": ["data", "meta"],
    "properties": {"data": {"type": "array"}, "meta": {"type": "object"}},
}
ANY_OBJECT: Schema = {"type": "object"}
# Only its shape is checked here: the catalogue's reader lists every problem at once, each naming
# its place, which a schema validator (first error only) would not.
CATALOGUE_DOCUMENT: Schema = {
    "type": "object",
    "description": "The catalogue as `hostprovider catalog export` writes it, in JSON: currency, "
    "limits, locations (with rates), images, tariffs; see deploy/catalogue.example.toml",
    "properties": {
        "version": {"type": "integer", "description": "the version this was edited from"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "limits": {"type": "object"},
        "locations": {"type": "array", "items": {"type": "object"}},
        "images": {"type": "array", "items": {"type": "object"}},
        "tariffs": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}
ANY_ARRAY: Schema = {"type": "array"}
