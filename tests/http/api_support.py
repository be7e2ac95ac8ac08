"""The HTTP API wired to the in-memory back office, and the few helpers every HTTP test needs.

`Api` is one back office (tests/backoffice.py), the Falcon app over it and a
`falcon.testing.TestClient`. Customers and the admin are made through the API itself (the admin's
account is registered with the use case, since no route creates admins). `Api.state()` summarises
everything a request could change, so that a refused request can be shown to have changed nothing.

(This directory has no `__init__.py` on purpose: as a package it would be named `http` and shadow
the standard library's.)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import falcon
from falcon import testing

from domain.model.accounts import Role
from domain.model.commands import NewAccount
from domain.model.errors import DomainError
from domain.usecases import accounts
from entrypoints.config import Settings
from entrypoints.container import postgres_counters, postgres_store
from entrypoints.http.app import create_app
from tests.backoffice import FAST, Backoffice, OnBackoffice
from tests.backoffice import START as START

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

SETTINGS = attrs.evolve(FAST, sandbox_task_seconds=0)  # jobs run inline, tasks take no time
PASSWORD = "correct horse battery"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DECIMAL = re.compile(r"^-?\d+\.\d{2,6}$")
SERVER_FIELDS = {
    "id",
    "userId",
    "tariffId",
    "osId",
    "status",
    "proxmoxId",
    "ipAddress",
    "createdAt",
    "updatedAt",
    "os",
    "tariff",
}
# Tariff 1 ("Старт": 1 core, 1 GiB, 20 GiB) in location 1 costs 0.95 an hour; the first charge is
# one billing period (an hour) of it.
FIRST_CHARGE = "0.95"

Result = testing.Result


@attrs.frozen
class User:
    id: int
    email: str
    token: str
    csrf: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def is_money(value: object, currency: str = "RUB") -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"amount", "exact", "currency"}
        and isinstance(value["amount"], str)
        and bool(DECIMAL.match(value["amount"]))
        and bool(DECIMAL.match(value["exact"]))
        and value["currency"] == currency
    )


def assert_error(
    result: Result, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """The response is the API's error shape with this status and code (and names `field`)."""
    assert result.status_code == status, (result.status, result.text)
    body = result.json
    assert set(body) == {"error", "code", "details"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], dict)
    assert body["code"] == code, body
    if field is not None:
        assert body["details"].get("field") == field, body
    assert result.headers.get("X-Request-Id")
    return body  # type: ignore[no-any-return]


def assert_server_view(server: dict[str, Any]) -> None:
    """A server as the seed API shows it: its fields, nested os and tariff, and never a password."""
    assert set(server) >= SERVER_FIELDS, server
    assert "rootPassword" not in server and "password" not in server
    assert set(server["os"]) == {"id", "name", "type"}
    assert server["os"]["id"] == server["osId"]
    if server["tariff"] is not None:
        assert set(server["tariff"]) == {"id", "name", "price"}
        assert server["tariff"]["id"] == server["tariffId"]
        assert is_money(server["tariff"]["price"])
    for field in ("createdAt", "updatedAt"):
        assert RFC3339_UTC.match(server[field]), server[field]


class Api(OnBackoffice):
    def __init__(self, office: Backoffice | Settings | None = None, **app_options: Any) -> None:
        """The memory store by default, on SETTINGS or the settings given; `on_postgres` puts the
        API on PostgreSQL."""
        if not isinstance(office, Backoffice):
            office = Backoffice(office if office is not None else SETTINGS)
        self.office = office
        self.app: falcon.App = create_app(self.rt, **app_options)
        self.client = testing.TestClient(self.app)
        self._numbers = itertools.count(1)
        self._admin: User | None = None

    @classmethod
    def on_postgres(cls, pool: ConnectionPool) -> Api:
        """The API on a PostgreSQL database, with no catalogue: jobs are deferred to the
        database's queue, with no worker to run them."""
        office = Backoffice(
            SETTINGS,
            store=postgres_store(pool),
            counters=postgres_counters(pool),
            catalogue=False,
        )
        return cls(office)

    # --- requests --------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        user: User | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Result:
        sent = {**(user.auth if user else {}), **(headers or {})}
        return self.client.simulate_request(method, path, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Result:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Result:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Result:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Result:
        return self.request("DELETE", path, **kwargs)

    def raw(
        self,
        method: str,
        path: str,
        body: str | bytes,
        *,
        user: User | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Result:
        """A body sent exactly as given, JSON or not."""
        return self.request(
            method,
            path,
            user=user,
            body=body,
            headers={"Content-Type": content_type, **(headers or {})},
        )

    # --- people and money ------------------------------------------------------------------------
    def new_email(self) -> str:
        return f"customer{next(self._numbers)}@example.com"

    def new_key(self) -> str:
        return f"key-{next(self._numbers)}"

    def register(self, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
        result = self.post(
            "/api/auth/register", json={"email": email or self.new_email(), "password": password}
        )
        assert result.status_code == 201, result.text
        return result.json  # type: ignore[no-any-return]

    def login(self, email: str, password: str = PASSWORD) -> User:
        result = self.post("/api/auth/login", json={"email": email, "password": password})
        assert result.status_code == 200, result.text
        body = result.json
        return User(body["user"]["id"], email, body["access_token"], body["csrf_token"])

    def customer(self, balance: str | None = "1000.00") -> User:
        account = self.register()
        user = self.login(account["email"])
        if balance is not None:
            self.credit(user, balance)
        return user

    @property
    def admin(self) -> User:
        if self._admin is None:
            email = "root@admin.example"
            accounts.register(self.rt, NewAccount(email, PASSWORD, role=Role.ADMIN))
            self._admin = self.login(email)
        return self._admin

    def credit(self, user: User, amount: str) -> Result:
        result = self.post(
            f"/api/admin/customers/{user.id}/credit",
            user=self.admin,
            json={"amount": amount, "reason": "credit for the test"},
            headers={"Idempotency-Key": self.new_key()},
        )
        assert result.status_code == 200, result.text
        return result

    def balance(self, user: User) -> str:
        result = self.get("/api/balance", user=user)
        assert result.status_code == 200, result.text
        return result.json["exact"]["amount"]  # type: ignore[no-any-return]

    # --- servers ---------------------------------------------------------------------------------
    def order(self, user: User, **body: Any) -> dict[str, Any]:
        """Order a server (tariff 1 unless told otherwise); the create response."""
        result = self.post("/api/server/create", user=user, json=body or {"osId": 1, "tariffId": 1})
        assert result.status_code == 201, result.text
        return result.json  # type: ignore[no-any-return]

    def running_server(self, user: User, **body: Any) -> dict[str, Any]:
        """A server that has been provisioned and runs (jobs run inline; tasks take no time)."""
        created = self.order(user, **body)
        server = self.server(user, created["id"])
        assert server["status"] == "running", server
        return server

    def server(self, user: User, server_id: int) -> dict[str, Any]:
        result = self.get(f"/api/server/{server_id}", user=user)
        assert result.status_code == 200, result.text
        return result.json  # type: ignore[no-any-return]

    def snapshot_names(self, vmid: int) -> list[str]:
        guest = self.hypervisor.guest(vmid)
        assert guest is not None
        return [s.name for s in self.hypervisor.snapshots(guest.node, vmid)]

    # --- what a request could have changed -------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything a request could write, in comparable form (token use times aside)."""
        with self.store.lock:
            t = self.store.tables
            stored = {
                name: {k: repr(v) for k, v in t[name].items()}
                for name in (
                    "accounts",
                    "servers",
                    "actions",
                    "promos",
                    "ledger_balances",
                    "ledger_unsettled",
                    "ip_by_server",
                    "idempotency",
                    "notices",
                    "tickets",
                    "second_factors",
                )
            }
            stored["tokens"] = sorted(t["tokens"])
            stored["ledger_txs"] = [tx.key for tx in t["ledger_txs"]]
            stored["redemptions"] = [repr(r) for r in t["redemptions"]]
        guests = self.hypervisor.guests_all()
        stored["guests"] = [repr(g) for g in guests]
        stored["snapshots"] = {
            g.vmid: self._snapshots(g.node, g.vmid) for g in guests if not g.template
        }
        stored["passwords"] = {g.vmid: self.hypervisor.password_of(g.vmid) for g in guests}
        stored["pending_jobs"] = len(self.jobs.pending)
        return stored

    def _snapshots(self, node: str, vmid: int) -> list[str] | str:
        try:
            return [s.name for s in self.hypervisor.snapshots(node, vmid)]
        except DomainError as ex:  # a node taken offline by the test
            return ex.code

    def audit(self) -> list[Any]:
        """Audit records, oldest first."""
        with self.rt.uow() as uow:
            return list(reversed(uow.audit.recent(100_000)))


def api_on(store: str) -> Iterator[Api]:
    """An API on the memory store, or on a scratch PostgreSQL database dropped afterwards."""
    if store == "memory":
        yield Api()
        return
    from tests.contract.postgres import session_database

    for database in session_database():
        yield Api.on_postgres(database.pool)
