"""The PVE 8.4 API schema: which routes exist, and whether a request's parameters are acceptable.

The schema is the pve-docs apidata compacted by `derive_schema.py` (every path and method, and the
parameters of the methods simulated), read once per process. Validation follows
PVE::JSONSchema: unknown keys are refused, required keys must be there, booleans are only `1`/`0`,
numbers are checked against their range, strings against enum, pattern, length and format, and
property strings (net[n], rootfs, ipconfig[n]...) key by key. The messages are PVE's own wording,
keyed by parameter, as the 400 `errors` object carries them.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulators.proxmox.formats import check_named_format
from simulators.proxmox.propstrings import PropertyStringError, parse_property_string

SCHEMA_ENV = "HOSTPROVIDER_PVE_SCHEMA"
DEFAULT_SCHEMA_PATH = Path(__file__).with_name("pve-8.4-schema.compact.json")

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")

# How many of each `name[n]` key PVE 8.4 defines (net0..net31 ...); keys beyond are unknown.
_ARRAY_LIMITS = {
    "net": 32,
    "ipconfig": 32,
    "mp": 256,
    "unused": 256,
    "dev": 256,
    "scsi": 31,
    "virtio": 16,
    "sata": 6,
    "ide": 4,
    "serial": 4,
    "hostpci": 16,
    "usb": 14,
    "parallel": 3,
    "numa": 8,
    "virtiofs": 10,
}

MISSING = "property is missing and it is not optional"
NOT_DEFINED = (
    "property is not defined in schema and the schema does not allow additional properties"
)


def perl_pattern(pattern: str) -> re.Pattern[str]:
    """PVE patterns are Perl regexes matched whole; `(?^:` is Perl's "default flags" group."""
    return re.compile("^(?:" + pattern.replace("(?^:", "(?:").replace("(?^i:", "(?i:") + ")$")


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    return perl_pattern(pattern)


def check_value(prop: Mapping[str, Any], value: str, name: str = "") -> str | None:
    """The error text for one value against its property schema, or None when it is fine;
    `name` prefixes the sub-key errors of a property string (`net0.tag: ...`)."""
    kind = prop.get("type", "string")
    if kind == "boolean":
        if value not in ("0", "1"):
            return f"type check ('boolean') failed - got '{value}'"
        return None
    if kind in ("integer", "number"):
        syntax = _INTEGER if kind == "integer" else _NUMBER
        if not syntax.match(value):
            return f"type check ('{kind}') failed - got '{value}'"
        number = float(value)
        if "minimum" in prop and number < float(prop["minimum"]):
            return f"value must have a minimum value of {prop['minimum']}"
        if "maximum" in prop and number > float(prop["maximum"]):
            return f"value must have a maximum value of {prop['maximum']}"
        return None
    if kind != "string":
        return None  # arrays/objects only arrive in JSON bodies of endpoints we do not serve
    if "maxLength" in prop and len(value) > int(prop["maxLength"]):
        return f"value may only be {prop['maxLength']} characters long"
    if "minLength" in prop and len(value) < int(prop["minLength"]):
        return f"value must be at least {prop['minLength']} characters long"
    if "enum" in prop and value not in prop["enum"]:
        allowed = ", ".join(prop["enum"])
        return f"value '{value}' does not have a value in the enumeration '{allowed}'"
    if "pattern" in prop and not compiled(prop["pattern"]).match(value):
        return "value does not match the regex pattern"
    fmt = prop.get("format")
    if isinstance(fmt, dict):
        try:
            parse_property_string(value, fmt, check=check_value)
        except PropertyStringError as failure:
            return failure.render(name)
    elif isinstance(fmt, str):
        return check_named_format(fmt, value, check=check_value)
    return None


class MethodSchema:
    def __init__(self, method: str, template: str, info: Mapping[str, Any]) -> None:
        self.method = method
        self.template = template
        self.info = info
        parameters = info.get("parameters", {})
        self.properties: dict[str, Mapping[str, Any]] = dict(parameters.get("properties", {}))
        self.additional = bool(parameters.get("additionalProperties", 0))
        self.proxied = info.get("proxyto") == "node"

    def lookup(self, name: str) -> Mapping[str, Any] | None:
        found = self.properties.get(name)
        if found is not None:
            return found
        match = re.fullmatch(r"([a-z]+)(\d+)", name)
        if match is None:
            return None
        prefix, index = match.group(1), int(match.group(2))
        array = self.properties.get(f"{prefix}[n]")
        if array is None or index >= _ARRAY_LIMITS.get(prefix, 1 << 30):
            return None
        return array

    def validate(self, params: Mapping[str, str]) -> dict[str, str]:
        """Parameter errors as PVE reports them ({} when the request is acceptable)."""
        errors: dict[str, str] = {}
        for name, value in params.items():
            prop = self.lookup(name)
            if prop is None:
                if not self.additional:
                    errors[name] = NOT_DEFINED
                continue
            problem = check_value(prop, value, name)
            if problem is not None:
                errors[name] = problem
            needed = prop.get("requires")
            if needed and needed not in params:
                errors[needed] = f"parameter '{needed}' is required with '{name}'"
        for name, prop in self.properties.items():
            if "[n]" in name or prop.get("optional"):
                continue
            if name not in params:
                errors[name] = MISSING
        return errors


class ApiSchema:
    """Routes by path template, matched segment by segment; literal segments win over `{x}`."""

    def __init__(self, paths: Mapping[str, Mapping[str, Any]]) -> None:
        self._paths = paths
        self._by_length: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
        for template in paths:
            segments = tuple(s for s in template.split("/") if s)
            self._by_length.setdefault(len(segments), []).append((template, segments))
        for routes in self._by_length.values():
            routes.sort(key=lambda r: -sum(1 for s in r[1] if not s.startswith("{")))

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        segments = [s for s in path.split("/") if s]
        if "" in path.split("/")[1:-1]:
            return None  # an empty segment (`/nodes//lxc`) never matches in PVE
        for template, pattern in self._by_length.get(len(segments), []):
            captured: dict[str, str] = {}
            for want, got in zip(pattern, segments, strict=True):
                if want.startswith("{"):
                    captured[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return template, captured
        return None

    def method(self, template: str, method: str) -> MethodSchema | None:
        info = self._paths.get(template, {}).get(method)
        return MethodSchema(method, template, info) if info is not None else None


def _flatten(tree: list[Mapping[str, Any]], into: dict[str, Any]) -> None:
    """The apidoc tree (nested `children`, each with `path` and `info`) as path -> methods."""
    for node in tree:
        if "path" in node and node.get("info"):
            into[node["path"]] = node["info"]
        _flatten(node.get("children") or [], into)


def schema_path() -> Path:
    configured = os.environ.get(SCHEMA_ENV)
    return Path(configured) if configured else DEFAULT_SCHEMA_PATH


@functools.lru_cache(maxsize=4)
def load_schema(path: Path | None = None) -> ApiSchema:
    source = path or schema_path()
    raw = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(raw, dict) and "paths" in raw:
        return ApiSchema(raw["paths"])
    paths: dict[str, Any] = {}
    _flatten(raw if isinstance(raw, list) else [raw], paths)
    return ApiSchema(paths)
