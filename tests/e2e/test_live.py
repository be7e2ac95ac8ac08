"""The live feed against a live sandbox: the seed's own JavaScript client (npm socket.io-client),
and a python-socketio client for every rule: credentials, someone else's server, unsubscribing,
a revoked token, and alerts that a sandbox load raises and clears."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shutil
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import socketio

from .sandbox import Client, Sandbox, command
from .stack import Stack, running_stack
from .test_lifecycle import ORDER, _customer
from .test_postgres_stack import customer_with_credit, order
from .test_simulated_infrastructure import simulate

pytestmark = pytest.mark.e2e

SANDBOX_SETTINGS = {"HOSTPROVIDER_MONITOR_SECONDS": "1"}
INTERVAL = 1.0
WAIT = 8 * INTERVAL  # generous: a pass, its relay, and a slow machine
SEED_CLIENT = Path(__file__).resolve().parents[1] / "js" / "seed_example.mjs"


@pytest.fixture(scope="module")
def admin(sandbox: Sandbox) -> Iterator[Client]:
    client = Client(sandbox.base_url).login(sandbox.admin_email, sandbox.admin_password)
    yield client
    client.close()


def customer_with_server(sandbox: Sandbox, admin: Client) -> tuple[Client, int]:
    customer, _ = _customer(Client(sandbox.base_url), admin, Decimal("1000.00"))
    quote = customer.post("/api/quote", ORDER)
    created = customer.post(
        "/api/server/create", {**ORDER, "quoteId": quote["quoteId"]}, expect=201
    )
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    return customer, created["id"]


def token_of(client: Client) -> str:
    return client.session.headers["Authorization"].removeprefix("Bearer ")


class Listener:
    """A python-socketio client that queues every event it gets."""

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        for name in ("server-stats", "server-alerts", "error"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.on("disconnect", lambda *_: self.events.put(("disconnect", None)))

    def connect(self, url: str, token: str | None) -> Listener:
        self.client.connect(
            url, auth={"token": token} if token else None, transports=["websocket"], wait_timeout=10
        )
        return self

    def next(self, name: str, timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == name:
                return data
        raise AssertionError(f"no {name} within {timeout} s")

    def drain(self) -> list[tuple[str, Any]]:
        found = []
        while not self.events.empty():
            found.append(self.events.get_nowait())
        return found

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def watching(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> tuple[Client, int, dict[str, Any]]:
    """A customer with a running server, `listener` connected with their token and subscribed to
    it; the first `server-stats` it got."""
    customer, server_id = customer_with_server(sandbox, admin)
    listener.connect(sandbox.base_url, token_of(customer))
    listener.client.emit("subscribe-server", server_id)
    return customer, server_id, listener.next("server-stats")


@pytest.fixture
def listener() -> Iterator[Listener]:
    made = Listener()
    yield made
    made.close()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_seeds_javascript_client_gets_server_stats(sandbox: Sandbox, admin: Client) -> None:
    if not (SEED_CLIENT.parent / "node_modules" / "socket.io-client").exists():
        pytest.fail("npm socket.io-client is missing: `make test` installs it", pytrace=False)
    customer, server_id = customer_with_server(sandbox, admin)
    run = subprocess.run(
        ["node", str(SEED_CLIENT), sandbox.base_url, token_of(customer), str(server_id)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    event = json.loads(run.stdout.strip().splitlines()[-1])
    status = customer.get(f"/api/server/{server_id}/status")["stats"]["data"]
    assert event["serverId"] == server_id
    # The live figures have the status route's shape (less its RRD history).
    assert set(event["stats"]) == set(status) - {"rrdData"}
    assert event["stats"]["vmid"] == status["vmid"]
    assert set(event["stats"]["memory"]) == {"used", "max", "usage"}


@pytest.mark.parametrize("token", [None, "not-a-token", "hp_" + "0" * 40])
def test_a_connection_without_valid_credentials_is_refused(sandbox: Sandbox, token: Any) -> None:
    listener = Listener()
    with pytest.raises(socketio.exceptions.ConnectionError):
        listener.connect(sandbox.base_url, token)


def test_a_token_needs_servers_read_for_the_feed(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> None:
    customer, server_id = customer_with_server(sandbox, admin)
    billing = customer.post("/api/tokens", {"name": "b", "scopes": ["billing:read"]}, expect=201)
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener().connect(sandbox.base_url, billing["token"])
    monitor = customer.post("/api/tokens", {"name": "m", "scopes": ["servers:read"]}, expect=201)
    listener.connect(sandbox.base_url, monitor["token"])
    listener.client.emit("subscribe-server", server_id)
    assert listener.next("server-stats")["serverId"] == server_id


def test_a_subscriber_gets_its_servers_figures_and_stops_when_it_unsubscribes(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> None:
    customer, server_id, first = watching(sandbox, admin, listener)
    assert first["serverId"] == server_id and first["stats"]["status"] == "running"
    assert listener.next("server-stats")["serverId"] == server_id  # every pass, not once

    listener.client.emit("unsubscribe-server", server_id)
    time.sleep(2 * INTERVAL)  # a pass may have been under way while unsubscribing
    listener.drain()
    time.sleep(3 * INTERVAL)
    assert [name for name, _ in listener.drain()] == []


def test_someone_elses_server_answers_not_found_and_sends_nothing(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> None:
    _, theirs = customer_with_server(sandbox, admin)
    mine, _ = customer_with_server(sandbox, admin)
    listener.connect(sandbox.base_url, token_of(mine))
    listener.client.emit("subscribe-server", theirs)
    assert listener.next("error") == {"error": f"server {theirs} not found"}
    listener.client.emit("subscribe-server", 999_999)
    assert listener.next("error") == {"error": "server 999999 not found"}
    time.sleep(3 * INTERVAL)
    assert [n for n, _ in listener.drain() if n == "server-stats"] == []


def test_a_revoked_token_loses_its_socket(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> None:
    customer, server_id, _ = watching(sandbox, admin, listener)
    customer.post("/api/auth/logout", expect=None)
    listener.next("disconnect")
    assert not listener.client.connected


def test_a_sandbox_load_raises_an_alert_and_a_lower_one_clears_it(
    sandbox: Sandbox, admin: Client, listener: Listener
) -> None:
    customer, server_id, _ = watching(sandbox, admin, listener)

    load = f"/api/sandbox/servers/{server_id}/load"
    customer.put(load, {"cpu": 95}, expect=403)  # the sandbox's hand is the admin's
    admin.put(load, {"cpu": 95, "memory": 40, "disk": 30})
    raised = listener.next("server-alerts")
    assert raised == {
        "serverId": server_id,
        "alerts": [{"type": "cpu", "message": "CPU usage is at 95%", "level": "warning"}],
    }
    admin.put(load, {"cpu": 70})
    cleared = listener.next("server-alerts")
    assert cleared["alerts"] == [
        {"type": "cpu", "message": "CPU usage is back to 70%", "level": "info"}
    ]
    admin.put(load, {"cpu": 101}, expect=400)
    admin.put(f"/api/sandbox/servers/{server_id + 10_000}/load", {"cpu": 5}, expect=404)


# --- on PostgreSQL: schedulers notify, any number of realtime processes deliver ------------------


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with simulate(tmp_path_factory.mktemp("simulated")) as settings:
        unprefixed = {key.removeprefix("HOSTPROVIDER_").lower(): v for key, v in settings.items()}
        with running_stack(
            tmp_path_factory.mktemp("stack"), monitor_seconds="1", **unprefixed
        ) as live:
            live.start_api()
            live.start_scheduler()
            yield live


def test_two_realtime_processes_both_deliver_a_schedulers_figures(pg_stack: Stack) -> None:
    customer, _ = customer_with_credit(pg_stack)
    created = order(customer, "live-on-postgres", name="live-1")
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    server_id = created["id"]
    urls = [pg_stack.start_realtime("realtime-1"), pg_stack.start_realtime("realtime-2")]
    listeners = [Listener().connect(url, token_of(customer)) for url in urls]
    try:
        for listener in listeners:
            listener.client.emit("subscribe-server", server_id)
        for listener in listeners:
            event = listener.next("server-stats")
            assert event["serverId"] == server_id and event["stats"]["status"] == "running"
        refused = Listener()
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(urls[0], "hp_" + "1" * 40)
        # Every pass is also stored: the history on PostgreSQL grows with each interval.
        recent = "from=" + (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
        path = f"/api/server/{server_id}/metrics?step=1&{recent.replace('+', '%2B')}"
        before = len(customer.get(path)["points"])
        listeners[0].next("server-stats")
        listeners[0].next("server-stats")
        after = customer.get(path)["points"]
        assert len(after) > before >= 1
        assert after[-1]["cpu"] >= 0 and after[-1]["memory"] > 0
    finally:
        for listener in listeners:
            listener.close()
    customer.close()


def test_realtime_without_a_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [command(), "realtime", "--bind", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("HOSTPROVIDER_")},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "serves /socket.io/ itself" in result.stderr
