"""Provisioning: step 3 and 4 of the create saga (DESIGN §7).

The job runs under the lock `server:<id>`. Each step checks before it acts and is recorded on the
server when done, so a job re-run after a crash resumes where it stopped and repeats nothing. When a
step fails, the finished steps are undone in reverse order, the hold is released, the promo use is
given back, and the server is marked failed with the reason. The steps themselves are in
provisioning_steps.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable

from domain.model.action import Action
from domain.model.errors import DomainError, ExternalFailure
from domain.model.ledger_movements import capture, release
from domain.model.money import Money
from domain.model.server import Server, ServerStatus
from domain.model.warm_pool import CLAIMED_STEP, POOL_TAG
from domain.model.webhooks import WebhookEvent
from domain.usecases import webhooks
from domain.usecases.actors import account_of
from domain.usecases.guest_power import destroy_guest, when_idle
from domain.usecases.network import release_network
from domain.usecases.paper_trail import notify
from domain.usecases.progress import CREATE_PROGRESS, publish_progress
from domain.usecases.provisioning_steps import STEP_ACTIONS, STEPS, GuestAccess, guest_tag
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import image_of
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SAGA_FAILED = "saga-failed"  # the event channel: a saga failed at a step and is compensated


def provision_server(
    rt: Runtime,
    *,
    server_id: int,
    first_charge_list: int,
    first_charge: int,
    sealed_root_password: str,
    ssh_keys: list[str] | None = None,  # the lines of the order's keys (jobs deferred before: none)
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
                access = GuestAccess(root_password, tuple(ssh_keys or ()))
                run = functools.partial(STEP_ACTIONS[step], rt, server, access)
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
    """The step done, on the server and as its action's progress."""
    action: Action | None = None
    with rt.uow() as uow:
        server = uow.servers.get_for_update(server_id)
        assert server is not None
        server.placement = changed.placement
        server.mark_step(step, rt.clock.now())
        uow.servers.update(server)
        if server.active_action_id is not None and step in CREATE_PROGRESS:
            action = uow.actions.get(server.active_action_id)
            if action is not None and not action.finished:
                action = action.progressed(CREATE_PROGRESS[step])
                uow.actions.update(action)
        uow.commit()
    publish_progress(rt, action)
    return server


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
        closed = _close_action(uow, server, now, error=None)
        uow.servers.update(server)
        webhooks.server_changed(uow, server, WebhookEvent.SERVER_CREATED, now)
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
    publish_progress(rt, closed)


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
        closed = _close_action(uow, server, now, error=(code, reason))
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
    publish_progress(rt, closed)


def _destroy_guest(rt: Runtime, server: Server) -> None:
    p = server.placement
    assert p.vmid and p.node
    guest = rt.hypervisor.find_guest(p.vmid)
    claimed = CLAIMED_STEP in server.saga_steps and guest is not None and POOL_TAG in guest.tags
    if guest is None or not (claimed or guest_tag(server) in guest.tags):
        return  # never created, or the vmid belongs to someone else's guest: not ours to delete
    destroy_guest(rt, guest.node, p.vmid)


def _remove_fabric(rt: Runtime, server: Server) -> None:
    if server.placement.mac_address:
        rt.fabric.remove_rules(server.location_id, server.id)
        rt.fabric.remove_mapping(server.location_id, server.placement.mac_address)
        rt.fabric.apply(server.location_id)


def _close_action(
    uow: UnitOfWork, server: Server, now: dt.datetime, *, error: tuple[str, str] | None
) -> Action | None:
    """The server's create action finished (the one this call closed, for its publication)."""
    if server.active_action_id is None:
        return None
    action = uow.actions.get(server.active_action_id)
    closed = None
    if action is not None and not action.finished:
        closed = action.failed(*error, now) if error else action.succeeded(now)
        uow.actions.update(closed)
        webhooks.action_finished(uow, closed, now)
    server.finish_action(now)
    return closed
