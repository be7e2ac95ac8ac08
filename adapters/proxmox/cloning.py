"""A QEMU guest is a full clone of a template, then its cloud-init config, then its disk growth:
one TaskRef covers the three (tasks.py). The steps after the clone live in this process's memory,
so the clone carries a marker (`specs.clone_marker`) until it is configured: a process that died
in between leaves a guest the next attempt recognises as its own and finishes, rather than calling
the vmid taken and orphaning it. A configuration that fails for good destroys the clone, which
would otherwise carry the template's tags and nothing to tell the caller it is theirs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import attrs

from adapters.proxmox import specs
from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.guards import Guards
from adapters.proxmox.guests import Guests
from adapters.proxmox.inventory import Inventory, as_int
from adapters.proxmox.tasks import Step, TaskTracker, task_ref
from domain.model.catalogue import GuestKind
from domain.model.errors import DomainError, NotFound, Unavailable, ValidationError
from ports.hypervisor import GuestSpec, TaskRef

_KIND = GuestKind.QEMU


@attrs.frozen
class Cloning:
    _client: ProxmoxClient
    _inventory: Inventory
    _guests: Guests
    _guards: Guards
    _tasks: TaskTracker
    _destroy: Callable[[str, int], TaskRef]

    def create(self, node: str, spec: GuestSpec, site: ProxmoxSite) -> TaskRef:
        try:
            template = int(spec.template)
        except ValueError:
            raise ValidationError("template", "must be the vmid of a QEMU template") from None
        source, template = self._source(node, template)
        marker = specs.clone_marker(spec)

        def clone() -> TaskRef:
            ref = task_ref(
                self._client.post(
                    api_path("nodes", source, "qemu", template, "clone"),
                    newid=spec.vmid,
                    name=spec.hostname,
                    description=marker,
                    full=True,
                    storage=site.storage,
                    target=node if source != node else None,
                )
            )
            self._guests.learn(spec.vmid, _KIND, node)
            return ref

        def configure() -> None:
            # What the template carried and the spec leaves empty (its tags, keys) goes.
            cloned = self._guests.config(node, _KIND, spec.vmid)
            self._guests.put_config(node, _KIND, spec.vmid, specs.qemu_config(spec, site, cloned))

        steps: list[Step] = [
            clone,
            self._or_discard(node, spec.vmid, configure),
            lambda: self._guests.grow(node, _KIND, spec.vmid, site, spec.disk_gib),
        ]
        if self._unfinished(node, spec.vmid, marker):
            steps = steps[1:]  # a crashed process cloned it: finish its work
        return self._tasks.run(node, spec.vmid, steps, local_type="hostprovider-create")

    def _source(self, node: str, template: int) -> tuple[str, int]:
        """The node and vmid to clone from. A vmid names one guest in the whole cluster, but a full
        clone from local storage only works on the template's own node, so each node keeps its
        own copy under the same name: the catalogue's vmid picks the name, the target node's copy
        is cloned. Without a copy there, the named template itself (shared storage)."""
        templates = [r for r in self._inventory.cluster_guests() if as_int(r.get("template"))]
        named = next((r for r in templates if as_int(r.get("vmid")) == template), None)
        if named is None:
            return node, template  # PVE answers for a template it does not have
        local = next(
            (r for r in templates if r.get("node") == node and r.get("name") == named.get("name")),
            None,
        )
        chosen = local if local is not None else named
        return str(chosen["node"]), int(chosen["vmid"])

    def _or_discard(self, node: str, vmid: int, configure: Callable[[], None]) -> Step:
        """The clone's configuration, which destroys the clone when it fails for good."""

        def step() -> None:
            try:
                configure()
            except Unavailable:
                raise  # the tracker tries the step again at its next poll
            except DomainError:
                with contextlib.suppress(DomainError):  # the original failure is the one to tell
                    self._tasks.wait(self._destroy(node, vmid))
                raise

        return step

    def _unfinished(self, node: str, vmid: int, marker: str) -> bool:
        """The guest at `vmid` is a clone for this very spec, never configured; one still being
        copied is waited for (its task runs on the template's node, under the template's vmid,
        so only its `lock: clone` tells it is ours)."""
        try:
            kind, status = self._guests.current(node, vmid)
        except NotFound:
            return False
        if kind is not _KIND:
            return False
        config = self._guests.config(node, kind, vmid)
        if config.get("description") != marker or as_int(config.get("template")):
            return False
        if status.get("lock") == "clone":
            try:
                status = self._guards.wait_unlocked(node, vmid)
            except NotFound:
                return False  # the clone failed, and PVE removed it: clone again
        self._guards.ensure_idle(node, vmid, status)
        return True
