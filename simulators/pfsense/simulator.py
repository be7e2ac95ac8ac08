"""`PfSenseSimulator`: a pfSense box with the REST API package v2 on a loopback port, and the
control API tests use to look inside it, break it and edit it by hand.

    with PfSenseSimulator(auth_methods=("BasicAuth", "KeyAuth")) as sim:
        requests.get(f"{sim.url}/api/v2/firewall/rules", headers={"X-API-Key": sim.api_key})
        sim.live_state()["rules"]   # what the running firewall enforces (after apply)
        sim.violations              # requests that broke the API's schema: fail the test on them
"""

from __future__ import annotations

import copy
import ssl
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from . import handlers_dhcp, handlers_firewall, handlers_interfaces
from .envelope import ApiError, envelope
from .faults import Fault, FaultPlan, WriteLock
from .handlers_common import ListModel, Options, Request
from .routes import NON_ATOMIC, ROUTES
from .schema import INTERFACE_ASSIGNMENT
from .server import make_handler
from .store import Store

Predicate = Callable[[dict[str, Any]], bool]

LIST_KINDS: dict[str, ListModel] = {
    "vlan": handlers_interfaces.VLANS,
    "static_mapping": handlers_dhcp.STATIC_MAPPINGS,
    "rule": handlers_firewall.RULES,
    "one_to_one": handlers_firewall.ONE_TO_ONE,
    "virtual_ip": handlers_firewall.VIRTUAL_IPS,
}
KINDS = (*LIST_KINDS, "interface")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive connections of clients must not block stop()


class PfSenseSimulator:
    API_KEY = "pfsense-simulator-key-0123456789abcdef"
    ADMIN = ("admin", "pfsense")  # the webGUI's default login, for BasicAuth
    READ_ONLY_API_KEY = "pfsense-simulator-read-only-key-0123456789"

    def __init__(
        self,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        trunk: str = "vtnet1",
        wan: str = "vtnet0",
        *,
        apply_delay: float = 0.0,
        retry_after: int = 1,
        represent_interfaces_as: str = "descr",
        auth_methods: tuple[str, ...] = ("BasicAuth",),
        options: Options | None = None,
        address: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        """`represent_interfaces_as` and `auth_methods` are the REST API settings the box starts
        with; the package's defaults are `descr` and BasicAuth alone (`X-API-Key` refused), so
        a client with an API key needs `auth_methods=("BasicAuth", "KeyAuth")` here or a PATCH
        of `/system/restapi/settings` made with the admin's password first."""
        self.api_key = self.API_KEY
        self.read_only_api_key = self.READ_ONLY_API_KEY  # a user with "Deny Config Write"
        self.admin = self.ADMIN
        self.trunk, self.wan = trunk, wan
        self.apply_delay = apply_delay  # >0: async applies finish later and hold the write lock
        self.retry_after = retry_after
        self.options = options or Options()
        self.store = Store(wan=wan, trunk=trunk)
        self.store.settings["represent_interfaces_as"] = represent_interfaces_as
        self.store.settings["auth_methods"] = list(auth_methods)
        self.violations: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.applies: list[str] = []  # "firewall" / "dhcp" / "interfaces", in order
        self._faults = FaultPlan()
        self._write_lock = WriteLock()
        self._log_lock = threading.Lock()
        self._tls = (tls_cert, tls_key) if tls_cert and tls_key else None
        self._address = address  # loopback on a free port unless told otherwise
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> PfSenseSimulator:
        server = _Server(self._address, make_handler(self))
        if self._tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            # handshake in the connection's own thread, not in the accepting one
            server.socket = context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> PfSenseSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        scheme = "https" if self._tls else "http"
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"{scheme}://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"

    # --- faults and the write lock -------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int = 503,
        times: int = 1,
        retry_after: int = 1,
        message: str | None = None,
        after_commit: bool = False,
        response_id: str | None = None,
    ) -> None:
        """The next `times` requests of `method` ("*" for any) whose path starts with
        `path_prefix` ("/api/v2/..." or without the "/api/v2") fail with `status`: 503 write
        lock with Retry-After, 502/504 nginx HTML page, 0 = connection closed without an answer,
        else an envelope. `after_commit=True` does the work first and then loses the answer."""
        prefix = path_prefix if path_prefix.startswith("/api/") else f"/api/v2{path_prefix}"
        self._faults.arm(
            Fault(
                method.upper(),
                prefix.rstrip("/"),
                status,
                times,
                retry_after,
                message,
                after_commit,
                response_id,
            )
        )

    def hold_write_lock(self, seconds: float | None = None) -> None:
        """Another writer holds the config lock: writes answer 503 until `seconds` pass or
        `release_write_lock()`."""
        self._write_lock.hold(seconds)

    def release_write_lock(self) -> None:
        self._write_lock.release()

    # --- looking inside ------------------------------------------------------------------------

    def live_state(self) -> dict[str, Any]:
        """What the running firewall enforces: VLANs, applied interfaces, DHCP and rules."""
        with self.store.lock:
            return copy.deepcopy(self.store.view(self.store.live))

    def config_state(self) -> dict[str, Any]:
        """What config.xml holds (what every GET shows), interfaces by id."""
        with self.store.lock:
            return copy.deepcopy(self.store.view(self.store.saved))

    def has_unapplied_changes(self) -> bool:
        """The truth, unlike `GET /firewall/apply`, which misses rule-only edits."""
        with self.store.lock:
            return self.store.view(self.store.saved) != self.store.view(self.store.live)

    @property
    def apply_count(self) -> int:
        return len(self.applies)

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = [f"{v['method']} {v['path']}: {v['response_id']} {v['message']}"
                     for v in self.violations]  # fmt: skip
            raise AssertionError("requests broke the pfSense API schema:\n" + "\n".join(lines))

    # --- hand edits (someone in the webGUI), for reconciler tests ------------------------------

    def apply_all(self) -> None:
        """Apply everything at once, as after clicking every "Apply changes" button."""
        with self.store.lock:
            self.store.apply_interfaces()
            self.store.apply_dhcp()
            self.store.apply_firewall()
            self.store.apply_vips()

    def add_object(self, kind: str, fields: dict[str, Any]) -> str | int:
        """Add an object without validation; returns its id. Static mappings need
        `parent_id` in `fields`; interfaces may give `id`."""
        with self.store.lock:
            fields = dict(fields)
            if kind == "interface":
                return self._add_interface(fields)
            model = self._list_model(kind)
            parent = fields.pop("parent_id", None)
            obj = {name: copy.copy(spec.default) for name, spec in model.schema.items()}
            obj.update(fields)
            if kind == "vlan":
                obj["vlanif"] = f"{obj['if']}.{obj['tag']}"
            req = self._request("POST", "(hand edit)", {}, None)
            if model.stamp:
                model.stamp(req, obj, True)
            items = model.items(req, parent)
            items.append(obj)
            self._touch(model, req, items)
            return next(i for i, candidate in enumerate(items) if candidate is obj)

    def duplicate_object(self, kind: str, object_id: str | int, *, parent_id: str | None = None):
        """Append a copy of an object (a GUI "copy"): duplicates of `descr` and even `mac`."""
        with self.store.lock:
            if kind == "interface":
                raise ValueError("interfaces cannot be duplicated (their port is unique)")
            model = self._list_model(kind)
            req = self._request("POST", "(hand edit)", {}, None)
            items = model.items(req, parent_id)
            twin = copy.deepcopy(items[int(object_id)])
            items.append(twin)
            self._touch(model, req, items)
            return next(i for i, candidate in enumerate(items) if candidate is twin)

    def delete_object(self, kind: str, predicate_or_id: Predicate | str | int) -> int:
        """Delete objects by id (static mappings: use a predicate on `parent_id`) or by a
        predicate on their `config_state()` view; returns how many went."""
        with self.store.lock:
            view_key = {"vlan": "vlans", "static_mapping": "static_mappings", "rule": "rules",
                        "one_to_one": "one_to_one", "interface": "interfaces",
                        "virtual_ip": "virtual_ips"}[kind]  # fmt: skip
            views = self.store.view(self.store.saved)[view_key]
            if callable(predicate_or_id):
                doomed = [v for v in views if predicate_or_id(v)]
            else:
                doomed = [v for v in views if str(v["id"]) == str(predicate_or_id)]
            req = self._request("DELETE", "(hand edit)", {}, None)
            for view in reversed(doomed):
                if kind == "interface":
                    handlers_interfaces._take_down(req, view["id"])
                    continue
                model = self._list_model(kind)
                items = model.items(req, view.get("parent_id"))
                del items[view["id"]]
                self._touch(model, req, items)
            return len(doomed)

    # --- internals used by the HTTP handler ----------------------------------------------------

    def _request(
        self, method: str, path: str, params: dict[str, Any], items: list[Any] | None
    ) -> Request:
        return Request(method, path, params, items, self.store, self._run_apply, self.options)

    def _dispatch(self, request: Request) -> tuple[int, dict[str, Any]]:
        handler = ROUTES[request.path][request.method]
        assert handler is not None
        with self.store.lock:
            before = copy.deepcopy((self.store.saved, self.store.live, self.store.dirty))
            try:
                data = handler(request)
            except ApiError:
                # a refused write leaves the config as it was, except for plural DELETE, which
                # is not atomic: what it deleted before the refusal stays deleted
                if (request.method, request.path) not in NON_ATOMIC:
                    self.store.saved, self.store.live, self.store.dirty = before
                raise
        return 200, envelope(200, "SUCCESS", "", data)

    def _run_apply(self, area: str, run_async: bool) -> None:
        work = {
            "firewall": self.store.apply_firewall,
            "dhcp": self.store.apply_dhcp,
            "interfaces": self.store.apply_interfaces,
            "vip": self.store.apply_vips,
        }[area]
        self.applies.append(area)
        if self.apply_delay <= 0 or not run_async:
            work()
            return
        self.store.applying.add(area)
        self._write_lock.apply_started()

        def finish() -> None:
            with self.store.lock:
                work()
                self.store.applying.discard(area)
            self._write_lock.apply_finished()

        timer = threading.Timer(self.apply_delay, finish)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _record_request(self, method: str, path: str) -> None:
        with self._log_lock:
            self.requests.append((method, path))

    def _record_violation(self, method: str, path: str, error: ApiError) -> None:
        with self._log_lock:
            self.violations.append(
                {
                    "method": method,
                    "path": path,
                    "code": error.code,
                    "response_id": error.response_id,
                    "message": error.message,
                }
            )

    def _list_model(self, kind: str) -> ListModel:
        if kind not in LIST_KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        return LIST_KINDS[kind]

    def _touch(self, model: ListModel, req: Request, items: list[dict[str, Any]]) -> None:
        if model.order:
            model.order(items)
        model.touched(req)

    def _add_interface(self, fields: dict[str, Any]) -> str:
        interface_id = str(fields.pop("id", "") or handlers_interfaces._next_id(
            self._request("POST", "(hand edit)", {}, None)))  # fmt: skip
        obj = {name: copy.copy(spec.default) for name, spec in INTERFACE_ASSIGNMENT.items()}
        obj.update(fields)
        self.store.saved.interfaces[interface_id] = obj
        if self.options.implicit_dhcp_servers and obj.get("typev4") == "static":
            self.store.ensure_dhcp_server(interface_id)
        self.store.mark_interface_pending(interface_id)
        return interface_id
