"""The Proxmox simulator, driven with plain `requests` as an adapter would drive PVE."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.memory import FakeClock
from simulators.proxmox import ProxmoxSimulator

NODE = "pve1"
TEMPLATE = "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
UPID = re.compile(
    r"^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):"
    r"([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$"
)


class Api:
    """A thin client: paths below /api2/json, form bodies, the response as it came."""

    def __init__(self, pve: ProxmoxSimulator, session: requests.Session) -> None:
        self.base = pve.url + "/api2/json"
        self.session = session
        session.headers["Authorization"] = pve.auth_header

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=10)

    def post(self, path: str, **form: Any) -> requests.Response:
        return self.session.post(self.base + path, data=form, timeout=10)

    def put(self, path: str, **form: Any) -> requests.Response:
        return self.session.put(self.base + path, data=form, timeout=10)

    def delete(self, path: str, **params: Any) -> requests.Response:
        return self.session.delete(self.base + path, params=params, timeout=10)

    def data(self, response: requests.Response) -> Any:
        assert response.status_code == 200, (response.status_code, response.reason, response.text)
        return response.json()["data"]

    def task(self, upid: str) -> dict[str, Any]:
        return self.data(self.get(f"/nodes/{NODE}/tasks/{upid}/status"))

    def create_ct(self, vmid: int, **changes: Any) -> str:
        return self.data(self.post(f"/nodes/{NODE}/lxc", **ct_form(vmid, **changes)))


def ct_form(vmid: int, **changes: Any) -> dict[str, Any]:
    """A container as the back office creates one."""
    form: dict[str, Any] = {
        "vmid": vmid,
        "ostemplate": TEMPLATE,
        "hostname": f"srv-{vmid}",
        "rootfs": "local-lvm:10",
        "cores": 1,
        "memory": 1024,
        "swap": 0,
        "net0": "name=eth0,bridge=vmbr0,hwaddr=02:48:50:00:00:01,ip=10.20.0.5/24,"
        "gw=10.20.0.1,tag=100,firewall=1,rate=12.5",
        "password": "Secret-pass-123",
        "unprivileged": 1,
        "tags": "hostprovider;server-1",
    }
    form.update(changes)
    return form


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pve(clock: FakeClock) -> Iterator[ProxmoxSimulator]:
    with ProxmoxSimulator(clock=clock, task_seconds={"vzcreate": 3.0, "qmclone": 4.0}) as sim:
        sim.add_node(NODE, cores=8, memory_mib=16384, disk_gib=200)
        sim.add_ostemplate(NODE, TEMPLATE)
        yield sim
        # A request PVE would refuse fails the test that sent it, unless the test took it.
        assert sim.violations == [], sim.violations


@pytest.fixture
def api(pve: ProxmoxSimulator) -> Iterator[Api]:
    with requests.Session() as session:
        yield Api(pve, session)


def took_violations(pve: ProxmoxSimulator, count: int) -> list[str]:
    """The violations a test provoked on purpose, taken so the fixture does not fail on them."""
    taken = list(pve.violations)
    pve.violations.clear()
    assert len(taken) == count, taken
    return taken


def finished(api: Api, pve: ProxmoxSimulator, upid: str, seconds: float = 60) -> dict[str, Any]:
    pve.advance(seconds)
    status = api.task(upid)
    assert status["status"] == "stopped"
    return status


def created(api: Api, pve: ProxmoxSimulator, vmid: int, **changes: Any) -> None:
    assert finished(api, pve, api.create_ct(vmid, **changes))["exitstatus"] == "OK"


def running(api: Api, pve: ProxmoxSimulator, vmid: int, **changes: Any) -> None:
    created(api, pve, vmid, **changes)
    upid = api.data(api.post(f"/nodes/{NODE}/lxc/{vmid}/status/start"))
    assert finished(api, pve, upid)["exitstatus"] == "OK"


# --- wire format and auth ------------------------------------------------------------------------
def test_answers_carry_the_data_envelope_and_json_content_type(api: Api, pve: ProxmoxSimulator):
    response = api.get("/version")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["data"]["release"] == "8.4"
    assert [n["node"] for n in api.data(api.get("/nodes"))] == [NODE]
    assert pve.requests[-2:] == [("GET", "/version"), ("GET", "/nodes")]
    assert pve.violations == []


def test_a_missing_or_wrong_token_is_401_without_a_body(pve: ProxmoxSimulator):
    url = pve.url + "/api2/json/version"
    with requests.Session() as session:
        bare = session.get(url, timeout=10)
        wrong = session.get(
            url, headers={"Authorization": f"PVEAPIToken={pve.token_id}=nope"}, timeout=10
        )
        spaced = session.get(
            url,
            headers={"Authorization": f"PVEAPIToken {pve.token_id}={pve.token_secret}"},
            timeout=10,
        )
    assert (bare.status_code, bare.reason, bare.content) == (401, "Authentication failed!", b"")
    assert wrong.status_code == 401
    assert spaced.status_code == 200


def test_unknown_paths_and_methods_are_501_and_recorded(api: Api, pve: ProxmoxSimulator):
    exec_call = api.post(f"/nodes/{NODE}/lxc/100/exec", command="passwd")
    assert exec_call.status_code == 501
    assert exec_call.reason == f"Method 'POST /nodes/{NODE}/lxc/100/exec' not implemented"
    assert exec_call.json() == {
        "data": None,
        "message": f"Method 'POST /nodes/{NODE}/lxc/100/exec' not implemented\n",
    }
    assert api.put("/version").status_code == 501
    took_violations(pve, 2)


def test_connections_are_kept_alive_until_an_error(api: Api, pve: ProxmoxSimulator):
    api.get("/version")
    api.get("/nodes")
    api.create_ct(100)
    assert pve.connections_accepted == 1
    failed = api.get("/cluster/nextid", vmid=100)
    assert (failed.status_code, failed.headers["Connection"]) == (400, "close")
    api.get("/version")
    assert pve.connections_accepted == 2  # pveproxy closes after any error


def test_tls_with_a_given_certificate(tmp_path: Path, clock: FakeClock):
    cert, key = _self_signed(tmp_path)
    with ProxmoxSimulator(clock=clock, tls_cert=str(cert), tls_key=str(key)) as pve:
        assert pve.url.startswith("https://127.0.0.1:")
        with requests.Session() as session:
            session.headers["Authorization"] = pve.auth_header
            answer = session.get(pve.url + "/api2/json/version", verify=str(cert), timeout=10)
            assert answer.json()["data"]["version"].startswith("8.")
            with pytest.raises(requests.exceptions.SSLError):
                session.get(pve.url + "/api2/json/version", timeout=10)  # not a trusted CA


# --- schema validation ---------------------------------------------------------------------------
def test_parameters_outside_the_schema_are_400_and_recorded(api: Api, pve: ProxmoxSimulator):
    refused = api.post(
        f"/nodes/{NODE}/lxc",
        vmid=99,
        ostemplate=TEMPLATE,
        unprivileged="True",
        cores="two",
        colour="blue",
        net0="name=eth0,bridge=vmbr0,tag=5000",
    )
    assert (refused.status_code, refused.reason) == (400, "Parameter verification failed.")
    errors = refused.json()["errors"]
    assert errors["vmid"] == "value must have a minimum value of 100"
    assert errors["unprivileged"] == "type check ('boolean') failed - got 'True'"
    assert errors["cores"] == "type check ('integer') failed - got 'two'"
    assert errors["colour"].startswith("property is not defined in schema")
    assert "net0.tag: value must have a maximum value of 4094" in errors["net0"]
    (violation,) = took_violations(pve, 1)
    assert violation.startswith("POST /nodes/pve1/lxc: ")
    assert pve.guest(99) is None


def test_property_strings_and_formats_are_checked(api: Api, pve: ProxmoxSimulator):
    pve.add_template(NODE, 9000, "ubuntu-cloud")
    bad = api.put(
        f"/nodes/{NODE}/qemu/9000/config",
        net0="virtio=01:00:00:00:00:01,bridge=vmbr0",  # a multicast MAC
        ipconfig0="ip=10.0.0.5,gw=10.0.0.1",  # no prefix length
        sshkeys="ssh-ed25519 AAAA user@host",  # not URL-encoded
        onboot="yes",
    )
    errors = bad.json()["errors"]
    assert set(errors) == {"net0", "ipconfig0", "sshkeys", "onboot"}
    assert "unicast MAC" in errors["net0"]
    assert errors["sshkeys"].startswith("invalid format - invalid urlencoded string")
    missing_name = api.post(f"/nodes/{NODE}/lxc", vmid=100, ostemplate=TEMPLATE, net0="bridge=x")
    assert "net0.name: property is missing" in missing_name.json()["errors"]["net0"]
    took_violations(pve, 2)


def test_json_bodies_take_real_booleans_only(api: Api, pve: ProxmoxSimulator):
    body = {"vmid": 100, "ostemplate": TEMPLATE, "rootfs": "local-lvm:4", "unprivileged": True}
    accepted = api.session.post(api.base + f"/nodes/{NODE}/lxc", json=body, timeout=10)
    assert UPID.match(api.data(accepted))
    body.update(vmid=101, unprivileged="true")
    refused = api.session.post(api.base + f"/nodes/{NODE}/lxc", json=body, timeout=10)
    assert refused.json()["errors"] == {
        "unprivileged": "type check ('boolean') failed - got 'true'"
    }
    listed = api.session.post(
        api.base + f"/nodes/{NODE}/lxc",
        data=json.dumps([1]),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert listed.status_code == 400
    took_violations(pve, 2)


def test_root_only_options_are_refused_for_tokens(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    refused = api.post(f"/nodes/{NODE}/lxc/100/status/start", skiplock=1)
    assert refused.json()["errors"] == {"skiplock": "Only root may use this option."}
    took_violations(pve, 1)


# --- discovery -----------------------------------------------------------------------------------
def test_nextid_is_the_lowest_free_id_as_a_string_and_reserves_nothing(
    api: Api, pve: ProxmoxSimulator
):
    assert api.data(api.get("/cluster/nextid")) == "100"
    assert api.data(api.get("/cluster/nextid")) == "100"
    api.create_ct(100)
    assert api.data(api.get("/cluster/nextid")) == "101"  # taken from the call on
    taken = api.get("/cluster/nextid", vmid=100)
    assert taken.status_code == 400 and taken.json()["errors"] == {"vmid": "VM 100 already exists"}
    assert api.data(api.get("/cluster/nextid", vmid=250)) == "250"
    assert pve.violations == []


def test_node_status_and_storages(api: Api):
    status = api.data(api.get(f"/nodes/{NODE}/status"))
    assert status["memory"]["total"] == 16384 * 1024 * 1024
    assert status["cpuinfo"]["cpus"] == 8 and len(status["loadavg"]) == 3
    storages = {s["storage"]: s for s in api.data(api.get(f"/nodes/{NODE}/storage"))}
    assert storages["local-lvm"]["total"] == 200 * 1024**3
    assert "rootdir" in storages["local-lvm"]["content"]
    templates = api.data(api.get(f"/nodes/{NODE}/storage/local/content", content="vztmpl"))
    assert [t["volid"] for t in templates] == [TEMPLATE]


# --- tasks on the virtual clock ------------------------------------------------------------------
def test_a_create_task_runs_then_ends_ok_on_the_clock(api: Api, pve: ProxmoxSimulator):
    upid = api.create_ct(100)
    assert UPID.match(upid)
    fields = upid.split(":")
    assert (fields[1], fields[5], fields[6], fields[7]) == (NODE, "vzcreate", "100", pve.token_id)
    status = api.task(upid)
    assert status["status"] == "running" and "exitstatus" not in status
    assert (status["user"], status["tokenid"]) == ("hostprovider@pve", "simulator")
    assert pve.guest(100)["lock"] == "create"
    pve.advance(2.9)
    assert api.task(upid)["status"] == "running"
    pve.advance(0.2)
    assert api.task(upid)["exitstatus"] == "OK"
    log = api.get(f"/nodes/{NODE}/tasks/{upid}/log").json()
    assert log["data"][-1] == {"n": log["total"], "t": "TASK OK"}
    guest = pve.guest(100)
    assert (guest["status"], guest["lock"], guest["memory_mib"], guest["disk_gib"]) == (
        "stopped",
        None,
        1024,
        10,
    )
    assert guest["passwords"] == {"root": "Secret-pass-123"}
    config = api.data(api.get(f"/nodes/{NODE}/lxc/100/config"))
    assert config["rootfs"] == "local-lvm:vm-100-disk-0,size=10G"
    assert "hwaddr=02:48:50:00:00:01" in config["net0"] and "tag=100" in config["net0"]
    assert config["unprivileged"] == 1 and len(config["digest"]) == 40


def test_unknown_upids_are_400(api: Api):
    garbage = api.get(f"/nodes/{NODE}/tasks/nonsense/status")
    assert garbage.json()["errors"] == {"upid": "unable to parse worker upid"}
    unknown = api.get(
        f"/nodes/{NODE}/tasks/UPID:pve1:00000001:00000001:00000001:vzstart:1:x@pam:/status"
    )
    assert unknown.json()["errors"] == {"upid": "no such task"}


def test_power_errors_at_the_call_for_lxc_and_in_the_task_for_qemu(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    again = api.post(f"/nodes/{NODE}/lxc/100/status/start")
    assert (again.status_code, again.reason) == (500, "CT 100 already running")
    pve.seed_guest(NODE, 200, kind="qemu", status="running")
    upid = api.data(api.post(f"/nodes/{NODE}/qemu/200/status/start"))
    assert finished(api, pve, upid)["exitstatus"] == "VM 200 already running"
    pve.seed_guest(NODE, 201, kind="qemu", status="stopped")
    noop = api.data(api.post(f"/nodes/{NODE}/qemu/201/status/stop"))
    assert finished(api, pve, noop)["exitstatus"] == "OK"
    reboot = api.post(f"/nodes/{NODE}/qemu/201/status/reboot")
    assert (reboot.status_code, reboot.reason) == (500, "VM 201 not running")


# --- locks ---------------------------------------------------------------------------------------
def test_a_held_config_lock_blocks_other_operations(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    pve.hold_lock(100, "backup")
    resize = api.put(f"/nodes/{NODE}/lxc/100/resize", disk="rootfs", size="+5G")
    assert (resize.status_code, resize.reason) == (500, "CT is locked (backup)")
    config = api.put(f"/nodes/{NODE}/lxc/100/config", cores=2)
    assert config.reason == "CT is locked (backup)"
    start = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/start"))
    assert finished(api, pve, start)["exitstatus"] == "CT is locked (backup)"
    pve.release_lock(100)
    start = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/start"))
    assert finished(api, pve, start)["exitstatus"] == "OK"


def test_a_task_holds_the_guest_flock_and_the_next_one_waits_or_times_out(
    api: Api, pve: ProxmoxSimulator
):
    created(api, pve, 100)
    start = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/start"))  # 5 s
    busy = api.put(f"/nodes/{NODE}/lxc/100/config", cores=2)
    assert busy.reason == "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout"
    active = api.data(api.get(f"/nodes/{NODE}/tasks", source="active", vmid=100))
    assert [t["upid"] for t in active] == [start] and active[0]["status"] == "RUNNING"
    snapshot = api.data(api.post(f"/nodes/{NODE}/lxc/100/snapshot", snapname="s1"))
    pve.advance(5)
    assert api.task(start)["exitstatus"] == "OK"
    assert api.task(snapshot)["status"] == "running"  # got the lock when the start ended
    pve.advance(3)
    assert api.task(snapshot)["exitstatus"] == "OK"

    pve.cluster.task_seconds["vzshutdown"] = 60  # a guest slow to shut down
    shutdown = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/shutdown"))
    stop = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/stop"))
    pve.advance(11)
    assert api.task(stop)["exitstatus"] == (
        "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout"
    )
    assert api.task(shutdown)["status"] == "running"
    assert pve.guest(100)["status"] == "running"


def test_a_create_in_progress_locks_the_guest_and_its_vmid(api: Api, pve: ProxmoxSimulator):
    api.create_ct(100)
    second = api.post(f"/nodes/{NODE}/lxc", vmid=100, ostemplate=TEMPLATE, rootfs="local-lvm:4")
    assert (second.status_code, second.reason) == (500, "CT 100 already exists on node 'pve1'")
    destroy = api.delete(f"/nodes/{NODE}/lxc/100")
    assert destroy.reason == "CT is locked (create)"


# --- failures ------------------------------------------------------------------------------------
def test_an_immediate_failure_is_500_at_the_call_and_changes_nothing(
    api: Api, pve: ProxmoxSimulator
):
    pve.fail_next("create", immediate=True, message="storage 'local-lvm' is not online")
    refused = api.post(f"/nodes/{NODE}/lxc", vmid=100, ostemplate=TEMPLATE, rootfs="local-lvm:4")
    assert (refused.status_code, refused.reason) == (500, "storage 'local-lvm' is not online")
    assert refused.json()["message"] == "storage 'local-lvm' is not online\n"
    assert pve.guest(100) is None
    created(api, pve, 100)


def test_an_in_task_failure_ends_the_task_with_the_message_and_rolls_back(
    api: Api, pve: ProxmoxSimulator
):
    pve.fail_next("create", message="unable to create CT 100 - extracting archive failed")
    upid = api.create_ct(100)
    assert pve.guest(100) is not None  # the config exists, locked, while the task runs
    status = finished(api, pve, upid)
    assert status["exitstatus"] == "unable to create CT 100 - extracting archive failed"
    log = api.data(api.get(f"/nodes/{NODE}/tasks/{upid}/log"))
    assert log[-1]["t"] == "TASK ERROR: unable to create CT 100 - extracting archive failed"
    assert pve.guest(100) is None
    assert api.data(api.get("/cluster/nextid")) == "100"


def test_a_transient_http_error_can_be_injected(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    pve.fail_next("start", http_status=503, message="Service Unavailable")
    answer = api.post(f"/nodes/{NODE}/lxc/100/status/start")
    assert (answer.status_code, answer.reason) == (503, "Service Unavailable")
    assert api.post(f"/nodes/{NODE}/lxc/100/status/start").status_code == 200


def test_fail_next_knows_only_the_fake_operations(pve: ProxmoxSimulator):
    with pytest.raises(ValueError, match="unknown operation"):
        pve.fail_next("teleport")


# --- capacity and nodes --------------------------------------------------------------------------
def test_a_create_that_does_not_fit_the_node_fails_in_its_task(api: Api, pve: ProxmoxSimulator):
    pve.add_node("small", cores=2, memory_mib=2048, disk_gib=30)
    pve.add_ostemplate("small", TEMPLATE)
    too_big = api.data(
        api.post("/nodes/small/lxc", vmid=100, ostemplate=TEMPLATE, rootfs="local-lvm:40")
    )
    pve.advance(5)
    status = api.data(api.get(f"/nodes/small/tasks/{too_big}/status"))
    assert "insufficient free space" in status["exitstatus"]
    assert pve.guest(100) is None
    fits = api.data(
        api.post("/nodes/small/lxc", vmid=100, ostemplate=TEMPLATE, rootfs="local-lvm:20")
    )
    pve.advance(5)
    assert api.data(api.get(f"/nodes/small/tasks/{fits}/status"))["exitstatus"] == "OK"


def test_an_offline_node_answers_595_and_shows_offline(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    pve.set_node_online(NODE, False)
    stop = api.post(f"/nodes/{NODE}/lxc/100/status/stop")
    assert (stop.status_code, stop.reason) == (595, "No route to host")
    assert api.get(f"/nodes/{NODE}/status").status_code == 595
    (node,) = api.data(api.get("/nodes"))
    assert node["status"] == "offline" and "maxmem" not in node
    pve.set_node_online(NODE, True)
    assert api.post(f"/nodes/{NODE}/lxc/100/status/stop").status_code == 200


def test_a_guest_on_another_or_unknown_node(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    pve.add_node("pve2")
    elsewhere = api.get("/nodes/pve2/lxc/100/status/current")
    assert elsewhere.reason == "Configuration file 'nodes/pve2/lxc/100.conf' does not exist"
    nowhere = api.get("/nodes/nowhere/lxc/100/status/current")
    assert nowhere.status_code == 500 and nowhere.reason.startswith("hostname lookup 'nowhere'")


# --- read models ---------------------------------------------------------------------------------
def test_cluster_resources_lag_behind_the_guests(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    pve.advance(10)
    before = {r["vmid"]: r for r in api.data(api.get("/cluster/resources", type="vm"))}
    assert before[100]["status"] == "stopped"
    start = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/start"))
    pve.advance(6)
    assert api.task(start)["exitstatus"] == "OK"
    api.create_ct(101)
    lagging = {r["vmid"]: r for r in api.data(api.get("/cluster/resources", type="vm"))}
    assert lagging[100]["status"] == "stopped"  # the broadcast is not 10 s old yet
    assert lagging[101]["status"] == "unknown"  # listed at once, measured later
    live = api.data(api.get(f"/nodes/{NODE}/lxc/100/status/current"))
    assert live["status"] == "running"
    pve.advance(4)
    fresh = {r["vmid"]: r for r in api.data(api.get("/cluster/resources", type="vm"))}
    assert fresh[100]["status"] == "running" and fresh[100]["maxmem"] == 1024 * 1024**2
    assert fresh[100]["id"] == "lxc/100" and fresh[100]["tags"] == "hostprovider;server-1"


def test_usage_shows_in_status_and_rrddata(api: Api, pve: ProxmoxSimulator, clock: FakeClock):
    running(api, pve, 100)
    pve.advance(600)
    pve.set_usage(100, cpu=0.5, memory_used=300 * 1024**2, net_in=6_000_000, net_out=1_200_000)
    status = api.data(api.get(f"/nodes/{NODE}/lxc/100/status/current"))
    assert (status["cpu"], status["mem"], status["netin"]) == (0.5, 300 * 1024**2, 6_000_000)
    assert status["uptime"] >= 600
    points = api.data(api.get(f"/nodes/{NODE}/lxc/100/rrddata", timeframe="hour", cf="AVERAGE"))
    assert len(points) == 70
    times = [p["time"] for p in points]
    assert all(later - earlier == 60 for earlier, later in zip(times, times[1:], strict=False))
    assert times[-1] <= clock.now().timestamp()
    measured = [p for p in points if "cpu" in p]
    assert measured and measured[-1]["netin"] == pytest.approx(6_000_000 / status["uptime"])
    assert "cpu" not in points[0]  # before the guest started: unknown, left out
    bad = api.get(f"/nodes/{NODE}/lxc/100/rrddata", timeframe="decade")
    assert bad.status_code == 400
    took_violations(pve, 1)


def test_seeded_guests_show_in_one_resources_call(api: Api, pve: ProxmoxSimulator):
    for index in range(4):
        pve.add_node(f"bench{index}")
        pve.seed_guests(f"bench{index}", 500, 1000 + index * 500)
    entries = api.data(api.get("/cluster/resources", type="vm"))
    assert len(entries) == 2000
    assert {e["status"] for e in entries} == {"running"}


# --- guest operations ----------------------------------------------------------------------------
def test_resize_grows_and_refuses_to_shrink(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    shrink = api.put(f"/nodes/{NODE}/lxc/100/resize", disk="rootfs", size="5G")
    assert (shrink.status_code, shrink.reason) == (500, "unable to shrink disk size")
    grow = api.data(api.put(f"/nodes/{NODE}/lxc/100/resize", disk="rootfs", size="+5G"))
    assert finished(api, pve, grow)["exitstatus"] == "OK"
    assert pve.guest(100)["disk_gib"] == 15
    absolute = api.data(api.put(f"/nodes/{NODE}/lxc/100/resize", disk="rootfs", size="20G"))
    assert finished(api, pve, absolute)["exitstatus"] == "OK"
    assert pve.guest(100)["disk_gib"] == 20


def test_config_updates_use_the_digest_and_delete(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    digest = api.data(api.get(f"/nodes/{NODE}/lxc/100/config"))["digest"]
    assert api.data(api.put(f"/nodes/{NODE}/lxc/100/config", cores=2, digest=digest)) is None
    stale = api.put(f"/nodes/{NODE}/lxc/100/config", cores=3, digest=digest)
    assert stale.status_code == 500 and stale.reason.startswith("detected modified configuration")
    api.data(api.put(f"/nodes/{NODE}/lxc/100/config", delete="tags", memory=2048))
    guest = pve.guest(100)
    assert (guest["cores"], guest["memory_mib"], guest["tags"]) == (2, 2048, [])


def test_snapshots_list_rollback_delete_and_name_reuse(api: Api, pve: ProxmoxSimulator):
    created(api, pve, 100)
    first = api.data(api.post(f"/nodes/{NODE}/lxc/100/snapshot", snapname="before"))
    assert finished(api, pve, first)["exitstatus"] == "OK"
    reused = api.data(api.post(f"/nodes/{NODE}/lxc/100/snapshot", snapname="before"))
    assert finished(api, pve, reused)["exitstatus"] == "snapshot name 'before' already used"
    listed = api.data(api.get(f"/nodes/{NODE}/lxc/100/snapshot"))
    assert [s["name"] for s in listed] == ["before", "current"]
    assert listed[-1]["parent"] == "before"
    api.data(api.put(f"/nodes/{NODE}/lxc/100/config", cores=4))
    back = api.data(api.post(f"/nodes/{NODE}/lxc/100/snapshot/before/rollback"))
    assert finished(api, pve, back)["exitstatus"] == "OK"
    assert pve.guest(100)["cores"] == 1
    gone = api.data(api.delete(f"/nodes/{NODE}/lxc/100/snapshot/before"))
    assert finished(api, pve, gone)["exitstatus"] == "OK"
    assert [s["name"] for s in api.data(api.get(f"/nodes/{NODE}/lxc/100/snapshot"))] == ["current"]


def test_destroy_refuses_a_running_guest_then_removes_it(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    refused = api.delete(f"/nodes/{NODE}/lxc/100", purge=1)
    assert refused.reason == "unable to destroy CT 100 - container is running"
    stop = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/stop"))
    finished(api, pve, stop)
    upid = api.data(
        api.delete(f"/nodes/{NODE}/lxc/100", purge=1, **{"destroy-unreferenced-disks": 1})
    )
    assert pve.guest(100)["lock"] == "destroyed"
    assert finished(api, pve, upid)["exitstatus"] == "OK"
    assert pve.guest(100) is None
    assert api.get(f"/nodes/{NODE}/lxc/100/config").status_code == 500


def test_console_ticket_for_a_container(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    ticket = api.data(api.post(f"/nodes/{NODE}/lxc/100/termproxy"))
    assert 5900 <= ticket["port"] <= 5999 and ticket["ticket"].startswith("PVEVNC:")
    assert ticket["user"] == pve.token_id and UPID.match(ticket["upid"])
    pve.fail_next("console")
    assert api.post(f"/nodes/{NODE}/lxc/100/termproxy").status_code == 500


def test_qemu_clone_cloud_init_and_agent_password(api: Api, pve: ProxmoxSimulator):
    pve.add_template(NODE, 9000, "ubuntu-cloud")
    upid = api.data(api.post(f"/nodes/{NODE}/qemu/9000/clone", newid=120, name="srv-120", full=1))
    assert upid.split(":")[5:7] == ["qmclone", "9000"]
    assert pve.guest(120)["lock"] == "clone"
    taken = api.post(f"/nodes/{NODE}/qemu/9000/clone", newid=120)
    assert taken.reason == "unable to create VM 120: config file already exists"
    assert finished(api, pve, upid)["exitstatus"] == "OK"
    keys = "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIExample%20user%40host"
    done = api.put(
        f"/nodes/{NODE}/qemu/120/config",
        cores=2,
        memory=2048,
        ciuser="root",
        cipassword="Secret-pass-123",
        sshkeys=keys,
        ipconfig0="ip=10.20.0.5/24,gw=10.20.0.1",
        nameserver="1.1.1.1 9.9.9.9",
        net0="virtio=02:48:50:00:00:09,bridge=vmbr0,firewall=1,tag=100",
        tags="hostprovider;server-9",
    )
    assert api.data(done) is None
    config = api.data(api.get(f"/nodes/{NODE}/qemu/120/config"))
    assert config["cipassword"] == "**********" and config["sshkeys"] == keys
    assert config["net0"].startswith("virtio=02:48:50:00:00:09,")
    refused = api.post(
        f"/nodes/{NODE}/qemu/120/agent/set-user-password", username="root", password="N3w-pass"
    )
    assert (refused.status_code, refused.reason) == (500, "VM 120 is not running")
    start = api.data(api.post(f"/nodes/{NODE}/qemu/120/status/start"))
    assert finished(api, pve, start)["exitstatus"] == "OK"
    answer = api.post(
        f"/nodes/{NODE}/qemu/120/agent/set-user-password", username="root", password="N3w-pass"
    )
    assert api.data(answer) == {"result": {}}
    guest = pve.guest(120)
    assert guest["passwords"]["root"] == "N3w-pass" and guest["cores"] == 2
    assert pve.violations == []


def test_qemu_cpu_and_memory_changes_wait_for_a_restart(api: Api, pve: ProxmoxSimulator):
    pve.seed_guest(NODE, 200, kind="qemu", status="running", cores=1, memory_mib=1024)
    api.data(api.put(f"/nodes/{NODE}/qemu/200/config", cores=4, memory=4096))
    assert pve.guest(200)["cores"] == 1
    assert api.data(api.get(f"/nodes/{NODE}/qemu/200/config"))["cores"] == 4
    assert api.data(api.get(f"/nodes/{NODE}/qemu/200/config", current=1))["cores"] == 1
    reboot = api.data(api.post(f"/nodes/{NODE}/qemu/200/status/reboot"))
    finished(api, pve, reboot)
    assert (pve.guest(200)["cores"], pve.guest(200)["memory_mib"]) == (4, 4096)


def test_qemu_async_config_is_a_task(api: Api, pve: ProxmoxSimulator):
    pve.seed_guest(NODE, 200, kind="qemu", status="stopped")
    upid = api.data(api.post(f"/nodes/{NODE}/qemu/200/config", cores=2))
    assert upid.split(":")[5] == "qmconfig"
    assert finished(api, pve, upid)["exitstatus"] == "OK"
    pve.fail_next("reconfigure", message="hotplug problem")
    failed = api.post(f"/nodes/{NODE}/qemu/200/config", cores=3, background_delay=5)
    assert (failed.status_code, failed.reason) == (500, "failed to update VM 200: hotplug problem")
    assert pve.guest(200)["cores"] == 2


# --- helpers -------------------------------------------------------------------------------------
def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "pve.pem", directory / "pve.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --- holds: a test knows where its client is --------------------------------------------------


def test_a_held_request_is_carried_out_and_its_answer_waits_for_the_release(
    api: Api, pve: ProxmoxSimulator
) -> None:
    hold = pve.hold("POST", r"/lxc$")
    answers: list[requests.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            api.session.post(api.base + f"/nodes/{NODE}/lxc", data=ct_form(101), timeout=10)
        )
    )
    sender.start()
    assert hold.wait_caught(10)
    assert pve.guest(101) is not None and answers == []  # done, and not told
    hold.release()
    sender.join(10)
    assert answers[0].status_code == 200
    assert api.data(api.get(f"/nodes/{NODE}/lxc")) != []  # later requests pass


def test_a_request_held_before_is_carried_out_only_once_released(
    api: Api, pve: ProxmoxSimulator
) -> None:
    hold = pve.hold("POST", r"/lxc$", before=True)
    sender = threading.Thread(
        target=lambda: api.session.post(
            api.base + f"/nodes/{NODE}/lxc", data=ct_form(102), timeout=10
        )
    )
    sender.start()
    assert hold.wait_caught(10)
    assert pve.guest(102) is None
    hold.release()
    sender.join(10)
    assert pve.guest(102) is not None
