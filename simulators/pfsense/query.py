"""The package's query language for plural GET and DELETE: `field__filter=value` filters (ANDed),
`sort_by`/`sort_order`/`reverse`, then `limit`/`offset` applied after the filtering."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .envelope import schema_violation
from .validation import MAC, control_flag, control_int

# Parameters of a plural request that are not filters.
NOT_FILTERS = frozenset(
    {"limit", "offset", "sort_by", "sort_order", "sort_flags", "reverse", "all", "apply", "async"}
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(op: Callable[[float, float], bool]) -> Callable[[Any, str], bool]:
    def check(value: Any, wanted: str) -> bool:
        a, b = _number(value), _number(wanted)
        return a is not None and b is not None and op(a, b)

    return check


def _contains(value: Any, wanted: str) -> bool:
    if isinstance(value, list):
        return wanted in (_text(v) for v in value)
    return wanted in _text(value)


def _in(value: Any, wanted: str) -> bool:
    return _text(value) in wanted.split(",")


def _regex(value: Any, wanted: str) -> bool:
    pattern = wanted[1:-1] if len(wanted) > 1 and wanted[0] == wanted[-1] == "/" else wanted
    return re.search(pattern, _text(value)) is not None


def _format(value: Any, wanted: str) -> bool:
    text = _text(value)
    checks: dict[str, Callable[[str], bool]] = {
        "ipv4": lambda t: _parses(ipaddress.IPv4Address, t),
        "ipv6": lambda t: _parses(ipaddress.IPv6Address, t),
        "ip": lambda t: _parses(ipaddress.ip_address, t),
        "subnetv4": lambda t: "/" in t and _parses(ipaddress.IPv4Network, t, strict=False),
        "subnetv6": lambda t: "/" in t and _parses(ipaddress.IPv6Network, t, strict=False),
        "subnet": lambda t: "/" in t and _parses(ipaddress.ip_network, t, strict=False),
        "numeric": lambda t: _number(t) is not None,
        "mac": lambda t: MAC.match(t) is not None,
    }
    check = checks.get(wanted)
    if check is None:
        raise schema_violation("QUERY_FILTER_FORMAT_UNKNOWN", f"Unknown format `{wanted}`.")
    return check(text)


def _parses(parser: Callable[..., Any], text: str, **kw: Any) -> bool:
    try:
        parser(text, **kw)
    except ValueError:
        return False
    return True


FILTERS: dict[str, Callable[[Any, str], bool]] = {
    "exact": lambda v, w: _text(v) == w,
    "except": lambda v, w: _text(v) != w,
    "startswith": lambda v, w: _text(v).startswith(w),
    "endswith": lambda v, w: _text(v).endswith(w),
    "contains": _contains,
    "in": _in,
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
    "regex": _regex,
    "format": _format,
}


def parse_filters(
    params: Mapping[str, Any], known_fields: Iterable[str]
) -> list[tuple[str, str, str]]:
    """(field, filter, value) triples; a filter on a field the model does not have is a client
    bug the simulator refuses (the package would just match nothing)."""
    known = set(known_fields)
    triples = []
    for key, value in params.items():
        if key in NOT_FILTERS:
            continue
        name, _, kind = key.partition("__")
        kind = kind or "exact"
        if name not in known:
            raise schema_violation(
                "SIMULATOR_QUERY_ON_UNKNOWN_FIELD", f"Cannot filter on unknown field `{name}`."
            )
        if kind not in FILTERS:
            raise schema_violation(
                "QUERY_FILTER_UNKNOWN", f"Unknown query filter `{kind}` on field `{name}`."
            )
        triples.append((name, kind, _text(value) if not isinstance(value, str) else value))
    return triples


def matches(obj: Mapping[str, Any], triples: list[tuple[str, str, str]]) -> bool:
    return all(FILTERS[kind](obj.get(name), value) for name, kind, value in triples)


def natural_key(value: Any) -> tuple[Any, ...]:
    """PHP's SORT_NATURAL order: digit runs compare as numbers (10.0.0.9 before 10.0.0.10)."""
    parts = re.split(r"(\d+)", _text(value))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def arrange(objects: list[dict[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sorting, reversing and paginating a filtered list, as the plural GET does."""
    result = list(objects)
    sort_by = params.get("sort_by")
    if sort_by:
        fields = sort_by if isinstance(sort_by, list) else str(sort_by).split(",")
        descending = params.get("sort_order", "SORT_ASC") == "SORT_DESC"
        result.sort(key=lambda o: tuple(natural_key(o.get(f)) for f in fields), reverse=descending)
    if control_flag(params, "reverse", False):
        result.reverse()
    offset = control_int(params, "offset") or 0
    limit = control_int(params, "limit") or 0
    result = result[offset:]
    return result[:limit] if limit > 0 else result
