"""JSON Schemas of the request bodies: they validate requests and they are the OpenAPI document."""

from __future__ import annotations

from typing import Any

from domain.model.firewall import MAX_DESCRIPTION, MAX_RULES, PROTOCOLS

Schema = dict[str, Any]

ID: Schema = {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}
DECIMAL: Schema = {
    "type": "string",
    "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$",
    "maxLength": 24,
    "examples": ["100.00"],
}
TIME: Schema = {"type": "string", "format": "date-time", "maxLength": 40}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


# No spaces, control characters or invisible formatting (zero-width, bidirectional marks) in an
# e-mail address: they would make one address look like another.
EMAIL: Schema = {
    "type": "string",
    "minLength": 3,
    "maxLength": 254,
    "pattern": r"^[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff]+$",
}

PASSWORD: Schema = {"type": "string", "minLength": 1, "maxLength": 256}
CREDENTIALS = obj({"email": EMAIL, "password": PASSWORD}, ("email", "password"))
PASSWORD_CHANGE = obj(
    {"currentPassword": PASSWORD, "newPassword": PASSWORD}, ("currentPassword", "newPassword")
)
RESET_REQUEST = obj({"email": EMAIL}, ("email",))
RESET_CONFIRM = obj(
    {"token": {"type": "string", "minLength": 1, "maxLength": 200}, "password": PASSWORD},
    ("token", "password"),
)

TOKEN_CREATE = obj(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
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
    "promoCode": {"type": ["string", "null"], "maxLength": 40},
}
QUOTE = obj(_ORDER_FIELDS, ("osId",))
ORDER = obj(
    {
        **_ORDER_FIELDS,
        "quoteId": {"type": "string", "minLength": 1, "maxLength": 2000},
        "name": {"type": "string", "minLength": 1, "maxLength": 63},
    },
    ("osId",),
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
    {"snapname": SNAPNAME, "description": {"type": "string", "maxLength": 255}},
    ("snapname",),
)
SNAPSHOT_NAME = obj({"snapname": SNAPNAME}, ("snapname",))
CONSOLE = obj({"vmid": ID}, ("vmid",))
# The domain's rule for a code (compared upper-cased): checked here so that an error names `code`,
# the field the client sent.
PROMO_CODE: Schema = {
    "type": "string",
    "minLength": 3,
    "maxLength": 60,
    "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9_-]{2,39}\s*$",
}
REDEEM = obj({"code": PROMO_CODE}, ("code",))
ADJUST = obj(
    {"amount": DECIMAL, "reason": {"type": "string", "minLength": 3, "maxLength": 500}},
    ("amount", "reason"),
)

# Null is the same as absent, so that the rules GET shows (icmp's ports are null) can be sent back.
PORT: Schema = {"type": ["integer", "null"], "minimum": 1, "maximum": 65535}
FIREWALL_RULE = obj(
    {
        "protocol": {"enum": list(PROTOCOLS)},
        "fromPort": {**PORT, "description": "required with tcp and udp, null with icmp"},
        "toPort": {**PORT, "description": "the end of a port range; null: fromPort alone"},
        "source": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "an address or a CIDR network; absent: anyone",
            "examples": ["203.0.113.0/24"],
        },
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    },
    ("protocol",),
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
        "amount": {"oneOf": [DECIMAL, {"type": "null"}]},
        "duration": {"enum": ["first_charge", "days", "forever"]},
        "durationDays": {"type": "integer", "minimum": 0, "maximum": 3650},
        "validFrom": {"oneOf": [TIME, {"type": "null"}]},
        "validUntil": {"oneOf": [TIME, {"type": "null"}]},
        "maxUses": {
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": 1_000_000_000}, {"type": "null"}]
        },
        "maxUsesPerCustomer": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "tariffIds": {"type": "array", "items": ID, "maxItems": 100, "uniqueItems": True},
        "locationIds": {"type": "array", "items": ID, "maxItems": 100, "uniqueItems": True},
        "active": {"type": "boolean"},
    },
    ("code", "kind"),
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
        "currency": {"type": "string"},
        "limits": {"type": "object"},
        "locations": {"type": "array", "items": {"type": "object"}},
        "images": {"type": "array", "items": {"type": "object"}},
        "tariffs": {"type": "array", "items": {"type": "object"}},
    },
}
ANY_ARRAY: Schema = {"type": "array"}
