"""A QEMU create whose clone worked but whose configuration is refused: until configured the clone
has the template's tags, not the spec's, so nobody but the adapter could know it for the creator's.
The adapter destroys it, and the create fails with the configuration's error."""

from __future__ import annotations

import pytest

from domain.model.catalogue import GuestKind
from domain.model.errors import ExternalFailure, Unavailable

from .conftest import NODE, QEMU_TEMPLATE, OnSimulator


def vm_spec(pve: OnSimulator):
    return pve.spec(
        200,
        kind=GuestKind.QEMU,
        template=str(QEMU_TEMPLATE),
        disk_gib=25,
        tags=("hostprovider", "server-7"),
    )


def test_a_clone_whose_configuration_is_refused_is_destroyed(pve: OnSimulator):
    pve.simulator.fail_next("reconfigure", message="update VM 200: storage is full")

    with pytest.raises(ExternalFailure, match="storage is full"):
        pve.hv.wait(pve.hv.create_guest(NODE, vm_spec(pve)))

    assert pve.simulator.guest(200) is None
    assert ("DELETE", f"/nodes/{NODE}/qemu/200") in pve.simulator.requests
    assert pve.simulator.guest(QEMU_TEMPLATE) is not None  # the template is left alone


def test_a_transient_error_in_the_configuration_keeps_the_clone_for_the_next_poll(
    pve: OnSimulator,
):
    pve.simulator.fail_next("reconfigure", http_status=503)
    ref = pve.hv.create_guest(NODE, vm_spec(pve))

    with pytest.raises(Unavailable):
        pve.hv.wait(ref)
    assert pve.simulator.guest(200) is not None  # not given up: the step is tried again

    pve.hv.wait(ref)

    guest = pve.simulator.guest(200)
    assert guest is not None and guest["tags"] == ["hostprovider", "server-7"]
    assert not any(method == "DELETE" for method, _ in pve.simulator.requests)
