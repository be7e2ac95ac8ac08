"""Commands from request bodies: the API's one strict cattrs converter.

A body has passed its JSON Schema (body.parse) before it gets here, so the shape is known to be
right; the converter builds the command (camelCase keys to fields, values to value objects, which
check themselves) and coerces nothing: a string is no number, null no string, and an unknown key is
refused. What a value object refuses keeps its own kind (400 for invalid input, 422 for a rule),
named as the client spelled the field (`rules.2.fromPort`); a structure error cattrs finds is the
usual 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
import falcon
from cattrs.errors import AttributeValidationNote, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from domain.model import commands
from domain.model.credentials import EmailAddress, NewPassword
from domain.model.errors import DomainError, ValidationError
from domain.model.firewall import RuleRequest
from domain.model.values import (
    Amount,
    Cores,
    DiskGiB,
    Hostname,
    MemoryMiB,
    PromoCodeText,
    Reason,
    SnapshotName,
    TokenName,
)
from entrypoints.http.body import parse
from entrypoints.http.errors import ApiError
from entrypoints.http.resources.base import moment
from entrypoints.http.schemas import Schema

C = TypeVar("C")

VALUES: tuple[type, ...] = (
    Amount,
    Cores,
    DiskGiB,
    EmailAddress,
    Hostname,
    MemoryMiB,
    NewPassword,
    PromoCodeText,
    Reason,
    SnapshotName,
    TokenName,
)
COMMANDS: tuple[type, ...] = (
    RuleRequest,  # first: the lists of rules below are made with its hook
    commands.OrderRequest,
    commands.NewAccount,
    commands.Credentials,
    commands.NewToken,
    commands.PasswordChange,
    commands.ResetRequest,
    commands.ResetConfirmation,
    commands.BalanceAdjustment,
    commands.ReplaceFirewall,
    commands.PromoDraft,
    commands.MetricsQuery,
)
# The lists commands take: a JSON array each, never a string or an object iterated.
LISTS: tuple[Any, ...] = (tuple[RuleRequest, ...], tuple[int, ...])


class _Mismatch(TypeError):
    """A JSON value of the wrong type for its field (the schema should have said so first)."""

    def __init__(self, wanted: str, said: str | None = None) -> None:
        super().__init__(said or f"must be of type {wanted}")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


# Fields the API calls otherwise than camelCase of the attribute: a query's window is from..to.
_NAMES: dict[type, dict[str, str]] = {commands.MetricsQuery: {"start": "from", "end": "to"}}


def json_name(command: type | None, attribute: str) -> str:
    renamed = _NAMES.get(command, {}) if command is not None else {}
    return renamed.get(attribute) or camel(attribute)


def _strict(kind: type, wanted: str) -> Any:
    def structure(value: Any, _: type) -> Any:
        # bool is an int subclass: True is no count of anything.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _Mismatch(wanted)
        return value

    return structure


def _value(value: Any, kind: type) -> Any:
    return kind(value)


def _moment(value: Any, _: type) -> dt.datetime:
    if not isinstance(value, str):
        raise _Mismatch("string")
    found = moment(value, "value")
    assert found is not None
    return found


def _enum(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    if not isinstance(value, str):
        raise _Mismatch("string")
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise _Mismatch("string", f"must be one of {choices}") from None


# Fields the command's own converter reads as sent: an order's empty promo code or name is none.
_AS_SENT: dict[type, tuple[str, ...]] = {commands.OrderRequest: ("promo_code", "name")}


def _as_sent(value: Any, _: type) -> Any:
    return value


def _array(items: Any) -> Any:
    def structure(value: Any, kind: Any) -> Any:
        if not isinstance(value, list):
            raise _Mismatch("array")
        return items(value, kind)

    return structure


def _make() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind, wanted in ((str, "string"), (int, "integer"), (bool, "boolean")):
        converter.register_structure_hook(kind, _strict(kind, wanted))
    for value in VALUES:
        converter.register_structure_hook(value, _value)
    converter.register_structure_hook(dt.datetime, _moment)
    converter.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum
    )
    for command in COMMANDS:
        if command is commands.ReplaceFirewall:  # the lists are made with RuleRequest's hook
            for kind in LISTS:
                converter.register_structure_hook_func(
                    _is(kind), _array(converter.get_structure_hook(kind))
                )
        renames: dict[str, Any] = {
            a.name: override(rename=json_name(command, a.name)) for a in attrs.fields(command)
        }
        for name in _AS_SENT.get(command, ()):
            renames[name] = override(rename=camel(name), struct_hook=_as_sent)
        converter.register_structure_hook(
            command, make_dict_structure_fn(command, converter, **renames)
        )
    return converter


def _is(kind: Any) -> Callable[[Any], bool]:
    return lambda t: bool(t == kind)


CONVERTER = _make()


def structure(data: dict[str, Any], command: type[C]) -> C:
    """The command `data` (camelCase keys) spells, or the refusal of its first bad field."""
    try:
        return CONVERTER.structure(data, command)
    except Exception as ex:  # noqa: BLE001 - every refusal is mapped, none escapes as a 500
        path, cause = _first(ex, [], command)
        field = ".".join(path) or None
        if isinstance(cause, ValidationError) and field is not None:
            raise cause.at(field) from None
        if isinstance(cause, DomainError):
            raise cause from None
        if isinstance(cause, KeyError):
            raise ApiError(
                falcon.HTTP_400, "invalid", f"{field} is required", field=field
            ) from None
        raise ApiError(
            falcon.HTTP_400, "invalid", f"{field or 'body'}: {_said(cause)}", field=field
        ) from None


def command_from(req: falcon.Request, schema: Schema, command: type[C], **known: Any) -> C:
    """Parse the body against `schema`, then build `command` from it and from what the request
    knows besides (a path's id, a header), given as `known` in camelCase."""
    return structure({**parse(req, schema), **known}, command)


def _first(
    ex: BaseException, path: list[str], owner: type | None
) -> tuple[list[str], BaseException]:
    """The path to the first failure in a cattrs error (groups nest per class and per list, each
    failure noting its attribute or index), and the failure itself."""
    if isinstance(ex, cattrs.ForbiddenExtraKeysError):
        extra = sorted(ex.extra_fields)
        return ([*path, extra[0]] if extra else path), ex
    if isinstance(ex, BaseExceptionGroup) and ex.exceptions:
        inner = ex.exceptions[0]
        owner = getattr(ex, "cl", owner)  # the class (or list type) whose failures these are
        return _first(inner, [*path, *_step(inner, owner)], owner)
    return path, ex


def _step(failure: BaseException, owner: type | None) -> list[str]:
    for note in getattr(failure, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return [json_name(owner, note.name)]
        if isinstance(note, IterableValidationNote):
            return [str(note.index)]
    return []


def _said(cause: BaseException) -> str:
    if isinstance(cause, cattrs.ForbiddenExtraKeysError):
        return "is not a known field"
    return str(cause) if isinstance(cause, _Mismatch) else "is not valid"
