"""Schemathesis against a live sandbox: every operation in the served /api/openapi.json, generated
requests (valid and invalid), and every answer held to the document: no 5xx, only documented status
codes, bodies that match their documented schemas, and no request the document calls valid refused
as malformed (400): the document says exactly what the server enforces.

Authenticated routes run as a customer with money and running servers; admin routes run as the
admin, so that both get past the 401/403 and into their use cases.

The operations are fuzzed in three modules (the admin's, the servers', the rest), each against a
sandbox of its own, so that parallel test workers share the work; `operations_test` makes a
module's test, and test_parts.py proves that together they take every operation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from ..sandbox import Client, Sandbox

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]
PASSWORD = "fuzzing password"


@attrs.frozen
class Cast:
    """Who the generated requests act as."""

    customer: Client
    admin: Client
    burner: Callable[[], str]  # a fresh session of its own for each logout case
    protected: frozenset[int]  # accounts an admin operation must not suspend or drain
    victim_id: int  # the customer admin operations act on instead
    server_id: int  # a running server the server operations find at a small id
    doomed_id: int  # the server a DELETE of that one deletes instead

    def bearer(self, client: Client) -> str:
        return str(client.session.headers["Authorization"])


def _register(
    anonymous: Client, admin: Client, name: str, credit: str | None
) -> tuple[Client, int]:
    email = f"{name}@fuzz.example"
    anonymous.post("/api/auth/register", {"email": email, "password": PASSWORD}, expect=201)
    customer = anonymous.login(email, PASSWORD)
    account_id = int(customer.get("/api/auth/me")["id"])
    if credit:
        admin.post(
            f"/api/admin/customers/{account_id}/credit",
            {"amount": credit, "reason": "fuzzing"},
            headers={"Idempotency-Key": f"fuzz-{name}"},
        )
    return customer, account_id


@pytest.fixture(scope="module")
def cast(sandbox: Sandbox) -> Iterator[Cast]:
    anonymous = Client(sandbox.base_url)
    admin = anonymous.login(sandbox.admin_email, sandbox.admin_password)
    customer, customer_id = _register(anonymous, admin, "customer", "100000.00")
    burner, burner_id = _register(anonymous, admin, "burner", None)
    burner.close()

    def burner_session() -> str:
        login = anonymous.post(
            "/api/auth/login", {"email": "burner@fuzz.example", "password": PASSWORD}
        )
        return str(login["access_token"])

    _, victim_id = _register(anonymous, admin, "victim", "10.00")
    # Running servers, so that the small ids generated for {server_id} find something to act on.
    servers = [
        customer.post("/api/server/create", {"osId": 1, "locationId": 1, "tariffId": 1}, expect=201)
        for _ in range(2)
    ]
    for created in servers:
        assert customer.wait_for_action(created["taskId"])["status"] == "success"
    admin_id = admin.get("/api/auth/me")["id"]
    yield Cast(
        customer,
        admin,
        burner_session,
        frozenset({admin_id, customer_id, burner_id}),
        victim_id,
        servers[0]["id"],
        servers[1]["id"],
    )
    for client in (anonymous, admin, customer):
        client.close()


# What a request the document calls valid may get: success, or a refusal of the request's meaning
# rather than its form. 402: the balance does not cover it; 404: an id that is not there (or not
# yours); 409: the server's state; 422: a rule no schema can state (the catalogue's sizes, toPort
# below fromPort, a disk that would shrink); 503: no capacity. Never 400, which says the document
# is wrong about what the API takes.
ACCEPTED_MEANINGS = ["2xx", "401", "402", "403", "404", "409", "422", "429", "503"]


@pytest.fixture(scope="module")
def api_schema(sandbox: Sandbox, cast: Cast) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{sandbox.base_url}/api/openapi.json")
    schema.config.update(
        base_url=sandbox.base_url, headers={"Authorization": cast.bearer(cast.customer)}
    )
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=ACCEPTED_MEANINGS
    )
    return schema


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32's lazy loader relabels `item._nodeid` for its per-operation subtest reports;
    # pytest 9.2 keeps node ids elsewhere and no longer has that attribute. Giving it one changes
    # nothing in pytest's own bookkeeping.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _cast_for(case: schemathesis.Case, cast: Cast) -> None:
    """Swap in the right actor, unless the case is about the Authorization header itself."""
    headers = case.headers
    if headers is None or headers.get("Authorization") != cast.bearer(cast.customer):
        return
    if case.operation.path.startswith("/api/admin/"):
        headers["Authorization"] = cast.bearer(cast.admin)
        customer_id = str((case.path_parameters or {}).get("customer_id"))
        if customer_id in {str(i) for i in cast.protected}:
            case.path_parameters["customer_id"] = cast.victim_id
    elif case.operation.label == "DELETE /api/server/{server_id}":
        # DELETE comes early in the document: deleting this server would leave power, resize and
        # snapshot operations nothing but 404s.
        if str((case.path_parameters or {}).get("server_id")) == str(cast.server_id):
            case.path_parameters["server_id"] = cast.doomed_id
    elif case.operation.label in ("POST /api/auth/logout", "POST /api/auth/logout-all"):
        # Logging out ends the session it is called with (or all of the account's): never the
        # ones the other cases use.
        headers["Authorization"] = f"Bearer {cast.burner()}"


# Which module fuzzes which operations, by path. Every path matches exactly one part.
PARTS = {
    "admin": r"^/api/admin/",
    "servers": r"^/(api/server|create_machine)",
    "rest": r"^/(?!api/admin/|api/server|create_machine)",
}


# Thousands of requests from one address in well under a minute: the default limit (600 a minute)
# would answer most of them with 429 and test nothing behind it. Each fuzzing module imports this,
# since the sandbox fixture reads it off the module.
SANDBOX_SETTINGS = {"HOSTPROVIDER_REQUESTS_PER_MINUTE": "1000000"}


def operations_test(part: str) -> Callable[..., None]:
    """The test of one module's share of the operations: fifteen generated requests for each,
    valid ones and, from the negative phase, invalid ones, every answer held to the document."""
    schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=PARTS[part])

    @schema.parametrize()
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    def test_every_operation_answers_as_documented(case: schemathesis.Case, cast: Cast) -> None:
        _cast_for(case, cast)
        case.call_and_validate(checks=CHECKS)

    return test_every_operation_answers_as_documented
