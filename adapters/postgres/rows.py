"""The one converter between table rows and domain objects, and it is strict.

Columns are named after the attributes they hold, so a row (psycopg's dict_row) structures
straight into a flat record; aggregates with nested values (a server's config, meter and placement)
are reassembled from their columns by their repository and structured here. Strict means: a value
of the wrong type is an error, never coerced (no "None" strings, no int("5")), an extra key is an
error, and every datetime comes back timezone-aware in UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar, get_origin

import cattrs

from domain.model.action import ActionParams

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True)


def _exact(kind: type) -> Any:
    def structure(value: object, _: object) -> object:
        # `type(...) is` rather than isinstance: a bool is an int, and must not pass for one.
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}: {value!r}")
        return value

    return structure


for _kind in (str, int, bool, bytes):
    converter.register_structure_hook(_kind, _exact(_kind))


def _moment(value: object, _: object) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise TypeError(f"expected an aware datetime, got {value!r}")
    return value.astimezone(dt.UTC)


converter.register_structure_hook(dt.datetime, _moment)


def moment(value: object) -> dt.datetime:
    """A column's moment in UTC (psycopg gives it in the session's time zone), refusing a naive
    one, as the converter does."""
    return _moment(value, None)


converter.register_unstructure_hook(dt.datetime, lambda value: value)


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _enum(value: object, kind: type[enum.Enum]) -> enum.Enum:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError(f"expected an {kind.__name__} value, got {value!r}")
    return kind(value)


converter.register_structure_hook_func(_is_enum, _enum)


def _is_set(kind: Any) -> bool:
    return kind in (set, frozenset) or get_origin(kind) in (set, frozenset)


# Sets become sorted lists: arrays in columns, arrays in JSON documents, and in a stable order.
converter.register_unstructure_hook_func(
    _is_set, lambda value: sorted(converter.unstructure(item) for item in value)
)


def _typed_params(value: object, _: object) -> ActionParams:
    # An action's parameters are typed by its command, so its repository types them first
    # (domain.model.server.COMMANDS); here they only pass.
    if not isinstance(value, ActionParams):
        raise TypeError(f"expected action parameters, got {value!r}")
    return value


converter.register_structure_hook(ActionParams, _typed_params)


def structure(data: dict[str, Any], kind: type[T]) -> T:
    return converter.structure(data, kind)


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def money(micro: int | None, currency: str) -> dict[str, Any] | None:
    """A Money as the nested dict the converter expects, or None for a missing amount."""
    return None if micro is None else {"micro": micro, "currency": currency}
