"""What every endpoint handler gets, and the generic create/read/update/delete of the models kept as
plain lists (VLANs, firewall rules, 1:1 NAT, static mappings under their DHCP server).

The package's rules for such models: the id is the list position (so it shifts on delete and on
re-sorting), singular GET/DELETE take `id` (and `parent_id`) in the query, PATCH takes them in the
body, POST ignores a client id, `placement` puts an object at an index, plural DELETE needs a query
(or `all=true`) and deletes matches from the last to the first, stopping at the first refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .envelope import ApiError, not_found, parent_not_found, schema_violation
from .query import arrange, matches, parse_filters
from .schema import FILTER_ADDRESS, INTERFACE, Field
from .store import Store
from .validation import clean, control_flag, control_int


@dataclass(frozen=True)
class Options:
    # The package's FirewallRule model marks no subsystem dirty, so `GET /firewall/apply` can say
    # `applied: true` while rule edits are not live. True makes rule writes mark `filter` dirty.
    rules_mark_filter_dirty: bool = False
    # The package does not refuse deleting a VLAN that is still assigned; True refuses with 409.
    strict_in_use: bool = False
    # The package before v2.7.0: every static interface gets a DHCP server object implicitly and
    # `/services/dhcp_server` takes only GET and PATCH. From v2.7.0 (commit d14e54f8) a client
    # must POST one (the default here, as on every current box).
    implicit_dhcp_servers: bool = False


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    items: list[Any] | None  # a JSON array body (plural PUT)
    store: Store
    run_apply: Callable[[str, bool], None]  # (area, async) -> apply "firewall"/"dhcp"/"interfaces"
    options: Options = field(default_factory=Options)
    client: str = "admin@127.0.0.1 (API)"

    def apply_requested(self) -> bool:
        return control_flag(self.params, "apply", False)

    def is_async(self) -> bool:
        return control_flag(self.params, "async", True)


Check = Callable[[Request, dict[str, Any], "int | None", "str | None"], None]


@dataclass(frozen=True)
class ListModel:
    """A model stored as a list; parented models keep one list per parent id."""

    name: str
    schema: Mapping[str, Field]
    lists: Callable[[Store], dict[str, list[dict[str, Any]]]]  # parent id ("" if none) -> list
    check: Check
    touched: Callable[[Request], None]  # mark dirty / make live after a write
    apply_area: str | None = None  # what `apply: true` applies
    parented: bool = False
    minimum: int = 0  # objects that must remain (firewall rules: 1)
    order: Callable[[list[dict[str, Any]]], None] | None = None  # re-sort after a write
    stamp: Callable[[Request, dict[str, Any], bool], None] | None = None  # read-only fields

    # --- plumbing ------------------------------------------------------------------------------

    def items(self, req: Request, parent: str | None) -> list[dict[str, Any]]:
        lists = self.lists(req.store)
        key = parent if self.parented else ""
        if key not in lists:
            raise parent_not_found(parent)
        return lists[key]

    def parent_of(self, req: Request) -> str | None:
        if not self.parented:
            return None
        parent = req.params.get("parent_id")
        if parent in (None, ""):
            raise schema_violation("MODEL_PARENT_ID_REQUIRED", "Field `parent_id` is required.")
        return str(parent)

    def index_of(self, req: Request, items: list[dict[str, Any]]) -> int:
        raw = req.params.get("id")
        if raw is None or raw == "":
            raise schema_violation("MODEL_REQUIRES_ID", "Field `id` is required.")
        index = control_int(req.params, "id")
        if index is None or not 0 <= index < len(items):
            raise not_found(raw)
        return index

    def represent(self, req: Request, obj: Mapping[str, Any], index: int, parent: str | None):
        shown: dict[str, Any] = {"id": index}
        if self.parented:
            shown["parent_id"] = parent
        for name, spec in self.schema.items():
            value = obj.get(name)
            if spec.kind == INTERFACE and value is not None:
                value = (
                    [req.store.represent_interface(v) for v in value]
                    if isinstance(value, list)
                    else req.store.represent_interface(value)
                )
            elif spec.kind == FILTER_ADDRESS:
                value = req.store.represent_address(value)
            shown[name] = value
        return shown

    def _after_write(self, req: Request, items: list[dict[str, Any]], single: bool = True) -> None:
        if self.order:
            self.order(items)
        self.touched(req)
        # `apply` only works on singular endpoints; plural PUT/DELETE ignore it
        if single and self.apply_area and req.apply_requested():
            req.run_apply(self.apply_area, req.is_async())

    # --- the endpoint operations ---------------------------------------------------------------

    def read_one(self, req: Request) -> dict[str, Any]:
        parent = self.parent_of(req)
        items = self.items(req, parent)
        index = self.index_of(req, items)
        return self.represent(req, items[index], index, parent)

    def everything(self, req: Request) -> list[dict[str, Any]]:
        return [
            self.represent(req, obj, i, parent if self.parented else None)
            for parent, items in self.lists(req.store).items()
            for i, obj in enumerate(items)
        ]

    def read_many(self, req: Request) -> list[dict[str, Any]]:
        known = ["id", *(["parent_id"] if self.parented else []), *self.schema]
        triples = parse_filters(req.params, known)
        return arrange([o for o in self.everything(req) if matches(o, triples)], req.params)

    def create(self, req: Request) -> dict[str, Any]:
        parent = self.parent_of(req)
        items = self.items(req, parent)
        obj = clean(self.schema, req.params, resolve_interface=req.store.resolve_interface)
        self.check(req, obj, None, parent)
        if self.stamp:
            self.stamp(req, obj, True)
        placement = control_int(req.params, "placement")
        if placement is None or not 0 <= placement <= len(items):
            items.append(obj)
        else:
            items.insert(placement, obj)
        self._after_write(req, items)
        return self.represent(req, obj, _position(items, obj), parent)

    def update(self, req: Request) -> dict[str, Any]:
        parent = self.parent_of(req)
        items = self.items(req, parent)
        index = self.index_of(req, items)
        obj = clean(
            self.schema,
            _merged_arrays(self.schema, items[index], req.params),
            existing=items[index],
            resolve_interface=req.store.resolve_interface,
        )
        self.check(req, obj, index, parent)
        if self.stamp:
            self.stamp(req, obj, False)
        items[index] = obj
        placement = control_int(req.params, "placement")
        if placement is not None and 0 <= placement < len(items):
            items.insert(placement, items.pop(index))
        self._after_write(req, items)
        return self.represent(req, obj, _position(items, obj), parent)

    def delete_one(self, req: Request) -> dict[str, Any]:
        parent = self.parent_of(req)
        items = self.items(req, parent)
        index = self.index_of(req, items)
        shown = self.represent(req, items[index], index, parent)
        self._remove(req, items, index)
        self._after_write(req, items)
        return shown

    def delete_many(self, req: Request) -> list[dict[str, Any]]:
        everything = control_flag(req.params, "all", False)
        known = ["id", *(["parent_id"] if self.parented else []), *self.schema]
        triples = parse_filters(req.params, known)
        if not triples and not everything:
            raise schema_violation(
                "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS",
                "At least one query parameter is required to delete many objects.",
            )
        doomed = arrange([o for o in self.everything(req) if matches(o, triples)], req.params)
        deleted: list[dict[str, Any]] = []
        try:
            for shown in reversed(doomed):  # last first, so earlier ids stay valid
                items = self.items(req, shown.get("parent_id"))
                self._remove(req, items, shown["id"])
                deleted.append(shown)
        finally:  # non-atomic: what was deleted before a refusal stays deleted
            if deleted:
                for items in self.lists(req.store).values():
                    self._after_write(req, items, single=False)
        return deleted

    def replace_all(self, req: Request) -> list[dict[str, Any]]:
        if not isinstance(req.items, list):
            raise schema_violation("FIELD_INVALID_MANY_VALUE", "The body must be an array.")
        if len(req.items) < max(self.minimum, 0) or not all(isinstance(o, dict) for o in req.items):
            raise schema_violation("MODEL_MANY_MINIMUM_REACHED", "Too few objects to replace.")
        items = self.items(req, None)
        fresh: list[dict[str, Any]] = []
        for body in req.items:
            obj = clean(self.schema, body, resolve_interface=req.store.resolve_interface)
            if self.stamp:
                self.stamp(req, obj, True)
            fresh.append(obj)
        items[:] = fresh
        self._after_write(req, items, single=False)
        return [self.represent(req, o, i, None) for i, o in enumerate(items)]

    def _remove(self, req: Request, items: list[dict[str, Any]], index: int) -> None:
        total = sum(len(x) for x in self.lists(req.store).values())
        if total <= self.minimum:
            raise ApiError(
                403,
                "MODEL_MANY_MINIMUM_REACHED",
                f"At least {self.minimum} {self.name} object(s) must remain.",
            )
        del items[index]


def _position(items: list[dict[str, Any]], obj: dict[str, Any]) -> int:
    return next(i for i, candidate in enumerate(items) if candidate is obj)


def _merged_arrays(
    schema: Mapping[str, Field], current: Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, Any]:
    """PATCH with `append`/`remove`: add to or take from array fields instead of replacing."""
    append, remove = control_flag(params, "append", False), control_flag(params, "remove", False)
    if not (append or remove):
        return dict(params)
    merged = dict(params)
    for name, value in params.items():
        spec = schema.get(name)
        if spec is None or not spec.many or not isinstance(value, list):
            continue
        now = list(current.get(name) or [])
        merged[name] = now + value if append else [v for v in now if v not in value]
    return merged
