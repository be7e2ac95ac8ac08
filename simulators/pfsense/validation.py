"""Field-level validation of a write against a model's field table.

`clean()` turns a request body into the stored object: defaults on create, merge on update, type,
choice and requirement checks, conditional fields dropped when their condition is unmet (the
package drops them silently). Breaking the schema (an unknown field, a missing required one, a
wrong type, a bad choice) raises an `ApiError` flagged as a violation, so the simulator records it;
value checks (ranges, lengths, address formats) are plain 400s, as a well-formed request with bad
data is something the client must expect.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from .envelope import invalid, schema_violation
from .schema import BOOLEAN, CONTROL_PARAMETERS, FILTER_ADDRESS, INTEGER, INTERFACE, Field

MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")

InterfaceResolver = Callable[[str], "str | None"]


def clean(
    schema: Mapping[str, Field],
    body: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    resolve_interface: InterfaceResolver | None = None,
) -> dict[str, Any]:
    """The object to store for a create (`existing` None) or an update of `existing`.

    In the order of `Core/Field.inc` validate(): conditions (an unmet one drops the field), a
    required field without a value (FIELD_IS_REQUIRED), a changed non-editable field
    (FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE), then type, choice and emptiness
    (FIELD_EMPTY_NOT_ALLOWED: "" and [] are values, not missing ones)."""
    unknown = sorted(k for k in body if k not in schema and k not in CONTROL_PARAMETERS)
    if unknown:
        raise schema_violation(
            "SIMULATOR_UNKNOWN_FIELD",
            f"Field(s) {', '.join(unknown)} are not fields of this endpoint.",
        )
    creating = existing is None
    result: dict[str, Any] = (
        {name: _default(f) for name, f in schema.items()} if creating else dict(existing or {})
    )
    for name, value in body.items():
        spec = schema.get(name)
        if spec is None or spec.read_only:
            continue  # control parameter, or a field the package ignores on a write
        checked = _checked(name, spec, value, resolve_interface)
        if not creating and not spec.editable and checked != result.get(name):
            raise schema_violation(
                "FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE",
                f"Field `{name}` is not editable but the requested value `{value}` differs from "
                f"its current value `{result.get(name)}`.",
            )
        result[name] = checked
    for name, spec in schema.items():
        if not _condition_met(spec, result):
            result[name] = None
            continue
        if spec.read_only:
            continue
        if spec.required and result.get(name) is None:
            raise schema_violation("FIELD_IS_REQUIRED", f"Field `{name}` is required.")
        if result.get(name) in ("", []) and not spec.empty_allowed:
            raise invalid("FIELD_EMPTY_NOT_ALLOWED", f"Field `{name}` cannot be empty.")
    return result


def _default(spec: Field) -> Any:
    value = spec.default
    return list(value) if isinstance(value, list) else value


def _condition_met(spec: Field, obj: Mapping[str, Any]) -> bool:
    return all(obj.get(other) in allowed for other, allowed in spec.conditions.items())


def _checked(name: str, spec: Field, value: Any, resolve: InterfaceResolver | None) -> Any:
    if value is None:
        if spec.nullable or not spec.required:
            return None
        raise schema_violation("FIELD_IS_REQUIRED", f"Field `{name}` is required.")
    if spec.many:
        if not isinstance(value, list):
            raise schema_violation(
                "FIELD_INVALID_MANY_VALUE", f"Field `{name}` must be an array of values."
            )
        if spec.many_maximum is not None and len(value) > spec.many_maximum:
            raise invalid(
                "FIELD_MANY_MAXIMUM_EXCEEDED",
                f"Field `{name}` allows at most {spec.many_maximum} values.",
            )
        return [_one(name, spec, item, resolve) for item in value]
    return _one(name, spec, value, resolve)


def _one(name: str, spec: Field, value: Any, resolve: InterfaceResolver | None) -> Any:
    if not _has_type(spec.kind, value):
        raise schema_violation(
            "FIELD_INVALID_TYPE", f"Field `{name}` must be of type {spec.kind}, got `{value!r}`."
        )
    if value == "":
        return value  # judged by emptiness, after every field is set
    if spec.kind == INTERFACE:
        # `Fields/InterfaceField.inc`: the choices are the interfaces in the representation the
        # settings name (`represent_interfaces_as`), and only those: `opt1` is no choice when
        # interfaces are represented by description
        found = resolve(value) if resolve else value
        if found is None:
            raise schema_violation(
                "FIELD_INVALID_CHOICE",
                f"Field `{name}` must be one of the interfaces as represented by the REST API "
                f"settings, got `{value}`.",
            )
        return found
    if spec.kind == FILTER_ADDRESS:
        return filter_address(name, value, spec.address, resolve)
    if spec.choices is not None and value not in spec.choices:
        raise schema_violation(
            "FIELD_INVALID_CHOICE",
            f"Field `{name}` must be one of [{', '.join(map(str, spec.choices))}].",
        )
    if spec.kind == INTEGER:
        if spec.minimum is not None and value < spec.minimum:
            raise invalid(
                "NUMERIC_RANGE_VALIDATOR_MINIMUM_CONSTRAINT",
                f"Field `{name}` must be at least {spec.minimum}.",
            )
        if spec.maximum is not None and value > spec.maximum:
            raise invalid(
                "NUMERIC_RANGE_VALIDATOR_MAXIMUM_CONSTRAINT",
                f"Field `{name}` must be at most {spec.maximum}.",
            )
    if isinstance(value, str) and spec.maximum_length and len(value) > spec.maximum_length:
        raise invalid(
            "LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT",
            f"Field `{name}` must be at most {spec.maximum_length} characters.",
        )
    return value


def filter_address(
    name: str, value: str, allowed: frozenset[str], resolve: InterfaceResolver | None
) -> str:
    """`Fields/FilterAddressField.inc` validate_extra(), stored as the package stores it: an
    interface by its id (shown again in the configured representation). Aliases are not simulated,
    so a name that is no interface is refused as the box refuses an unknown alias."""
    prefix = ""
    if "invert" in allowed and value.startswith("!"):
        prefix, value = "!", value[1:]
        if value == "any":
            raise invalid(
                "FILTER_RULE_ADDRESS_FIELD_WITH_INVERT_ANY",
                f"Field `{name}` cannot use invert prefix (!) with value `any`.",
            )
    if "ipaddr" in allowed and _parses(ipaddress.ip_address, value):
        return prefix + value
    if "subnet" in allowed and "/" in value and _parses(_subnet, value):
        return prefix + value
    if value in ("any", "(self)", "l2tp", "pppoe") and value.strip("()") in allowed:
        return prefix + value
    suffix = ""
    if "interface_ip" in allowed and value.endswith(":ip"):
        value, suffix = value[:-3], ":ip"
    if "interface" in allowed or suffix:
        found = resolve(value) if resolve else value
        if found is not None:
            return prefix + found + suffix
    raise invalid(
        "FILTER_ADDRESS_FIELD_INVALID" if "subnet" in allowed else "SPECIAL_NETWORK_FIELD_INVALID",
        f"Field `{name}` value `{value}` is invalid.",
    )


def _subnet(value: str) -> object:
    address, _, bits = value.partition("/")
    network = ipaddress.ip_interface(f"{ipaddress.ip_address(address)}/{int(bits)}")
    return network  # pfSense's is_subnet(): an address and a prefix, not necessarily aligned


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _has_type(kind: str, value: Any) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


# --- value validators shared by the handlers -----------------------------------------------------


def ipv4(value: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        return None


def require_ipv4(name: str, value: str) -> ipaddress.IPv4Address:
    address = ipv4(value)
    if address is None:
        raise invalid("IP_ADDRESS_VALIDATOR_FAILED", f"Field `{name}` must be an IPv4 address.")
    return address


def require_mac(name: str, value: str) -> None:
    if not MAC.match(value):
        raise invalid("MAC_ADDRESS_VALIDATOR_FAILED", f"Field `{name}` must be a MAC address.")


def require_hostname(name: str, value: str) -> None:
    if not HOSTNAME.match(value):
        raise invalid("HOSTNAME_VALIDATOR_FAILED", f"Field `{name}` must be a valid hostname.")


def require_port(name: str, value: str | None) -> None:
    """A port, a `low:high` range or a port alias name (aliases are not simulated, so any name
    that is not numeric passes)."""
    if value is None or not value[:1].isdigit():
        return
    parts = value.split(":")
    if len(parts) > 2 or not all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts):
        raise invalid("PORT_FIELD_INVALID", f"Field `{name}` must be a port or a port range.")


def control_flag(params: Mapping[str, Any], name: str, default: bool) -> bool:
    """`apply`, `async`, `append`... must be real booleans in a JSON write."""
    value = params.get(name, default)
    if isinstance(value, str) and value in ("true", "false"):  # from a query string
        return value == "true"
    if not isinstance(value, bool):
        raise schema_violation(
            "ENDPOINT_INVALID_CONTROL_PARAMETER", f"Parameter `{name}` must be a boolean."
        )
    return value


def control_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise schema_violation(
        f"ENDPOINT_{name.upper()}_FIELD_INVALID_TYPE", f"Parameter `{name}` must be an integer."
    )
