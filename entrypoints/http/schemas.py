"""JSON Schemas of the request bodies: they validate requests and they are the OpenAPI document."""

from __future__ import annotations

from typing import Any

from domain.model import values as v
from domain.model.credentials import (
    EMAIL_MAX,
    EMAIL_MIN,
    EMAIL_PATTERN,
    EMAIL_RULE,
    NEW_PASSWORD_RULE,
    PASSWORD_MAX,
    PASSWORD_MIN,
)
from domain.model.money import MAX_UNITS, MONEY_TEXT_MAX, MONEY_TEXT_PATTERN
from domain.model.scopes import Scope
from domain.model.server_commands import SNAPSHOT_DESCRIPTION_MAX

Schema = dict[str, Any]

ID: Schema = {"type": "integer", "minimum": v.ID_MIN, "maximum": v.ID_MAX}
# Every free text a client sends refuses NUL (a field with a stricter pattern of its own, an e-mail
# or a snapshot name, excludes it there).
NO_NUL = v.NO_NUL_PATTERN


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
        "pattern": v.trimmed_pattern(min_length),
        **extra,
    }


WS = v.WHITE_SPACE


# Money as the API shows it: a decimal string of micro-unit precision.
DECIMAL: Schema = {
    "type": "string",
    "pattern": MONEY_TEXT_PATTERN,
    "maxLength": MONEY_TEXT_MAX,
    "examples": ["100.00"],
}
# Money a client sends (domain.model.values.Amount): positive, and within what the ledger keeps.
AMOUNT: Schema = {
    "type": "string",
    "pattern": v.AMOUNT_PATTERN,
    "maxLength": v.AMOUNT_MAX_LENGTH,
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


# The domain's rule for an address (domain.model.credentials.EmailAddress).
EMAIL: Schema = {
    "type": "string",
    "minLength": EMAIL_MIN,
    "maxLength": EMAIL_MAX,
    "pattern": EMAIL_PATTERN,
    "x-error": EMAIL_RULE,
    "examples": ["ann@example.com"],
}

# Logging in (and proving the current password) takes any password: a wrong one is a 401. A new
# password (registering, changing, resetting) states the policy's length.
PASSWORD: Schema = text(1, PASSWORD_MAX)
NEW_PASSWORD: Schema = text(PASSWORD_MIN, PASSWORD_MAX, **{"x-error": NEW_PASSWORD_RULE})
# Two-factor login (issue 17): the app's six digits, or a recovery code as xxxx-xxxx-xxxx.
ONE_TIME_CODE: Schema = {
    "type": "string",
    "minLength": 6,
    "maxLength": 40,
    "pattern": r"^[0-9A-Za-z -]+$",
    "examples": ["123456"],
}
TWO_FACTOR_CODE = obj({"code": ONE_TIME_CODE}, ("code",))
CREDENTIALS = obj(
    {"email": EMAIL, "password": PASSWORD, "totp": ONE_TIME_CODE}, ("email", "password")
)
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
        "name": trimmed(v.TOKEN_NAME_MIN, v.TOKEN_NAME_MAX),
        "expiresInDays": {"type": "integer", "minimum": 1, "maximum": 3650},
        "scopes": {
            "type": "array",
            "items": {"enum": [scope.value for scope in Scope]},
            "minItems": 1,
            "maxItems": len(Scope),
            "uniqueItems": True,
            "description": "what the token may do; `*` (the default) is full access",
        },
    },
    ("name",),
)

_ORDER_FIELDS: dict[str, Schema] = {
    "osId": ID,
    "locationId": ID,
    "tariffId": ID,
    "cores": {"type": "integer", "minimum": v.CORES_MIN, "maximum": v.CORES_MAX},
    "memory": {
        "type": "integer",
        "minimum": v.MEMORY_MIB_MIN,
        "maximum": v.MEMORY_MIB_MAX,
        "description": "MiB",
    },
    "disk": {
        "type": "integer",
        "minimum": v.DISK_GIB_MIN,
        "maximum": v.DISK_GIB_MAX,
        "description": "GiB",
    },
    # Empty or null: no code.
    "promoCode": {
        "type": ["string", "null"],
        "maxLength": v.PROMO_CODE_MAX,
        "pattern": f"^$|{v.PROMO_CODE_PATTERN}",
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
            "maxLength": v.HOSTNAME_MAX,
            "pattern": v.HOSTNAME_PATTERN,
            "description": "a hostname: lower-case letters, digits and '-'",
            "x-error": v.HOSTNAME_RULE,
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
    "minLength": v.SNAPSHOT_NAME_MIN,
    "maxLength": v.SNAPSHOT_NAME_MAX,
    "pattern": v.SNAPSHOT_NAME_PATTERN,
}

SNAPSHOT_CREATE = obj(
    {"snapname": SNAPNAME, "description": text(0, SNAPSHOT_DESCRIPTION_MAX)},
    ("snapname",),
)
SNAPSHOT_NAME = obj({"snapname": SNAPNAME}, ("snapname",))
CONSOLE = obj({"vmid": ID}, ("vmid",))
# The domain's rule for a code (compared upper-cased): checked here so that an error names `code`,
# the field the client sent.
PROMO_CODE: Schema = {
    "type": "string",
    "minLength": v.PROMO_CODE_MIN,
    "maxLength": v.PROMO_CODE_MAX,
    "pattern": v.PROMO_CODE_PATTERN,
}
REDEEM = obj({"code": PROMO_CODE}, ("code",))
ADJUST = obj(
    {"amount": AMOUNT, "reason": trimmed(v.REASON_MIN, v.REASON_MAX)},
    ("amount", "reason"),
)
# The Idempotency-Key header as the routes that take one document it.
IDEMPOTENCY_KEY: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^[!-~]{1,255}$",  # what entrypoints/http/idempotency.py takes
}
