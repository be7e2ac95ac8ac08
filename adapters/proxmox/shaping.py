"""Changing an existing guest: its whole spec (a warm-pool guest becoming a customer's server),
its size, its password. Each is one TaskRef over the calls it takes (tasks.py); each checks first
that the guest is idle and, for what grows, that its node has room (guards.py)."""

from __future__ import annotations

import attrs

from adapters.proxmox import lxc_password, specs
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.guards import Guards
from adapters.proxmox.guests import Guests, guest_path
from adapters.proxmox.inventory import Inventory
from adapters.proxmox.lxc_password import LxcPasswordCommand
from adapters.proxmox.tasks import Step, TaskTracker, task_ref
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import Conflict
from ports.hypervisor import GuestSpec, TaskRef


@attrs.frozen
class Shaping:
    _client: ProxmoxClient
    _inventory: Inventory
    _guests: Guests
    _guards: Guards
    _tasks: TaskTracker
    _lxc_password: LxcPasswordCommand | None

    def reconfigure(self, node: str, vmid: int, spec: GuestSpec) -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._guests.current(node, vmid)
        command = lxc_password.required(self._lxc_password) if kind is GuestKind.LXC else None
        if status.get("status") == "running":
            raise Conflict(f"guest {vmid} must be stopped to be reconfigured", vmid=vmid)
        config = self._changeable(node, kind, vmid, status)
        self._guards.ensure_growth(node, site, kind, config, spec.size)
        put, grow = self._guests.put_config, self._guests.grow
        steps: list[Step]
        if command is not None:  # a container
            steps = [
                lambda: put(node, kind, vmid, specs.lxc_config(spec, site, config)),
                lambda: command.set_root_password(node, vmid, spec.root_password, running=False),
                lambda: command.set_authorized_keys(node, vmid, spec.ssh_keys, running=False),
                lambda: grow(node, kind, vmid, site, spec.disk_gib),
            ]
        else:
            steps = [
                lambda: put(node, kind, vmid, specs.qemu_config(spec, site, config)),
                lambda: grow(node, kind, vmid, site, spec.disk_gib),
            ]
        return self._tasks.run(node, vmid, steps, local_type="hostprovider-reconfigure")

    def resize(
        self, node: str, vmid: int, *, cores: int, memory_mib: int, disk_gib: int
    ) -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._guests.current(node, vmid)
        config = self._changeable(node, kind, vmid, status)
        self._guards.ensure_growth(
            node, site, kind, config, ServerConfig(cores, memory_mib, disk_gib)
        )
        steps: list[Step] = [
            lambda: self._guests.put_config(
                node, kind, vmid, {"cores": cores, "memory": memory_mib}
            ),
            lambda: self._guests.grow(node, kind, vmid, site, disk_gib),
        ]
        if kind is GuestKind.QEMU and status.get("status") == "running":
            # Without CPU and memory hotplug a running VM keeps its old size as a pending change;
            # PVE's reboot (a stop and start, unlike one inside the guest) applies it.
            steps.append(lambda: self._apply_pending(node, vmid))
        return self._tasks.run(node, vmid, steps, local_type="hostprovider-resize")

    def _apply_pending(self, node: str, vmid: int) -> TaskRef | None:
        pending = self._client.get(guest_path(node, GuestKind.QEMU, vmid, "pending")) or []
        if not any("pending" in entry or entry.get("delete") for entry in pending):
            return None
        return task_ref(
            self._client.post(guest_path(node, GuestKind.QEMU, vmid, "status", "reboot"))
        )

    def set_password(self, node: str, vmid: int, password: str, user: str = "") -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._guests.current(node, vmid)
        running = status.get("status") == "running"
        self._guards.ensure_idle(node, vmid, status)
        if kind is GuestKind.LXC:
            command = lxc_password.required(self._lxc_password)
            steps: list[Step] = [
                lambda: command.set_root_password(node, vmid, password, running=running)
            ]
            return self._tasks.run(node, vmid, steps, local_type="hostprovider-password")
        if running:
            # The guest agent changes it now; cloud-init's copy below keeps it after a rebuild.
            self._client.post(
                guest_path(node, kind, vmid, "agent", "set-user-password"),
                username=user or site.qemu_user,
                password=password,
            )
        config = guest_path(node, kind, vmid, "config")
        return task_ref(self._client.post(config, cipassword=password))

    def _changeable(self, node: str, kind: GuestKind, vmid: int, status: dict) -> dict:
        """The config of a guest about to be changed, which must be idle."""
        self._guards.ensure_idle(node, vmid, status)
        return self._guests.config(node, kind, vmid)
