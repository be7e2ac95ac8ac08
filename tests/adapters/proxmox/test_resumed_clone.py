"""A QEMU create is a clone, then its configuration, then its disk growth, and only the clone is a
PVE task: the rest lives in the creating process. If that process dies in between, the saga's
next run asks for the same guest again, and must get it finished, not an orphan."""

from __future__ import annotations

import pytest

from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from domain.model.catalogue import GuestKind
from domain.model.errors import AlreadyExists

from .conftest import NODE, QEMU_TEMPLATE, OnSimulator


def another_process(pve: OnSimulator) -> ProxmoxHypervisor:
    """A fresh adapter on the same cluster: nothing of the first one's memory."""
    client = ProxmoxClient(pve.hv._client.connection, sleep=pve.clock.advance)
    return ProxmoxHypervisor(client, pve.sites, clock=pve.clock, sleep=pve.clock.advance)


def vm_spec(pve: OnSimulator, **changes: object):
    return pve.spec(
        200,
        kind=GuestKind.QEMU,
        template=str(QEMU_TEMPLATE),
        cores=2,
        memory_mib=4096,
        disk_gib=25,
        tags=("hostprovider", "server-7"),
        **changes,
    )


def test_a_clone_left_unconfigured_by_a_dead_process_is_finished_by_the_next(pve: OnSimulator):
    spec = vm_spec(pve)
    pve.hv.create_guest(NODE, spec)  # the clone task starts; this process then "dies"
    pve.clock.advance(10)  # the clone task itself ends on the cluster
    half = pve.simulator.guest(200)
    assert half is not None and half["config"]["cores"] != "2" and not half["tags"]

    survivor = another_process(pve)
    survivor.wait(survivor.create_guest(NODE, spec))

    config = pve.simulator.guest(200)["config"]
    assert (config["cores"], config["memory"]) == ("2", "4096")
    assert "size=25G" in config["scsi0"] and "description" not in config
    guest = survivor.find_guest(200)
    assert guest is not None and "server-7" in guest.tags
    assert [g["vmid"] for g in pve.simulator.guests() if not g["template"]] == [200]


def test_a_guest_at_the_vmid_for_another_spec_is_still_taken(pve: OnSimulator):
    pve.hv.create_guest(NODE, vm_spec(pve))
    pve.clock.advance(10)
    survivor = another_process(pve)
    with pytest.raises(AlreadyExists):
        survivor.wait(survivor.create_guest(NODE, vm_spec(pve, hostname="someone-else")))
    finished = vm_spec(pve)
    survivor.wait(survivor.create_guest(NODE, finished))  # the right spec still completes
    with pytest.raises(AlreadyExists):  # and a configured guest is never taken over
        another_process(pve).wait(another_process(pve).create_guest(NODE, finished))
