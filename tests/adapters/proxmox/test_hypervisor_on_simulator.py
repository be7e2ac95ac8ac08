"""What the Proxmox adapter sends and how it copes with PVE's ways, on the PVE simulator: the QEMU
clone sequence, LXC passwords over SSH, reconfigure, locks held by others, the lagging view."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from domain.model.catalogue import GuestKind
from domain.model.errors import Conflict, ExternalFailure, Locked, NotFound

from .conftest import NODE, QEMU_TEMPLATE, OnSimulator


def _created(pve: OnSimulator, vmid: int, **changes) -> None:
    pve.hv.wait(pve.hv.create_guest(NODE, pve.spec(vmid, **changes)))


def test_an_lxc_guest_is_created_unprivileged_with_its_network_and_credentials(pve):
    _created(pve, 100, cores=2, memory_mib=2048, disk_gib=12, tags=("hostprovider", "server-9"))
    config = pve.simulator.guest(100)["config"]
    assert config["unprivileged"] == "1"
    assert config["rootfs"].startswith("local-lvm:") and "size=12G" in config["rootfs"]
    assert (config["cores"], config["memory"], config["swap"]) == ("2", "2048", "512")
    net0 = dict(part.split("=", 1) for part in config["net0"].split(","))
    assert net0 == net0 | {
        "name": "eth0",
        "bridge": "vmbr0",
        "hwaddr": "02:48:50:00:00:01",
        "tag": "100",
        "ip": "10.20.0.5/24",
        "gw": "10.20.0.1",
    }
    assert config["nameserver"] == "10.20.0.2 10.20.0.3"
    assert config["tags"] == "hostprovider;server-9"
    assert pve.simulator.guest(100)["passwords"]["root"] == "Secret-pass-123"


def test_a_qemu_guest_is_cloned_then_configured_then_grown_under_one_task(pve):
    hv = pve.hv
    spec = pve.spec(
        200,
        kind=GuestKind.QEMU,
        template=str(QEMU_TEMPLATE),
        cores=2,
        memory_mib=4096,
        disk_gib=25,
        ssh_keys=("ssh-ed25519 AAAAC3Nza+/= alice@laptop", "ssh-rsa AAAAB3 bob"),
    )
    ref = hv.create_guest(NODE, spec)
    assert ":qmclone:" in ref.upid and hv.task(ref).running
    steps_seen = set()
    while hv.task(ref).running:  # polling alone carries the sequence forward
        steps_seen |= {kind for kind in ("qmclone", "resize") if _running(pve, kind)}
        pve.clock.advance(1)
    assert hv.task(ref).ok and steps_seen == {"qmclone", "resize"}
    config = pve.simulator.guest(200)["config"]
    assert config["name"] == "srv-200" and "lock" not in config
    assert (config["cores"], config["memory"]) == ("2", "4096")
    assert "size=25G" in config["scsi0"]
    assert config["net0"].split(",") == ["virtio=02:48:50:00:00:01", "bridge=vmbr0", "tag=100"]
    assert config["ipconfig0"] == "ip=10.20.0.5/24,gw=10.20.0.1"
    assert config["ciuser"] == "root" and config["cipassword"] != "Secret-pass-123"
    assert unquote(config["sshkeys"]) == "\n".join(spec.ssh_keys)
    guest = hv.find_guest(200)
    assert (guest.kind, guest.cores, guest.memory_mib, guest.disk_gib) == (
        GuestKind.QEMU,
        2,
        4096,
        25,
    )
    assert hv.wait(ref).ok  # asking again answers the same


def _running(pve: OnSimulator, kind: str) -> bool:
    return any(f":{kind}:" in upid for upid in pve.simulator.running_tasks())


def test_a_qemu_create_smaller_than_its_template_fails_in_its_task(pve):
    hv = pve.hv
    spec = pve.spec(201, kind=GuestKind.QEMU, template=str(QEMU_TEMPLATE), disk_gib=4)
    with pytest.raises(ExternalFailure, match="cannot shrink"):
        hv.wait(hv.create_guest(NODE, spec))


def test_find_guest_does_not_trust_the_lagging_cluster_view(pve):
    hv = pve.hv
    hv.all_stats()  # the view is taken now and never refreshed in this test
    _created(pve, 100)
    fresh = hv.find_guest(100)
    assert fresh is not None and fresh.status == "stopped"
    hv.wait(hv.start(NODE, 100))
    assert hv.find_guest(100).status == "running"
    before = len(pve.simulator.requests)
    assert hv.all_stats() == []  # the view does not know the guest's figures yet
    assert pve.simulator.requests[before:] == [("GET", "/cluster/resources")]
    assert [(g.vmid, g.template) for g in hv.guests(1)] == [(100, False), (QEMU_TEMPLATE, True)]


def test_an_lxc_password_goes_over_ssh_on_stdin(pve):
    hv = pve.hv
    _created(pve, 100)
    hv.wait(hv.start(NODE, 100))
    state = hv.wait(hv.set_password(NODE, 100, "Fresh-pass-789"))
    assert state.ok
    ((remote, stdin),) = pve.shell.commands
    assert remote == "pct exec 100 -- chpasswd" and stdin == b"root:Fresh-pass-789\n"
    assert pve.simulator.guest(100)["passwords"]["root"] == "Fresh-pass-789"


def test_without_the_ssh_setting_lxc_passwords_fail_naming_it(pve):
    hv = pve.without_lxc_passwords()
    _created(pve, 100)
    hv.wait(hv.start(NODE, 100))
    writes_before = [r for r in pve.simulator.requests if r[0] != "GET"]
    with pytest.raises(ExternalFailure, match="lxc_password_command") as refused:
        hv.set_password(NODE, 100, "Fresh-pass-789")
    assert refused.value.details["setting"] == "lxc_password_command"
    with pytest.raises(ExternalFailure, match="lxc_password_command"):
        hv.reconfigure(NODE, 100, pve.spec(100))
    assert [r for r in pve.simulator.requests if r[0] != "GET"] == writes_before


def test_a_qemu_password_goes_through_the_agent_and_cloud_init(pve):
    hv = pve.hv
    hv.wait(hv.create_guest(NODE, pve.spec(200, kind=GuestKind.QEMU, template="9000")))
    hv.wait(hv.start(NODE, 200))
    ref = hv.set_password(NODE, 200, "Fresh-pass-789")
    assert ":qmconfig:" in ref.upid and hv.wait(ref).ok
    assert pve.simulator.guest(200)["passwords"]["root"] == "Fresh-pass-789"
    assert ("POST", "/nodes/pve1/qemu/200/agent/set-user-password") in pve.simulator.requests


def test_a_qemu_guest_s_user_is_the_images(pve):
    # Windows images log in as Administrator: cloud-init (cloudbase-init) and the agent use it.
    hv = pve.hv
    spec = pve.spec(200, kind=GuestKind.QEMU, template="9000", user="Administrator")
    hv.wait(hv.create_guest(NODE, spec))
    assert pve.simulator.guest(200)["config"]["ciuser"] == "Administrator"
    hv.wait(hv.start(NODE, 200))
    hv.wait(hv.set_password(NODE, 200, "Fresh-pass-789", "Administrator"))
    assert pve.simulator.guest(200)["passwords"]["Administrator"] == "Fresh-pass-789"


def test_reconfigure_rewrites_a_pool_container(pve):
    hv = pve.hv
    _created(pve, 100, hostname="pool-100", tags=("hostprovider", "pool"), disk_gib=10)
    order = pve.spec(
        0,
        hostname="srv-42",
        cores=2,
        memory_mib=2048,
        disk_gib=16,
        mac_address="02:48:50:00:00:2a",
        vlan=142,
        ip_address="10.20.42.5/24",
        gateway="10.20.42.1",
        root_password="Customer-pass-1",
        tags=("hostprovider", "server-42"),
    )
    ref = hv.reconfigure(NODE, 100, order)
    assert ":resize:" in ref.upid
    hv.wait(ref)
    guest = pve.simulator.guest(100)
    config = guest["config"]
    assert config["hostname"] == "srv-42" and config["tags"] == "hostprovider;server-42"
    assert "hwaddr=02:48:50:00:00:2A" in config["net0"] and "tag=142" in config["net0"]
    assert "ip=10.20.42.5/24" in config["net0"] and "size=16G" in config["rootfs"]
    assert guest["passwords"]["root"] == "Customer-pass-1"
    remotes = [remote for remote, _ in pve.shell.commands]
    assert remotes[0].startswith("pct mount 100 ") and "chpasswd" in remotes[0]
    assert "authorized_keys" in remotes[1]


def test_reconfigure_without_growth_is_a_finished_local_task(pve):
    hv = pve.hv
    _created(pve, 100, tags=())
    ref = hv.reconfigure(NODE, 100, pve.spec(0, hostname="srv-b", tags=()))
    assert ref.upid.startswith(f"UPID:{NODE}:00000000:") and hv.task(ref).ok
    assert pve.simulator.guest(100)["name"] == "srv-b"


def test_a_lock_held_by_someone_else_is_locked_until_released(pve):
    hv = pve.hv
    _created(pve, 100)
    pve.simulator.hold_lock(100, "backup")
    with pytest.raises(Locked, match="backup"):
        hv.start(NODE, 100)
    pve.simulator.release_lock(100)
    hv.wait(hv.start(NODE, 100))


def test_an_open_console_does_not_block_power_actions(pve):
    hv = pve.hv
    _created(pve, 100)
    hv.wait(hv.start(NODE, 100))
    ticket = hv.console(NODE, 100)
    assert "console=lxc" in ticket.url and ticket.ticket.startswith("PVEVNC:")
    hv.wait(hv.reboot(NODE, 100))


def test_a_qemu_console_is_kvm(pve):
    hv = pve.hv
    hv.wait(hv.create_guest(NODE, pve.spec(200, kind=GuestKind.QEMU, template="9000")))
    hv.wait(hv.start(NODE, 200))
    assert "console=kvm" in hv.console(NODE, 200).url


def test_shutdown_is_one_task_that_forces_the_stop_itself(pve):
    hv = pve.hv
    _created(pve, 100)
    hv.wait(hv.start(NODE, 100))
    ref = hv.shutdown(NODE, 100)
    assert ":vzshutdown:" in ref.upid
    hv.wait(ref)
    assert pve.simulator.guest(100)["status"] == "stopped"


def test_reboot_of_a_stopped_guest_is_a_conflict_and_a_wrong_node_not_found(pve):
    hv = pve.hv
    _created(pve, 100)
    with pytest.raises(Conflict):
        hv.reboot(NODE, 100)
    pve.sites[1] = pve.sites[1].__class__((NODE, "pve9"), "local-lvm", "vmbr0")
    with pytest.raises(NotFound):
        hv.start("pve9", 100)  # a node we serve but PVE does not know
