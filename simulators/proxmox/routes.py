"""Which schema routes the simulator serves, and with which handler."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from simulators.proxmox import handlers_cluster as cluster
from simulators.proxmox import handlers_guest as guest
from simulators.proxmox import handlers_lxc as lxc
from simulators.proxmox import handlers_qemu as qemu
from simulators.proxmox.call import Call

Handler = Callable[[Call], Any]

ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/version"): cluster.version,
    ("GET", "/nodes"): cluster.nodes,
    ("GET", "/nodes/{node}/status"): cluster.node_summary,
    ("GET", "/cluster/nextid"): cluster.nextid,
    ("GET", "/cluster/resources"): cluster.resources,
    ("GET", "/nodes/{node}/storage"): cluster.storages,
    ("GET", "/nodes/{node}/storage/{storage}/content"): cluster.storage_content,
    ("GET", "/nodes/{node}/tasks"): cluster.task_list,
    ("GET", "/nodes/{node}/tasks/{upid}/status"): cluster.task_status,
    ("GET", "/nodes/{node}/tasks/{upid}/log"): cluster.task_log,
    ("DELETE", "/nodes/{node}/tasks/{upid}"): cluster.task_stop,
    ("POST", "/nodes/{node}/lxc"): lxc.create,
    ("PUT", "/nodes/{node}/lxc/{vmid}/config"): lxc.update_config,
    ("POST", "/nodes/{node}/qemu/{vmid}/clone"): qemu.clone,
    ("PUT", "/nodes/{node}/qemu/{vmid}/config"): qemu.update_config_sync,
    ("POST", "/nodes/{node}/qemu/{vmid}/config"): qemu.update_config_async,
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/set-user-password"): qemu.set_user_password,
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/ping"): qemu.agent_ping,
}

for _kind in ("lxc", "qemu"):
    _base = f"/nodes/{{node}}/{_kind}"
    _one = f"{_base}/{{vmid}}"
    ROUTES.update(
        {
            ("GET", _base): partial(guest.list_guests, kind=_kind),
            ("GET", f"{_one}/config"): partial(guest.get_config, kind=_kind),
            ("GET", f"{_one}/pending"): partial(guest.pending, kind=_kind),
            ("GET", f"{_one}/status/current"): partial(guest.status_current, kind=_kind),
            ("GET", f"{_one}/rrddata"): partial(guest.rrddata, kind=_kind),
            ("PUT", f"{_one}/resize"): partial(guest.resize, kind=_kind),
            ("GET", f"{_one}/snapshot"): partial(guest.list_snapshots, kind=_kind),
            ("POST", f"{_one}/snapshot"): partial(guest.create_snapshot, kind=_kind),
            ("POST", f"{_one}/snapshot/{{snapname}}/rollback"): partial(guest.rollback, kind=_kind),
            ("DELETE", f"{_one}/snapshot/{{snapname}}"): partial(guest.delete_snapshot, kind=_kind),
            ("DELETE", _one): partial(guest.destroy, kind=_kind),
            ("POST", f"{_one}/termproxy"): partial(guest.console, kind=_kind, flavour="termproxy"),
            ("POST", f"{_one}/vncproxy"): partial(guest.console, kind=_kind, flavour="vncproxy"),
            ("GET", f"{_one}/vncwebsocket"): partial(guest.vnc_websocket, kind=_kind),
        }
    )
    for _action in ("start", "stop", "shutdown", "reboot"):
        ROUTES[("POST", f"{_one}/status/{_action}")] = partial(
            guest.power, kind=_kind, action=_action
        )
