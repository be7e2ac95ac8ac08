"""Schemas of the responses, for the OpenAPI document (requests are schemas.py's)."""

from __future__ import annotations

from domain.model.firewall import PROTOCOLS
from domain.model.money import CURRENCY_PATTERN
from domain.model.server import COMMANDS
from entrypoints.http.schemas import DECIMAL, TIME, Schema

MONEY: Schema = {
    "type": "object",
    "required": ["amount", "exact", "currency"],
    "properties": {
        "amount": {**DECIMAL, "description": "rounded half up to kopecks (a rate: six places)"},
        "exact": {**DECIMAL, "description": "to the micro-unit (six places)"},
        "currency": {"type": "string"},
    },
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
        "pendingPrice": {
            "type": ["object", "null"],
            "description": "the price from `startsAt` (the next month) after a rebuild onto an "
            "image with another licence; `hourly` and `monthly` are billed until then",
            "required": ["hourly", "monthly", "startsAt"],
            "properties": {"hourly": MONEY, "monthly": MONEY, "startsAt": TIME},
        },
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
        "command": {"enum": [command.value for command in COMMANDS]},  # the server commands' table
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
        "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
        "limits": {"type": "object"},
        "locations": {"type": "array", "items": {"type": "object"}},
        "images": {"type": "array", "items": {"type": "object"}},
        "tariffs": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}
ANY_ARRAY: Schema = {"type": "array"}
