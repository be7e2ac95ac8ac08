"""Simulated outside systems for the e2e stack: a Proxmox VE cluster that lives in the test process,
so that the API workers and every scheduler (separate processes, restarted at will) all talk to
the same guests over HTTP, as they would to a real cluster. The site file lays the sandbox
catalogue's locations out on its nodes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from domain.model.catalogue import GuestKind
from entrypoints import sandbox
from tests.simulators.proxmox import ProxmoxSimulator

STORAGE, BRIDGE = "local-lvm", "vmbr1"


@contextlib.contextmanager
def simulated_proxmox(task_seconds: float = 0.3) -> Iterator[ProxmoxSimulator]:
    """Every sandbox node with the LXC templates and a copy of each QEMU template; tasks take
    `task_seconds` of real time."""
    simulator = ProxmoxSimulator(task_seconds=task_seconds, resources_lag_seconds=2.0)
    catalogue = sandbox.sandbox_catalogue("RUB")
    for _, node in sandbox.sandbox_nodes():
        simulator.add_node(node, **sandbox.NODE_CAPACITY)
        for image in catalogue.images:
            if image.guest_kind is GuestKind.LXC:
                simulator.add_ostemplate(node, image.template)
    qemu = [image for image in catalogue.images if image.guest_kind is GuestKind.QEMU]
    # A vmid is cluster-wide and local storage cannot be cloned across nodes: the catalogue's vmid
    # is one node's template, every other node has a copy of the same name.
    spare_vmids = iter(range(8000, 9000))
    for image in qemu:
        name = f"tpl-{image.family}-{image.version}"
        for n, (_, node) in enumerate(sandbox.sandbox_nodes()):
            vmid = int(image.template) if n == 0 else next(spare_vmids)
            simulator.add_template(node, vmid, name)
    with simulator:
        yield simulator
    assert simulator.violations == [], simulator.violations


def write_site_file(folder: Path) -> Path:
    lines: list[str] = []
    nodes: dict[int, list[str]] = {}
    for location_id, node in sandbox.sandbox_nodes():
        nodes.setdefault(location_id, []).append(node)
    for location_id, names in nodes.items():
        quoted = ", ".join(f'"{n}"' for n in names)
        lines += [
            "[[location]]",
            f"id = {location_id}",
            f"nodes = [{quoted}]",
            f'storage = "{STORAGE}"',
            f'bridge = "{BRIDGE}"',
            'nameservers = ["1.1.1.1"]',
            f'supernet = "10.{10 + location_id}.0.0/16"',
            "",
        ]
    path = folder / "site.toml"
    path.write_text("\n".join(lines))
    return path


def proxmox_settings(simulator: ProxmoxSimulator, folder: Path) -> dict[str, str]:
    """HOSTPROVIDER_* settings (without the prefix) that point a process at the simulator."""
    return {
        "proxmox_url": simulator.url,
        "proxmox_token_id": simulator.token_id,
        "proxmox_token_secret": simulator.token_secret,
        "site_file": str(write_site_file(folder)),
    }
