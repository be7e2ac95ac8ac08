"""ProxmoxSimulator: a PVE 8.4 API on 127.0.0.1 for tests, and the knobs tests turn.

    with ProxmoxSimulator(clock=FakeClock()) as pve:
        pve.add_node("pve1", cores=8, memory_mib=16384, disk_gib=200)
        pve.add_ostemplate("pve1", "local:vztmpl/ubuntu-24.04.tar.zst")
        ... requests to pve.url + "/api2/json/..." with pve.auth_header ...
        assert pve.violations == []

Every request is checked against the real schema; one PVE would refuse lands in `.violations`
as well as getting PVE's 400. Tasks last `task_seconds` on `clock`; `/cluster/resources` shows
figures up to `resources_lag_seconds` old. All control methods are thread-safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from adapters.clock import SystemClock
from adapters.memory.faults import Fault
from simulators.proxmox.call import Call
from simulators.proxmox.cluster import Cluster
from simulators.proxmox.holds import Hold, Holds
from simulators.proxmox.model import GIB, MIB, Guest, Node, PveError, Storage
from simulators.proxmox.routes import ROUTES
from simulators.proxmox.schema import load_schema
from simulators.proxmox.server import ROOT_ONLY, SimulatorServer, serve

TOKEN_ID = "hostprovider@pve!simulator"
TOKEN_SECRET = "0b7c9d3e-5f1a-4c2b-8e6d-9a4f3b2c1d0e"
LOCAL_DIR_BYTES = 100 * GIB


class ProxmoxSimulator:
    def __init__(
        self,
        clock: Any = None,
        *,
        task_seconds: float | Mapping[str, float] | None = None,
        resources_lag_seconds: float = 10.0,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        token_id: str = TOKEN_ID,
        token_secret: str = TOKEN_SECRET,
        auth_failure_delay: float = 0.0,
        schema_path: Path | None = None,
        address: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        self.cluster = Cluster(clock or SystemClock(), task_seconds, resources_lag_seconds)
        self.token_id = token_id
        self.token_secret = token_secret
        self.auth_failure_delay = auth_failure_delay
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path below /api2/json)
        self._schema = load_schema(schema_path)
        self._tls = (tls_cert, tls_key)
        self._address = address  # loopback on a free port unless told otherwise
        self._server: SimulatorServer | None = None
        self.holds = Holds()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> ProxmoxSimulator:
        if self._server is None:
            self._server, _ = serve(self, *self._tls, self._address)
        return self

    def stop(self) -> None:
        self.holds.release_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ProxmoxSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        scheme = "https" if self._tls[0] else "http"
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"{scheme}://{_url_host(host)}:{port}"

    @property
    def connections_accepted(self) -> int:
        return self._server.accepted if self._server is not None else 0

    @property
    def auth_header(self) -> str:
        return f"PVEAPIToken={self.token_id}={self.token_secret}"

    @property
    def clock(self) -> Any:
        return self.cluster.clock

    # --- the HTTP side calls these -------------------------------------------------------------
    def accepts(self, token: str, secret: str) -> bool:
        return token == self.token_id and secret == self.token_secret

    def record_request(self, method: str, path: str) -> None:
        self.requests.append((method, path))

    def dispatch(self, method: str, path: str, params: dict[str, str], user: str) -> Any:
        matched = self._schema.match(path)
        schema = self._schema.method(matched[0], method) if matched else None
        if matched is None or schema is None:
            self.violations.append(f"{method} {path}: no such API method")
            raise PveError(501, f"Method '{method} {path}' not implemented")
        template, path_params = matched
        merged = {**params, **path_params}
        errors = schema.validate(merged)
        errors.update({n: "Only root may use this option." for n in ROOT_ONLY if n in merged})
        if errors:
            details = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
            self.violations.append(f"{method} {path}: {details}")
            raise PveError(400, "Parameter verification failed.", errors)
        handler = ROUTES.get((method, template))
        if handler is None:
            self.violations.append(f"{method} {template}: exists in PVE but is not simulated")
            raise PveError(501, f"Method '{method} {path}' not implemented")
        with self.cluster.lock:
            self.cluster.settle()
            return handler(Call(self.cluster, merged, user))

    # --- topology ------------------------------------------------------------------------------
    def add_node(
        self,
        name: str,
        *,
        cores: int = 32,
        memory_mib: int = 131072,
        disk_gib: int = 2000,
        online: bool = True,
    ) -> None:
        """A node with `local` (dir: templates, ISOs, backups) and `local-lvm` (LVM-thin: guest
        disks) of `disk_gib`."""
        storages = {
            "local": Storage(
                "local", "dir", frozenset({"iso", "vztmpl", "backup", "snippets"}), LOCAL_DIR_BYTES
            ),
            "local-lvm": Storage(
                "local-lvm", "lvmthin", frozenset({"images", "rootdir"}), disk_gib * GIB
            ),
        }
        with self.cluster.lock:
            boot = self.cluster.now() - dt.timedelta(days=3)
            self.cluster.nodes[name] = Node(name, cores, memory_mib * MIB, storages, online, boot)

    def set_node_online(self, name: str, online: bool) -> None:
        with self.cluster.lock:
            self.cluster.nodes[name].online = online

    def add_ostemplate(self, node: str, volid: str, size: int = 150 * MIB) -> None:
        storage = volid.split(":", 1)[0]
        with self.cluster.lock:
            self.cluster.nodes[node].storages[storage].volumes[volid] = size

    def add_template(
        self,
        node: str,
        vmid: int,
        name: str,
        kind: str = "qemu",
        *,
        cores: int = 1,
        memory_mib: int = 512,
        disk_gib: int = 10,
        storage: str = "local-lvm",
    ) -> None:
        """A template guest; a QEMU one has a cloud-init drive and the guest agent enabled, as a
        panel's clone source does."""
        with self.cluster.lock:
            config = {"cores": str(cores), "memory": str(memory_mib), "template": "1"}
            disk = f"{storage}:base-{vmid}-disk-0,size={disk_gib}G"
            if kind == "qemu":
                config.update(
                    name=name,
                    sockets="1",
                    ostype="l26",
                    scsihw="virtio-scsi-single",
                    scsi0=disk,
                    ide2=f"{storage}:vm-{vmid}-cloudinit,media=cdrom",
                    net0=f"virtio={self.cluster.new_mac()},bridge=vmbr0",
                    agent="1",
                    boot="order=scsi0",
                    serial0="socket",
                )
            else:
                config.update(hostname=name, rootfs=disk, arch="amd64", ostype="ubuntu")
            self.cluster.guests[vmid] = Guest(node, vmid, kind, config)

    def seed_guest(
        self,
        node: str,
        vmid: int,
        *,
        kind: str = "lxc",
        name: str = "",
        status: str = "running",
        cores: int = 1,
        memory_mib: int = 1024,
        disk_gib: int = 10,
        tags: Iterable[str] = (),
    ) -> None:
        """A guest put in place without a task (drift, orphans, warm pools, benches)."""
        with self.cluster.lock:
            self._seed(node, vmid, kind, name, status, cores, memory_mib, disk_gib, tags)

    def seed_guests(self, node: str, count: int, start_vmid: int, **options: Any) -> list[int]:
        vmids = list(range(start_vmid, start_vmid + count))
        with self.cluster.lock:
            for vmid in vmids:
                self._seed(
                    node,
                    vmid,
                    options.get("kind", "lxc"),
                    options.get("name", ""),
                    options.get("status", "running"),
                    options.get("cores", 1),
                    options.get("memory_mib", 1024),
                    options.get("disk_gib", 10),
                    options.get("tags", ()),
                )
        return vmids

    def _seed(
        self,
        node: str,
        vmid: int,
        kind: str,
        name: str,
        status: str,
        cores: int,
        memory_mib: int,
        disk_gib: int,
        tags: Iterable[str],
    ) -> None:
        mac = self.cluster.new_mac()
        disk = f"local-lvm:vm-{vmid}-disk-0,size={disk_gib}G"
        config = {"cores": str(cores), "memory": str(memory_mib)}
        if kind == "lxc":
            config.update(hostname=name or f"ct-{vmid}", rootfs=disk, arch="amd64", swap="512")
            config["net0"] = f"name=eth0,bridge=vmbr0,hwaddr={mac},ip=dhcp,type=veth"
        else:
            config.update(name=name or f"vm-{vmid}", scsi0=disk, sockets="1", agent="1")
            config["net0"] = f"virtio={mac},bridge=vmbr0"
        if tags:
            config["tags"] = ";".join(tags)
        guest = Guest(node, vmid, kind, config, created_at=self.cluster.now())
        guest.power(status == "running", self.cluster.now())
        self.cluster.guests[vmid] = guest

    def remove_guest(self, vmid: int) -> None:
        with self.cluster.lock:
            self.cluster.guests.pop(vmid, None)

    # --- time, faults, locks, usage ------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        advance = getattr(self.cluster.clock, "advance", None)
        if not callable(advance):
            raise TypeError("the simulator's clock cannot be advanced (a real clock?)")
        advance(seconds)
        with self.cluster.lock:
            self.cluster.settle()

    def fail_next(
        self,
        operation: str,
        *,
        times: int = 1,
        message: str | None = None,
        immediate: bool = False,
        http_status: int | None = None,
    ) -> None:
        """The next `times` calls of `operation` fail: at the call with 500 (`immediate`) or with
        `http_status` (a transient error such as 503), else inside their task, whose exit status
        is `message`. Synchronous endpoints (PUT config, the agent, the console) fail at the call
        either way."""
        text = message or f"{operation} failed: injected fault"
        at_call = immediate or http_status is not None
        extra = {"http_status": http_status} if http_status is not None else {}
        with self.cluster.lock:
            self.cluster.arm(operation, Fault(times, at_call, text, None, extra))

    def hold(
        self,
        method: str,
        path: str,
        *,
        count: int = 1,
        before: bool = False,
        timeout: float = 120.0,
    ) -> Hold:
        """The next `count` requests of `method` whose path (below /api2/json) `path`, a regular
        expression, finds in, wait at the simulator until the hold's `release()`: after being
        carried out (their answer held back) or, with `before`, before (see holds.py)."""
        return self.holds.add(Hold(method, path, count=count, before=before, timeout=timeout))

    def hold_lock(self, vmid: int, lock: str = "backup") -> None:
        """Someone else's long operation (a backup, a migration) holds the guest's config lock."""
        with self.cluster.lock:
            self.cluster.guests[vmid].config["lock"] = lock

    def release_lock(self, vmid: int) -> None:
        """What `pct unlock` / `qm unlock` do on the node."""
        with self.cluster.lock:
            self.cluster.guests[vmid].config.pop("lock", None)

    def set_usage(
        self,
        vmid: int,
        *,
        cpu: float | None = None,
        memory_used: int | None = None,
        disk_used: int | None = None,
        net_in: int | None = None,
        net_out: int | None = None,
    ) -> None:
        """Figures a running guest reports: cpu as a fraction, the rest in bytes (`net_in` and
        `net_out` are the counters since start, the RRD rates follow from them)."""
        figures = {
            "cpu": cpu,
            "memory_used": memory_used,
            "disk_used": disk_used,
            "net_in": net_in,
            "net_out": net_out,
        }
        with self.cluster.lock:
            usage = self.cluster.guests[vmid].usage
            usage.update({k: v for k, v in figures.items() if v is not None})

    # --- observation ---------------------------------------------------------------------------
    def guest(self, vmid: int) -> dict[str, Any] | None:
        with self.cluster.lock:
            self.cluster.settle()
            found = self.cluster.guests.get(vmid)
            return found.describe() if found is not None else None

    def guests(self) -> list[dict[str, Any]]:
        with self.cluster.lock:
            self.cluster.settle()
            return [self.cluster.guests[v].describe() for v in sorted(self.cluster.guests)]

    def task(self, upid: str) -> dict[str, Any] | None:
        with self.cluster.lock:
            self.cluster.settle()
            found = self.cluster.tasks.get(upid)
            return found.status_entry() if found is not None else None

    def running_tasks(self) -> list[str]:
        with self.cluster.lock:
            self.cluster.settle()
            return [t.upid for t in self.cluster.active]


def _url_host(host: str) -> str:
    """The address a client dials: a wildcard bind is reached on loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0") else host
