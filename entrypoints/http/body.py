"""Reading a JSON request body: size-bounded, typed, validated against its JSON Schema.

Validation names the first bad field, so that a client always learns what to fix, and happens before
any use case runs, so that a bad body never changes anything.

Most bodies are valid, and saying so is all they need: jsonschema-rs answers that in under a
microsecond, where the Python jsonschema took some 70 to 180 us a body. Only a body it refuses is
validated again by jsonschema, whose errors this module turns into the answer's words (and whose
verdict stands: a body it takes after all goes through). The other disagreement, a body the fast
validator takes and jsonschema refuses, would let a bad body in: tests/http/
test_body_validators_agree.py looks for one over generated valid and invalid bodies, every body
against every schema.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import falcon
import jsonschema_rs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError

from entrypoints.http.errors import ApiError
from entrypoints.http.schemas import NO_NUL


def _is_integer(checker: Any, instance: Any) -> bool:
    # Only ints are integers here (a whole number spelled 2.0 was made an int by _number), so that
    # no float ever reaches a use case (or a stored list of ids), and True is not 1.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _number(text: str) -> int | float:
    """A JSON number with a fraction or an exponent. JSON Schema, and so the document, counts 2.0
    and 2e3 as the integers 2 and 2000: they are read as those ints. Anything else stays a float,
    which no schema here takes (money travels as decimal strings), so the type check names it."""
    value = Decimal(text)
    # adjusted() first: 1e999999999 is whole too, but its int would take gigabytes.
    if value.adjusted() < 19 and value == value.to_integral_value():
        return int(value)
    return float(text)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[SchemaError]:
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=256)
def _ecma(pattern: str) -> re.Pattern[str]:
    r"""A schema's pattern as JSON Schema reads it (ECMA-262), for Python's re: there `$` ends the
    text, where Python's also matches before a final newline ("abc\n" would pass `^[a-z]+$`, and
    the document would call valid what the domain refuses). Each `$` outside a character class
    becomes `\Z`."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return re.compile("".join(out))


_Validator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@attrs.frozen
class SchemaCheck:
    """One schema's two validators: the fast verdict, and the errors of a refused body."""

    full: Any  # the Python jsonschema validator of _Validator's dialect
    fast: Any  # a jsonschema_rs validator

    def valid(self, body: Any) -> bool:
        try:
            return bool(self.fast.is_valid(body))
        except (ValueError, OverflowError):  # what it cannot take in (an int past 64 bits)
            return False

    def errors(self, body: Any) -> list[SchemaError]:
        return [] if self.valid(body) else list(self.full.iter_errors(body))


_checks: dict[int, SchemaCheck] = {}


def schema_check(schema: dict[str, Any]) -> SchemaCheck:
    """The schema's validators, built once: schemas are module constants, kept by identity."""
    key = id(schema)
    if key not in _checks:
        _Validator.check_schema(schema)
        fast = jsonschema_rs.validator_for(schema, validate_formats=False)
        _checks[key] = SchemaCheck(_Validator(schema), fast)
    return _checks[key]


def decoded(data: bytes) -> Any:
    """A body's JSON as validation sees it: whole numbers as ints (2.0 is 2), NaN and Infinity
    refused (ValueError)."""
    return json.loads(data, parse_constant=_reject_constant, parse_float=_number)


def raw_body(req: falcon.Request) -> bytes:
    """The body bytes, read once and kept on the request (idempotency fingerprints them too)."""
    if "raw_body" not in req.context:
        limit: int = req.context.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise ApiError(
                falcon.HTTP_413,
                "payload_too_large",
                f"the body may be at most {limit} bytes",
                limit=limit,
            )
        data = req.bounded_stream.read(limit + 1)
        if len(data) > limit:
            raise ApiError(
                falcon.HTTP_413,
                "payload_too_large",
                f"the body may be at most {limit} bytes",
                limit=limit,
            )
        req.context.raw_body = data
    return req.context.raw_body  # type: ignore[no-any-return]


def parse(req: falcon.Request, schema: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    """The body as a dict that satisfies `schema`, or a 4xx that says what is wrong."""
    data = raw_body(req)
    if not data.strip():
        if optional:
            return {}
        raise ApiError(falcon.HTTP_400, "invalid", "a JSON body is required", field=None)
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(
            falcon.HTTP_415, "unsupported_media_type", "send the body as application/json"
        )
    try:
        body = decoded(data)
    except (ValueError, RecursionError) as ex:
        raise ApiError(
            falcon.HTTP_400, "malformed_json", f"the body is not valid JSON: {ex}"
        ) from None
    bad_text = _lone_surrogate(body) if _may_hold_surrogate(data) else None
    if bad_text is not None:
        field = ".".join(bad_text) or None
        raise ApiError(
            falcon.HTTP_400,
            "invalid",
            f"{field or 'body'}: is not valid Unicode text (a lone surrogate such as \\ud800)",
            field=field,
        )
    # A field's own rule first, a rule that holds only given another field (if/then,
    # dependentSchemas) after: a bad `kind` is reported as such, not as the fields some valid kind
    # would need. Then by place in the body, then in the schema's order (`required` lists its
    # fields in the order the domain checks them).
    errors = sorted(
        schema_check(schema).errors(body),
        key=lambda e: (_conditional(e), list(e.absolute_path)),
    )
    if errors:
        raise _field_error(errors[0])
    return body  # type: ignore[no-any-return]


def _conditional(error: SchemaError) -> bool:
    return any(step in ("then", "else", "dependentSchemas") for step in error.schema_path)


def _may_hold_surrogate(data: bytes) -> bool:
    """Whether the body's text could hold a surrogate at all: only through a \\u escape, or through
    the bytes ED A0-BF .. that encode one (which Python's JSON reader lets through). Most bodies
    have neither, and need no walk through every string in them."""
    return b"\\u" in data or b"\xed" in data


def _lone_surrogate(body: Any) -> list[str] | None:
    """The path to the first string (key or value) with a lone surrogate, which JSON's \\u escapes
    allow but UTF-8 cannot carry: stored, it would break every later response that shows it."""
    stack: list[tuple[list[str], Any]] = [([], body)]  # iterative: deep nesting is no risk
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and not _encodable(value):
            return path
        items: Any = ()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        for key, item in reversed(list(items)):
            name = str(key)
            if not _encodable(name):
                return [*path, name.encode("utf-8", "backslashreplace").decode()]
            stack.append(([*path, name], item))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _field_error(error: SchemaError) -> ApiError:
    path = [str(p) for p in error.absolute_path]
    field = ".".join(path) or None
    schema = error.schema if isinstance(error.schema, dict) else {}
    said = schema.get("x-error")  # the domain's words for this refusal (see schemas.py)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        field = ".".join([*path, extra[0]]) if extra else field
        message = f"unknown field {field}"
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        field = ".".join([*path, missing]) if missing else field
        message = f"{field} {said or 'is required'}"
    elif said:
        field = ".".join([*path, schema["x-error-field"]]) if "x-error-field" in schema else field
        message = f"{field or 'body'} {said}"
    else:
        message = f"{field or 'body'}: {_short(error)}"
    return ApiError(falcon.HTTP_400, "invalid", message, field=field)


def _short(error: SchemaError) -> str:
    v = error.validator
    s = error.schema
    if v == "type":
        return (
            f"must be of type {s['type'] if isinstance(s['type'], str) else ' or '.join(s['type'])}"
        )
    if v in ("minimum", "maximum"):
        return f"must be between {s.get('minimum', '-inf')} and {s.get('maximum', 'inf')}"
    if v in ("minLength", "maxLength"):
        return f"must be {s.get('minLength', 0)} to {s.get('maxLength', 'any')} characters"
    if v == "enum":
        return "must be one of " + ", ".join(str(x) for x in s["enum"])
    if v == "pattern":
        if s["pattern"] == NO_NUL:
            return "must not contain the control character NUL (\\u0000)"
        return "has the wrong format"
    return "is not valid"
