"""Request schemas whose fields' rules depend on one another: a firewall rule (ports go with tcp
and udp, never with icmp) and a promo code (what a kind needs). They validate requests and they are
the OpenAPI document, as schemas.py's."""

from __future__ import annotations

from domain.model.firewall import MAX_DESCRIPTION, MAX_RULES, PROTOCOLS
from entrypoints.http.schemas import AMOUNT, ID, PROMO_CODE, SENT_TIME, WS, Schema, obj, text

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
