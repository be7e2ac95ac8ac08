"""Property strings: PVE's `key=value,key=value` parameter values (net[n], rootfs, ipconfig[n]...).

Parsing follows PVE::JSONSchema::parse_property_string: a part without `=` fills the format's
default key, `virtio=MAC` style aliases set two keys at once, booleans inside the string accept the
yes/no/on/off spellings, and each value is then checked against its sub-schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Checker = Callable[[Mapping[str, Any], str], "str | None"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class PropertyStringError(ValueError):
    """A property string PVE would refuse: a parse failure, or errors per sub-key."""

    def __init__(self, message: str, sub_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.sub_errors = sub_errors or {}

    def render(self, param: str = "") -> str:
        if not self.sub_errors:
            return f"invalid format - {self.message}"
        prefix = f"{param}." if param else ""
        details = "\n".join(f"{prefix}{key}: {text}" for key, text in self.sub_errors.items())
        return f"invalid format - format error\n{details}"


def _default_key(fmt: Mapping[str, Any]) -> str | None:
    return next((key for key, sub in fmt.items() if sub.get("default_key")), None)


def split_parts(value: str) -> list[tuple[str | None, str]]:
    """(key, value) per comma-separated part; key None for a bare value."""
    parts: list[tuple[str | None, str]] = []
    for part in value.split(","):
        if not part.strip():
            continue
        key, sep, rest = part.partition("=")
        if sep and key and rest:
            parts.append((key, rest))
        elif not sep:
            parts.append((None, part))
        else:
            raise PropertyStringError("missing key in comma-separated list property")
    return parts


def parse_property_string(
    value: str, fmt: Mapping[str, Any], *, check: Checker | None = None
) -> dict[str, str]:
    default_key = _default_key(fmt)
    parsed: dict[str, str] = {}
    for key, text in split_parts(value):
        if key is None:
            if default_key is None:
                raise PropertyStringError(
                    "value without key, but schema does not define a default key"
                )
            key = default_key
        elif key in fmt and fmt[key].get("alias"):
            alias = fmt[key]
            key_alias = alias.get("keyAlias")
            if key_alias:
                if key_alias in parsed:
                    raise PropertyStringError(f"key alias '{key_alias}' is already defined")
                parsed[key_alias] = key
            key = alias["alias"]
        if key in parsed:
            raise PropertyStringError(f"duplicate key in comma-separated list property: {key}")
        sub = fmt.get(key)
        if sub is None:
            raise PropertyStringError(f"invalid key in comma-separated list property: {key}")
        if sub.get("type") == "boolean":
            lowered = text.lower()
            text = "1" if lowered in _TRUE else "0" if lowered in _FALSE else text
        parsed[key] = text
    errors: dict[str, str] = {}
    for key, sub in fmt.items():
        if sub.get("alias"):
            continue
        if key not in parsed:
            if not sub.get("optional"):
                errors[key] = "property is missing and it is not optional"
        elif check is not None:
            problem = check(sub, parsed[key])
            if problem is not None:
                errors[key] = problem
    if errors:
        raise PropertyStringError("format error", errors)
    return parsed


def format_property_string(values: Mapping[str, Any], *, first: str | None = None) -> str:
    """`first` (the default key) bare at the front, the other keys sorted, as PVE prints them."""
    parts = [str(values[first])] if first is not None and first in values else []
    parts += [f"{k}={values[k]}" for k in sorted(values) if k != first and values[k] is not None]
    return ",".join(parts)
