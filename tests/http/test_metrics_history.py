"""GET /api/server/{id}/metrics: the history a monitoring pass grows, read back in points."""

from __future__ import annotations

import datetime as dt

import pytest
from api_support import Api, User, assert_error

from domain.usecases.monitoring import monitoring_pass

INTERVAL = dt.timedelta(seconds=30)


def passes(api: Api, count: int, *, cpu: float | None = None, vmid: int | None = None) -> None:
    for _ in range(count):
        if cpu is not None and vmid is not None:
            api.hypervisor.set_usage(vmid, cpu=cpu)
        monitoring_pass(api.rt)
        api.clock.advance(INTERVAL)


def test_the_history_grows_every_pass_with_every_figure(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    start = api.clock.now()
    passes(api, 4, cpu=0.35, vmid=server["proxmoxId"])

    result = api.get(
        f"/api/server/{server['id']}/metrics",
        user=customer,
        params={"from": start.isoformat(), "to": api.clock.now().isoformat(), "step": "30"},
    )

    assert result.status_code == 200
    body = result.json
    assert (body["serverId"], body["step"]) == (server["id"], 30)
    assert len(body["points"]) == 4
    first, last = body["points"][0], body["points"][-1]
    assert set(first) == {"at", "cpu", "memory", "disk", "netIn", "netOut", "diskRead", "diskWrite"}
    assert last["cpu"] == 35.0 and last["memory"] == 25.0
    # counters since boot turned into rates: the fake's guest sends 1200 B/s in, 800 out
    assert first["netIn"] == 0 and last["netIn"] == 1200 and last["netOut"] == 800
    assert last["diskRead"] == 4096 and last["diskWrite"] == 2048


def test_without_a_range_the_last_hour_comes_at_a_chosen_step(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    passes(api, 3)

    body = api.get(f"/api/server/{server['id']}/metrics", user=customer).json

    assert body["step"] == 30 and len(body["points"]) == 3


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"step": "1"}, 422, "step"),  # an hour at 1 s is 3600 points
        ({"step": "0"}, 400, "step"),
        ({"step": "1.5"}, 400, "step"),
        ({"from": "yesterday"}, 400, "from"),
        ({"from": "2026-01-15T11:00:00Z", "to": "2026-01-15T10:00:00Z"}, 422, "to"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-15T10:00:00Z"}, 422, "from"),
    ],
)
def test_a_bad_range_is_refused_naming_the_field(
    api: Api, customer: User, params: dict[str, str], status: int, field: str
) -> None:
    server = api.running_server(customer)
    code = "invalid" if status == 400 else "rule_violation"
    result = api.get(f"/api/server/{server['id']}/metrics", user=customer, params=params)
    assert_error(result, status, code, field)


def test_someone_elses_server_has_no_history_to_read(
    api: Api, customer: User, stranger: User
) -> None:
    server = api.running_server(customer)
    passes(api, 1)
    assert_error(api.get(f"/api/server/{server['id']}/metrics", user=stranger), 404, "not_found")
