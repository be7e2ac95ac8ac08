"""Orders placed through the API while a billing run goes, from a process of their own.

The API runs where production runs it, in a process apart from the scheduler's billing: here a
spawned process holding the Falcon app over the PostgreSQL unit of work (procrastinate deferring
the provisioning job in the order's transaction, as in production), driven in-process by
`falcon.testing`, so an order's latency is the app's and the database's, not a network's nor the
billing threads' share of one interpreter. Its customers are registered with the use case (the
public sign-up is throttled per address) and log in through the API; their ids are the first
seeded owners, so each orders from a wallet the seed funded and the billing run charges.

`OrderLoad.start` sets the process up and returns once its customers are logged in; `go()` starts
the orders (ORDERS_PER_SECOND, on a fixed schedule, customers in turn) and `stop()` ends them and
returns each order's answer: latency, status and the server it made. `for_seconds` places them on
an otherwise idle database, the baseline the orders during the run are read against.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

import attrs
import psycopg

ORDERS_PER_SECOND = 5
# A customer may have 25 servers: 5 seeded leave room for 20 orders each, 400 s of orders in all.
CUSTOMERS = 100
ORDER = {"osId": 1, "tariffId": 1}  # the sandbox catalogue's smallest tariff in Moscow
PASSWORD = "billing bench orderer password"


@attrs.frozen
class Order:
    customer_id: int
    seconds: float
    status: int
    server_id: int | None


@attrs.frozen
class Orders:
    placed: list[Order]

    def percentile(self, share: float) -> float:
        """Latency in seconds below which `share` of the orders answered (nearest rank)."""
        ordered = sorted(o.seconds for o in self.placed)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    @property
    def created(self) -> list[Order]:
        return [o for o in self.placed if o.status == 201 and o.server_id is not None]


class OrderLoad:
    """The order process, told by messages on one pipe: it answers "ready" once its customers are
    logged in, orders from "go" until "stop" and answers the orders, and ends at "end"."""

    def __init__(self, process: Any, pipe: Connection) -> None:
        self._process, self._pipe = process, pipe

    @classmethod
    def start(cls, url: str, now: dt.datetime, customers: int = CUSTOMERS) -> OrderLoad:
        spawn = multiprocessing.get_context("spawn")  # no fork of a process with pools and threads
        pipe, theirs = spawn.Pipe()
        process = spawn.Process(
            target=_place_orders, args=(url, now, customers, theirs), name="orders", daemon=True
        )
        process.start()
        if not pipe.poll(120) or pipe.recv() != "ready":
            process.kill()
            raise RuntimeError("the order process did not get ready")
        return cls(process, pipe)

    def go(self) -> None:
        self._pipe.send("go")

    def stop(self) -> Orders:
        self._pipe.send("stop")
        return Orders([Order(*o) for o in self._pipe.recv()])

    def for_seconds(self, seconds: float) -> Orders:
        self.go()
        time.sleep(seconds)
        return self.stop()

    def end(self) -> None:
        self._pipe.send("end")
        self._process.join(30)


def _place_orders(url: str, now: dt.datetime, customers: int, pipe: Connection) -> None:
    # Imported here: the spawned process builds its own back office.
    from falcon import testing

    from adapters.memory import FakeClock
    from adapters.postgres.pool import make_pool, open_pool
    from domain.model.commands import NewAccount
    from domain.usecases import accounts
    from entrypoints.container import postgres_counters, postgres_store
    from entrypoints.http.app import create_app
    from tests.backoffice import Backoffice

    pool = open_pool(make_pool(url, size=2, name="orders"))
    office = Backoffice(
        store=postgres_store(pool), counters=postgres_counters(pool), clock=FakeClock(now)
    )
    client = testing.TestClient(create_app(office.rt))
    logged_in: list[tuple[int, dict[str, str]]] = []
    for n in range(customers):
        email = f"orderer{n}@bench.example"
        account = accounts.register(office.rt, NewAccount(email, PASSWORD))
        answer = client.simulate_post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        logged_in.append((account.id, {"Authorization": f"Bearer {answer.json['access_token']}"}))
        # Each customer's first read warms what an order reads too (catalogue, token, account).
        assert client.simulate_get("/api/balance", headers=logged_in[-1][1]).status_code == 200
    pipe.send("ready")
    turn = 0
    while pipe.recv() == "go":
        placed: list[tuple[int, float, int, int | None]] = []
        began = time.monotonic()
        while not pipe.poll():
            # On a fixed schedule: an order that waited does not push the next ones later.
            time.sleep(max(0.0, began + len(placed) / ORDERS_PER_SECOND - time.monotonic()))
            customer_id, headers = logged_in[turn % len(logged_in)]
            turn += 1
            sent = time.perf_counter()
            answer = client.simulate_post("/api/server/create", headers=headers, json=ORDER)
            seconds = time.perf_counter() - sent
            server_id = answer.json.get("id") if answer.status_code == 201 else None
            placed.append((customer_id, seconds, answer.status_code, server_id))
        pipe.recv()  # "stop"
        pipe.send(placed)
    pool.close()


# --- charged exactly once ------------------------------------------------------------------------

# One pass over the ledger: the transactions of the orders' servers, by kind.
_MOVEMENTS = """
SELECT t.server_id, t.kind, count(DISTINCT t.id),
       coalesce(sum(p.amount) FILTER (WHERE p.account_key LIKE 'wallet:%%'), 0)
  FROM ledger_transactions t
  JOIN postings p ON p.tx_id = t.id
 WHERE t.server_id = ANY(%(ids)s)
 GROUP BY 1, 2
"""


def charged_once(url: str, orders: Orders) -> int:
    """Every order answered 201 and made one server of the ordering customer's, held its first
    charge out of that customer's wallet once, and nothing else: the micro-units each order held."""
    refused = [o for o in orders.placed if o not in orders.created]
    assert not refused, f"{len(refused)} orders were not created: {refused[:3]}"
    made = {o.server_id: o.customer_id for o in orders.created}
    assert len(made) == len(orders.placed), "two orders answered with the same server"
    with psycopg.connect(url) as conn:
        owners = dict(
            conn.execute("SELECT id, owner_id FROM servers WHERE id = ANY(%s)", (list(made),))
        )
        movements = conn.execute(_MOVEMENTS, {"ids": list(made)}).fetchall()
    assert owners == made, "an order's server is missing or someone else's"
    holds = {server_id: (count, -int(moved)) for server_id, kind, count, moved in movements}
    others = [(server_id, kind) for server_id, kind, _, _ in movements if kind != "hold"]
    assert not others, f"orders' servers with other movements: {others[:3]}"
    assert set(holds) == set(made), "an order held nothing"
    amounts = {moved for count, moved in holds.values() if count == 1}
    assert len(amounts) == 1 and len(holds) == sum(c == 1 for c, _ in holds.values()), holds
    return amounts.pop()
