"""Provisioning: step 3 and 4 of the create saga (DESIGN §7).

The job runs under the lock `server:<id>`. Each step checks before it acts and is recorded on the
server when done, so a job re-run after a crash resumes where it stopped and repeats nothing. When a
step fails, the finished steps are undone in reverse order, the hold is released, the promo use is
given back, and the server is marked failed with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable

from domain.model.errors import (
    AlreadyExists,
    CapacityExhausted,
    DomainError,
    ExternalFailure,
)
from domain.model.ledger_movements import capture, release
from domain.model.money import Money
from domain.model.network import mac_address
from domain.model.placement import choose_node
from domain.model.server import Server, ServerStatus
from domain.model.warm_pool import CLAIMED_STEP, OWNER_TAG, POOL_TAG
from domain.usecases.common import account_of, image_of, notify
from domain.usecases.firewall import rules_in_force
from domain.usecases.guest_power import destroy_guest, ensure_power, when_idle
from domain.usecases.network import allocate_address, allocate_vlan, release_network
from domain.usecases.runtime import Runtime
from domain.usecases.warm_pool import claim_for
from ports.hypervisor import GuestSpec
from ports.network import StaticMapping
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SAGA_FAILED = "saga-failed"  # the event channel: a saga failed at a step and is compensated
STEPS = ("placed", "addressed", "vlan", "guest", "mapping", "firewall", "started")
VMID_ATTEMPTS = 5
ADDRESS_ATTEMPTS = 20  # each round of a race has a winner: enough for a burst of orders


def provision_server(
    rt: Runtime,
    *,
    server_id: int,
    first_charge_list: int,
    first_charge: int,
    sealed_root_password: str,
) -> None:
    """The create saga's job. The root password arrives sealed (job arguments rest in the
    database); it is opened here, used by the guest step and never written anywhere."""
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        if server is None or server.status not in (ServerStatus.PENDING, ServerStatus.PROVISIONING):
            return  # finished or compensated by an earlier run
        server.start_provisioning(rt.clock.now())
        uow.servers.update(server)
        uow.commit()
    step = "unseal"
    try:
        root_password = rt.secret_box.open(sealed_root_password)
        if root_password is None:
            raise ExternalFailure("the root password of this order cannot be unsealed")
        for step in STEPS:
            if step not in server.saga_steps:
                # A guest still busy with a crashed run's task is waited for, not failed on.
                run = functools.partial(_STEP_ACTIONS[step], rt, server, root_password)
                server = when_idle(rt, run)
                server = _record(rt, server.id, step, server)
        step = "finish"
        _finish(rt, server.id, first_charge_list, first_charge)
    except DomainError as ex:
        log.warning("provisioning server %s failed at %s: %s", server_id, step, ex.message)
        # For operators (a metric by step), not customers: they hear of it by the notice.
        rt.events.publish(
            SAGA_FAILED, {"saga": "create", "step": step, "serverId": server_id, "code": ex.code}
        )
        compensate(rt, server_id, reason=ex.message, code=ex.code)


def _record(rt: Runtime, server_id: int, step: str, changed: Server) -> Server:
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        server.placement = changed.placement
        server.mark_step(step, rt.clock.now())
        uow.servers.update(server)
        uow.commit()
        return server


# --- the steps -----------------------------------------------------------------------------------


def _place(rt: Runtime, server: Server, _: str) -> Server:
    if CLAIMED_STEP in server.saga_steps:
        return server  # an earlier run claimed a pooled guest and recorded it
    claimed = claim_for(rt, server)
    if claimed is not None:
        return claimed
    node = choose_node(rt.hypervisor.nodes(server.location_id), server.config, rt.policy.overcommit)
    server.place(rt.clock.now(), node=node)
    return server


def _address(rt: Runtime, server: Server, _: str) -> Server:
    """The server's vmid, MAC, VLAN and address, recorded together.

    Sagas run side by side: two may read the same free address, VLAN tag or vmid (the cluster's
    nextid reserves nothing) and the second to commit is refused by a unique rule. That is a race
    lost, not a failed order: look again, leaving aside the vmids already tried."""
    tried: set[int] = set()
    vmid = server.placement.vmid or _untried_vmid(rt, tried)
    for _attempt in range(ADDRESS_ATTEMPTS):
        try:
            with rt.uow() as uow:
                mac = server.placement.mac_address or mac_address(uow.network.next_mac_sequence())
                vlan = allocate_vlan(uow, rt, server)
                ip = allocate_address(uow, rt, server, vlan)
                stored = uow.servers.get_for_update(server.id)
                assert stored is not None
                stored.place(rt.clock.now(), vmid=vmid, mac_address=mac, ip_address=ip, vlan=vlan)
                uow.servers.update(stored)
                uow.commit()
        except AlreadyExists:
            tried.add(vmid)
            vmid = _untried_vmid(rt, tried)
            continue
        server.place(rt.clock.now(), vmid=vmid, mac_address=mac, ip_address=ip, vlan=vlan)
        return server
    raise CapacityExhausted("could not reserve an address and a vmid", attempts=ADDRESS_ATTEMPTS)


def _untried_vmid(rt: Runtime, tried: set[int]) -> int:
    vmid = rt.hypervisor.next_vmid()
    while vmid in tried:
        vmid += 1
    return vmid


def _vlan(rt: Runtime, server: Server, _: str) -> Server:
    assert server.placement.vlan is not None
    rt.fabric.ensure_vlan(server.location_id, server.owner_id, server.placement.vlan)
    return server


def _guest(rt: Runtime, server: Server, root_password: str) -> Server:
    p = server.placement
    assert p.node and p.vmid and p.mac_address and p.ip_address and p.vlan is not None
    mac, ip, vlan = p.mac_address, p.ip_address, p.vlan
    existing = rt.hypervisor.find_guest(p.vmid)
    if existing is not None and _tag(server) in existing.tags:
        return server  # created (or reconfigured) by an earlier run of this job
    with rt.uow() as uow:
        image = uow.catalogue.current().image(server.image_id)
        cidr, _ = uow.network.ip_of(server.id) or ("", "")
        pool = next(pool for pool in uow.network.pools(server.location_id) if pool.cidr == cidr)

    def spec(vmid: int) -> GuestSpec:
        return GuestSpec(
            kind=server.guest_kind,
            vmid=vmid,
            hostname=server.name,
            template=image.template_at(server.location_id),
            cores=server.config.cores,
            memory_mib=server.config.memory_mib,
            disk_gib=server.config.disk_gib,
            mac_address=mac,
            vlan=vlan,
            ip_address=f"{ip}/{pool.prefix_length}",
            gateway=pool.gateway,
            root_password=root_password,
            tags=(OWNER_TAG, _tag(server)),
            user=image.default_user,
        )

    if CLAIMED_STEP in server.saga_steps and existing is not None and POOL_TAG in existing.tags:
        # The pooled guest becomes this server's: its name, network, password, tags and size.
        rt.hypervisor.wait(rt.hypervisor.reconfigure(existing.node, p.vmid, spec(p.vmid)))
        return server
    # Without a pooled guest (or when the claimed one vanished meanwhile): create one.
    vmid, tried = p.vmid, set[int]()
    for _attempt in range(VMID_ATTEMPTS):
        try:
            # Record the vmid before creating, so compensation finds the guest even after a crash.
            server = _record_vmid(rt, server, vmid)
            rt.hypervisor.wait(rt.hypervisor.create_guest(p.node, spec(vmid)))
            return server
        except AlreadyExists:
            found = rt.hypervisor.find_guest(vmid)
            if found is not None and _tag(server) in found.tags:
                return server  # an earlier run of this job made it (a look-up above missed it)
            # Another creator took it between asking and creating (on the cluster or in our
            # records): the cluster's next free one, unless already tried.
            tried.add(vmid)
            vmid = _untried_vmid(rt, tried)
    raise CapacityExhausted("could not obtain a free vmid", attempts=VMID_ATTEMPTS)


def _record_vmid(rt: Runtime, server: Server, vmid: int) -> Server:
    server.place(rt.clock.now(), vmid=vmid)
    with rt.uow() as uow:
        stored = uow.servers.get_for_update(server.id)
        assert stored is not None
        stored.placement = server.placement
        uow.servers.update(stored)
        uow.commit()
    return server


def _mapping(rt: Runtime, server: Server, _: str) -> Server:
    p = server.placement
    assert p.mac_address and p.ip_address and p.vlan is not None
    rt.fabric.ensure_mapping(
        server.location_id, StaticMapping(p.mac_address, p.ip_address, server.name, p.vlan)
    )
    return server


def _firewall(rt: Runtime, server: Server, _: str) -> Server:
    p = server.placement
    assert p.ip_address and p.vlan is not None
    # The server's stored rules (the provider's default until the customer sets their own): the
    # saga and the customer's firewall changes read them from one place.
    rt.fabric.ensure_rules(
        server.location_id, server.id, p.ip_address, p.vlan, rules_in_force(rt, server)
    )
    rt.fabric.apply(server.location_id)
    return server


def _start(rt: Runtime, server: Server, _: str) -> Server:
    p = server.placement
    assert p.node and p.vmid
    # An earlier run may have sent the start and died: "already running" is then success.
    ensure_power(rt, p.vmid, running=True)
    return server


_STEP_ACTIONS: dict[str, Callable[[Runtime, Server, str], Server]] = {
    "placed": _place,
    "addressed": _address,
    "vlan": _vlan,
    "guest": _guest,
    "mapping": _mapping,
    "firewall": _firewall,
    "started": _start,
}


def _tag(server: Server) -> str:
    return f"server-{server.id}"


# --- success and failure -------------------------------------------------------------------------


def _finish(rt: Runtime, server_id: int, first_charge_list: int, first_charge: int) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        currency = server.meter.hourly.currency
        if server.hold_key is not None:
            held = uow.ledger.get(server.hold_key)
            assert held is not None
            for tx in capture(
                held,
                Money(first_charge, currency),
                now=now,
                memo=f"first charge of server {server.name}",
            ):
                uow.ledger.post(tx)
        meter = server.meter.prepaid(
            rt.policy.billing_period_seconds, Money(first_charge_list, currency)
        )
        server.provisioned(meter, now)
        _close_action(uow, server, now, error=None)
        uow.servers.update(server)
        notify(
            uow,
            account_of(uow, server.owner_id),
            "server_ready",
            now,
            name=server.name,
            ip=server.placement.ip_address or "",
            connect=_how_to_connect(uow, server),
        )
        uow.commit()


def _how_to_connect(uow: UnitOfWork, server: Server) -> str:
    """The ready e-mail's hint: the image's own user (the one its password was set for), never
    the password."""
    image = image_of(uow, server)
    ip = server.placement.ip_address or ""
    if image is not None and image.os_type == "windows":
        return f"Remote Desktop (RDP) to {ip} as {image.default_user}"
    return f"ssh {image.default_user if image else 'root'}@{ip}"


def compensate(rt: Runtime, server_id: int, *, reason: str, code: str) -> None:
    """Undo every finished step in reverse, then settle the money and tell the customer.

    An undo that itself fails is logged and left to the reconciler: the money is settled regardless,
    because a customer must never pay for a server they did not get."""
    with rt.uow() as uow:
        failed = uow.servers.get(server_id)
    assert failed is not None
    p = failed.placement
    undo: list[tuple[str, Callable[[], None]]] = []
    if p.vmid and p.node:
        undo.append(("guest", lambda: _destroy_guest(rt, failed)))
    if "firewall" in failed.saga_steps or "mapping" in failed.saga_steps:
        undo.append(("firewall", lambda: _remove_fabric(rt, failed)))
    if "addressed" in failed.saga_steps or p.ip_address:
        undo.append(("addressed", lambda: release_network(rt, failed)))
    for step, action in undo:
        try:
            action()
        except DomainError as ex:
            log.error("compensating %s of server %s failed: %s", step, server_id, ex.message)
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        if server.hold_key is not None and uow.ledger.unsettled(server.hold_key) > 0:
            held = uow.ledger.get(server.hold_key)
            assert held is not None
            uow.ledger.post(release(held, now=now, memo="server could not be created"))
        if server.promo_code is not None:
            promo = uow.promos.by_code(server.promo_code)
            if promo is not None:
                uow.promos.give_back(promo.id, server.owner_id, f"server:{server.id}")
        server.fail(reason, now)
        server.saga_steps = ()
        _close_action(uow, server, now, error=(code, reason))
        uow.servers.update(server)
        notify(
            uow,
            account_of(uow, server.owner_id),
            "server_failed",
            now,
            name=server.name,
            reason=reason,
        )
        uow.commit()


def _destroy_guest(rt: Runtime, server: Server) -> None:
    p = server.placement
    assert p.vmid and p.node
    guest = rt.hypervisor.find_guest(p.vmid)
    claimed = CLAIMED_STEP in server.saga_steps and guest is not None and POOL_TAG in guest.tags
    if guest is None or not (claimed or _tag(server) in guest.tags):
        return  # never created, or the vmid belongs to someone else's guest: not ours to delete
    destroy_guest(rt, guest.node, p.vmid)


def _remove_fabric(rt: Runtime, server: Server) -> None:
    if server.placement.mac_address:
        rt.fabric.remove_rules(server.location_id, server.id)
        rt.fabric.remove_mapping(server.location_id, server.placement.mac_address)
        rt.fabric.apply(server.location_id)


def _close_action(
    uow: UnitOfWork, server: Server, now: dt.datetime, *, error: tuple[str, str] | None
) -> None:
    if server.active_action_id is None:
        return
    action = uow.actions.get(server.active_action_id)
    if action is not None and not action.finished:
        action = action.failed(*error, now) if error else action.succeeded(now)
        uow.actions.update(action)
    server.finish_action(now)
