"""The sandbox (`hostprovider serve`, no database) on the Proxmox adapter, seen from the cluster's
side: what the lifecycle test sees through the API is checked here on the simulated PVE itself,
down to the root password that a reset sends to an LXC container over ssh."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from .infrastructure import ProxmoxBackend, proxmox_backend
from .sandbox import Client, Sandbox, running_sandbox
from .test_lifecycle import ORDER, _customer, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster_and_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ProxmoxBackend, Sandbox]]:
    workdir = tmp_path_factory.mktemp("proxmox-sandbox")
    with (
        proxmox_backend(workdir, task_seconds=0.2) as cluster,
        running_sandbox(workdir, settings=cluster.settings) as sandbox,
    ):
        yield cluster, sandbox


def test_an_lxc_server_and_its_password_reset_reach_the_cluster(
    cluster_and_sandbox: tuple[ProxmoxBackend, Sandbox],
) -> None:
    cluster, sandbox = cluster_and_sandbox
    anonymous = Client(sandbox.base_url)
    admin = anonymous.login(sandbox.admin_email, sandbox.admin_password)
    customer, _ = _customer(anonymous, admin, Decimal("1000.00"))
    quote = customer.post("/api/quote", ORDER)
    created = customer.post(
        "/api/server/create", {**ORDER, "quoteId": quote["quoteId"], "name": "ct-1"}, expect=201
    )
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    server = customer.get(f"/api/server/{created['id']}")

    guest = cluster.simulator.guest(server["proxmoxId"])
    assert guest is not None and guest["type"] == "lxc" and guest["status"] == "running"
    assert guest["tags"] == ["hostprovider", f"server-{server['id']}"]
    assert guest["passwords"]["root"] == created["rootPassword"]
    assert cluster.shell.commands == []  # a create sets the password through the API

    reset = customer.post(f"/api/server/{server['id']}/password", expect=202)
    run(customer, reset, "password")

    guest = cluster.simulator.guest(server["proxmoxId"])
    assert guest is not None and guest["passwords"]["root"] == reset["password"]
    assert cluster.shell.commands == [f"pct exec {server['proxmoxId']} -- chpasswd"]
    for client in (customer, admin, anonymous):
        client.close()
