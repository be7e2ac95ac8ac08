"""Reconciling our records with the guests that really exist (a scheduler tick).

Per location it compares the servers that hold a vmid, and the warm pool, with the hypervisor's list
of guests, and repairs what drifted:

- a server whose guest is gone is lost: its meter stops, it is removed (network given back) and the
  customer is told; a server stuck in `deleting` whose guest is gone has its deletion finished;
- a guest stopped or started by hand: the server's state follows the guest (never the reverse);
- a guest of ours that no live server or pool row claims, left by a crash: it is destroyed;
- a ready pooled guest that vanished: its row is dropped, so the next refill replaces it.

Only guests tagged "hostprovider" are ever touched. Nothing that changed within the policy's grace
period is judged: a saga or an action may still be on its way. The guest list is read before our
records, and every record is written before its guest is created, so a guest on the list always
finds the row that claims it. A guest seen missing (or in another power state) from the list, which
may lag, is looked up again on its own before anything is repaired. Every repair re-reads its row
under lock and checks again, so a repeated or concurrent run changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from domain.model.errors import DomainError
from domain.model.server import Server, ServerStatus
from domain.model.warm_pool import OWNER_TAG, POOL_TAG, PooledGuest, PoolState
from domain.model.webhooks import WebhookEvent
from domain.usecases import webhooks
from domain.usecases.actors import account_of
from domain.usecases.catalogue import catalogued_locations
from domain.usecases.guest_power import destroy_guest
from domain.usecases.network import release_network
from domain.usecases.paper_trail import audit, notify
from domain.usecases.runtime import Runtime
from ports.hypervisor import GuestInfo

log = logging.getLogger(__name__)

S = ServerStatus
POWERED = ("running", "stopped")  # what a guest's status is when the hypervisor knows it
LOSABLE = (S.RUNNING, S.STOPPED, S.SUSPENDED)  # states with a guest that nothing is changing


@attrs.define
class GuestDriftReport:
    lost: list[int] = attrs.Factory(list)  # server ids whose guest was gone: removed
    power_followed: list[int] = attrs.Factory(list)  # server ids set to their guest's power state
    deletions_finished: list[int] = attrs.Factory(list)  # server ids
    orphans_destroyed: list[int] = attrs.Factory(list)  # vmids
    pool_rows_dropped: list[int] = attrs.Factory(list)  # pooled guest ids whose guest vanished
    unaccounted: list[int] = attrs.Factory(list)  # vmids tagged ours that no record knows: for ops
    unreachable: list[int] = attrs.Factory(list)  # server ids on an offline node: not judged
    errors: list[str] = attrs.Factory(list)  # repairs that failed; the next run tries again

    @property
    def repaired(self) -> int:
        return (
            len(self.lost)
            + len(self.power_followed)
            + len(self.deletions_finished)
            + len(self.orphans_destroyed)
            + len(self.pool_rows_dropped)
        )


def reconcile_guests(rt: Runtime) -> GuestDriftReport:
    report = GuestDriftReport()
    with rt.uow() as uow:
        locations = [location.id for location in catalogued_locations(uow)]
    for location_id in locations:
        try:
            _reconcile_location(rt, location_id, report)
        except DomainError as ex:
            log.error("reconciling location %s failed: %s", location_id, ex.message)
            report.errors.append(f"location {location_id}: {ex.message}")
    if report.repaired or report.unaccounted or report.errors:
        log.warning("guest reconciliation: %s", report)
    return report


def _reconcile_location(rt: Runtime, location_id: int, report: GuestDriftReport) -> None:
    listed = {g.vmid: g for g in rt.hypervisor.guests(location_id)}  # before our records: see above
    online = {n.name for n in rt.hypervisor.nodes(location_id) if n.online}
    with rt.uow() as uow:
        servers = uow.servers.placed_in(location_id)
        pooled = uow.warm_pool.in_location(location_id)
    settled = rt.clock.now() - rt.policy.reconcile_grace
    for server in servers:
        try:
            _check_server(rt, server, listed, online, settled, report)
        except DomainError as ex:
            _failed(report, f"server {server.id}", ex)
    for row in pooled:
        if row.state is PoolState.READY and row.vmid not in listed and row.node in online:
            _drop_if_vanished(rt, row, report)
    claimed = {s.placement.vmid for s in servers} | {row.vmid for row in pooled}
    for guest in listed.values():
        if OWNER_TAG in guest.tags and not guest.template and guest.vmid not in claimed:
            try:
                _check_orphan(rt, guest, settled, report)
            except DomainError as ex:
                _failed(report, f"guest {guest.vmid}", ex)


def _failed(report: GuestDriftReport, what: str, ex: DomainError) -> None:
    log.error("reconciling %s failed: %s", what, ex.message)
    report.errors.append(f"{what}: {ex.message}")


# --- servers -------------------------------------------------------------------------------------


def _check_server(
    rt: Runtime,
    server: Server,
    listed: dict[int, GuestInfo],
    online: set[str],
    settled: dt.datetime,
    report: GuestDriftReport,
) -> None:
    if server.updated_at > settled or server.status not in (*LOSABLE, S.DELETING):
        return  # too recent, or a saga or an action owns the guest right now
    if server.active_action_id is not None and server.status is not S.DELETING:
        return
    node, vmid = server.placement.node, server.placement.vmid
    assert vmid is not None
    guest = listed.get(vmid)
    if guest is None or guest.status not in POWERED:
        if node not in online:
            report.unreachable.append(server.id)  # an offline node lists nothing: judge nothing
            return
        guest = rt.hypervisor.find_guest(vmid)  # the list may lag: ask about this guest alone
    if guest is None:
        if server.status is S.DELETING:
            _finish_deletion(rt, server.id, report)
        else:
            _lose(rt, server.id, vmid, report)
        return
    if server.status not in (S.RUNNING, S.STOPPED) or guest.status not in POWERED:
        return
    if (guest.status == "running") != (server.status is S.RUNNING):
        fresh = rt.hypervisor.find_guest(vmid)
        if fresh is not None and fresh.status == guest.status:
            _follow_power(rt, server.id, fresh.status == "running", report)


def _follow_power(rt: Runtime, server_id: int, running: bool, report: GuestDriftReport) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        if server.active_action_id is not None or server.status not in (S.RUNNING, S.STOPPED):
            return
        recorded = server.status.value
        if (server.status is S.RUNNING) == running:
            return  # another run got here first
        server.powered(running, now)
        uow.servers.update(server)
        audit(
            uow,
            None,
            "server.power_drift",
            f"server:{server.id}",
            now,
            recorded=recorded,
            observed=server.status.value,
        )
        uow.commit()
    report.power_followed.append(server_id)


def _lose(rt: Runtime, server_id: int, vmid: int, report: GuestDriftReport) -> None:
    """The guest is gone and cannot come back: stop the meter (moving to `deleting`, which is not
    billable; the time since the last billing run is not charged, as nothing was there to use),
    tell the customer and ops, then remove the server like a finished deletion."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        if server.status not in LOSABLE or server.active_action_id is not None:
            return
        node = server.placement.node
        server.start_deleting(now)
        server.failure_reason = f"its guest {vmid} no longer exists on the hypervisor"
        uow.servers.update(server)
        audit(uow, None, "server.guest_lost", f"server:{server.id}", now, vmid=vmid, node=node)
        notify(uow, account_of(uow, server.owner_id), "server_lost", now, name=server.name)
        uow.commit()
    report.lost.append(server_id)
    _finish_deletion(rt, server_id, report, lost=True)


def _finish_deletion(
    rt: Runtime, server_id: int, report: GuestDriftReport, *, lost: bool = False
) -> None:
    """What the delete job does once the guest is gone: firewall, addresses, then the record."""
    with rt.uow() as uow:
        server = uow.servers.get(server_id)
    assert server is not None
    if server.status is not S.DELETING:
        return
    p = server.placement
    if p.mac_address:
        rt.fabric.remove_rules(server.location_id, server.id)
        rt.fabric.remove_mapping(server.location_id, p.mac_address)
        rt.fabric.apply(server.location_id)
    release_network(rt, server)
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        if server.status is not S.DELETING:
            return
        action = uow.actions.get(server.active_action_id) if server.active_action_id else None
        if action is not None and not action.finished:
            uow.actions.update(action.succeeded(now))
            webhooks.action_finished(uow, action.succeeded(now), now)
        server.finish_action(now)
        server.deleted(now)
        uow.servers.update(server)
        webhooks.server_changed(uow, server, WebhookEvent.SERVER_DELETED, now)
        audit(uow, None, "server.deletion_finished", f"server:{server.id}", now, lost=lost)
        if not lost:  # a lost server's customer has been told already
            notify(uow, account_of(uow, server.owner_id), "server_deleted", now, name=server.name)
        uow.commit()
    if not lost:
        report.deletions_finished.append(server_id)


def _drop_if_vanished(rt: Runtime, row: PooledGuest, report: GuestDriftReport) -> None:
    if rt.hypervisor.find_guest(row.vmid) is None:
        with rt.uow() as uow:
            uow.warm_pool.remove(row.id)  # nothing if an order claimed it meanwhile
            uow.commit()
        report.pool_rows_dropped.append(row.id)


# --- guests nobody claims ------------------------------------------------------------------------


def _check_orphan(
    rt: Runtime, listed: GuestInfo, settled: dt.datetime, report: GuestDriftReport
) -> None:
    guest = rt.hypervisor.find_guest(listed.vmid)
    if guest is None or OWNER_TAG not in guest.tags:
        return
    with rt.uow() as uow:
        owner = uow.servers.by_vmid(guest.vmid)  # a live server first, else the newest
        pooled = uow.warm_pool.by_vmid(guest.vmid)
    if pooled is not None or (owner is not None and owner.status not in (S.FAILED, S.DELETED)):
        return  # claimed since we read the records
    # Every guest we create is recorded first (on its server, or as a pool row), so a guest of ours
    # that no record names did not come from us as the records stand (a restored backup, a guest
    # made by hand): destroying it would be a guess, so ops decide.
    if owner is None or not (f"server-{owner.id}" in guest.tags or POOL_TAG in guest.tags):
        report.unaccounted.append(guest.vmid)
        return
    if owner.updated_at > settled:
        return  # its server failed or was deleted a moment ago: the cleanup may still be running
    if not destroy_guest(rt, guest.node, guest.vmid):
        return  # destroyed meanwhile
    now = rt.clock.now()
    with rt.uow() as uow:
        audit(
            uow,
            None,
            "guest.orphan_destroyed",
            f"guest:{guest.vmid}",
            now,
            node=guest.node,
            server=owner.id,
        )
        uow.commit()
    report.orphans_destroyed.append(guest.vmid)
