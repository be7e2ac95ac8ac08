"""The fast body validator (jsonschema-rs) never takes a body that jsonschema refuses, nor refuses
one it takes, for any request schema the API documents (entrypoints/http/body.py asks the fast one
first and believes its "valid").

The bodies: what schemathesis generates for every operation with a body, valid ones and invalid
ones, plus hand-picked values at the edges where two implementations tend to part (a bool for an
integer, a whole float, an int past 64 bits, a trailing newline before a pattern's `$`, NUL,
astral characters, lengths counted in code points). Every body is checked against every schema,
not only its own: a mismatched body is one more invalid instance."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from entrypoints.http.body import decoded, schema_check
from tests.http.api_support import SETTINGS, Api

EXAMPLES_PER_MODE = 5
EDGES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**31,
    2**63,
    2**64 + 1,
    -(2**70),
    1.5,
    "",
    " ",
    "a",
    "abc\n",
    "\nabc",
    "a\u0000b",
    "\U0001f600" * 3,
    "é" * 64,
    "x" * 300,
    "100.00",
    "100.001",
    "1e3",
    "0123",
    "srv-1",
    "SRV-1",
    "ann@example.com",
    "ssh-ed25519 AAAA",
    [],
    [1],
    [1, 1],
    ["a"],
    {},
    {"": 1},
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return Api(SETTINGS).get("/api/openapi.json").json  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def request_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body:
                found.append(
                    (f"{method.upper()} {path}", body["content"]["application/json"]["schema"])
                )
    assert len(found) > 20  # the document, not an empty page
    return found


def _generated(document: dict[str, Any]) -> list[Any]:
    bodies: list[Any] = []
    operations = [
        result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()
    ]
    for operation in operations:
        if not operation.body:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_MODE,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case: schemathesis.Case) -> None:
                bodies.append(case.body)

            collect()
    return bodies


def _edged(schemas: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Each schema's properties set, one at a time, to each edge value (on top of the other
    properties at a harmless value), and the edge values as whole bodies."""
    bodies: list[Any] = list(EDGES)
    for _, schema in schemas:
        names = list(schema.get("properties", {}))
        for name, value in itertools.product(names, EDGES):
            bodies.append({name: value})
            bodies.append({other: 1 for other in names if other != name} | {name: value})
    return bodies


def _as_read(bodies: list[Any]) -> list[Any]:
    """The bodies as a request's bytes would be read before validation (a float 2.0 arrives as
    the int 2); what JSON cannot carry (bytes, for a body that is not JSON) is left out."""
    read = []
    for body in bodies:
        try:
            read.append(decoded(json.dumps(body).encode()))
        except (TypeError, ValueError):
            continue
    return read


def test_the_fast_validator_agrees_with_jsonschema_on_every_body(document, request_schemas):
    bodies = _as_read(_generated(document) + _edged(request_schemas))
    assert len(bodies) > 1000
    disagreements = []
    for label, schema in request_schemas:
        check = schema_check(schema)
        for body in bodies:
            fast = check.valid(body)
            full = not list(check.full.iter_errors(body))
            if fast != full:
                disagreements.append((label, body, "fast" if fast else "jsonschema"))
    assert disagreements[:10] == []  # (operation, body, which one took it)


def test_a_valid_body_is_taken_and_an_invalid_one_explained(request_schemas):
    label, schema = next((lbl, s) for lbl, s in request_schemas if lbl == "POST /api/quote")
    check = schema_check(schema)
    assert check.errors({"osId": 1, "locationId": 1, "cores": 2, "memory": 2048, "disk": 40}) == []
    [error, *_] = check.errors(
        {"osId": True, "locationId": 1, "cores": 2, "memory": 2048, "disk": 40}
    )
    assert list(error.absolute_path) == ["osId"]
    assert check.valid({"osId": 2**80}) is False  # too big for the fast one: refused, not raised


def test_a_pattern_ends_at_the_end_of_the_text_not_before_a_final_newline(request_schemas):
    """JSON Schema's `$` (ECMA-262) is the end of the text; Python's re also matches it before a
    final newline, so jsonschema took "nightly\n" as a snapshot name the domain then refused."""
    schema = dict(request_schemas)["POST /api/server/{server_id}/snapshots"]
    check = schema_check(schema)
    assert check.errors({"snapname": "nightly"}) == []
    [error] = check.full.iter_errors({"snapname": "nightly\n"})
    assert list(error.absolute_path) == ["snapname"] and error.validator == "pattern"
