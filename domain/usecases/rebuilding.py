"""Rebuild (reinstall): a server's guest wiped and installed again from an image, keeping the
server's id, address, VLAN and firewall, with a new root password shown once.

The image must be of the server's guest kind: a container cannot become a virtual machine in
place (nor back), since the hypervisor makes them from different things (an ostemplate, a VM
template). The guest's snapshots go with it; the answer names them. Billing goes on without a
break and unchanged: an image whose licence costs something else (Windows) changes the price from
the next billing period, the calendar month after the rebuild (a pending rate on the meter, see
domain/model/metering.py). A second rebuild within the month starts from that pending price, so
rebuilding back to the licence it had leaves nothing pending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from domain.model.action import Action, ActionCommand, RebuildParams
from domain.model.catalogue import HOURS_PER_MONTH, OsImage
from domain.model.errors import Conflict, DomainError, NotFound, RuleViolation
from domain.model.metering import Meter
from domain.model.money import Money
from domain.model.server import Server
from domain.model.server_commands import RebuildServer
from domain.model.warm_pool import OWNER_TAG
from domain.usecases.actors import Actor
from domain.usecases.billing import bill_server
from domain.usecases.guest_power import destroy_guest, ensure_power
from domain.usecases.progress import REBUILD_CLONE, task_progress
from domain.usecases.provisioning_steps import GuestAccess, guest_spec_maker, guest_tag
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import image_of, owned_server
from domain.usecases.server_commands import command_server
from domain.usecases.ssh_keys import chosen_keys
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class Rebuilt:
    action: Action
    root_password: str | None  # shown once; None when SSH keys were given
    user: str  # whose password it is (root, or Administrator on Windows)
    removed_snapshots: tuple[str, ...]  # what the wipe takes with it


def rebuild_server(rt: Runtime, actor: Actor, command: RebuildServer) -> Rebuilt:
    with rt.uow() as uow:
        server = owned_server(uow, actor, command.server_id)
        image = _image(uow, server, command.os_id)
        keys = chosen_keys(uow, actor, command.ssh_keys)
    snapshots = _snapshot_names(rt, server)
    password = rt.secrets.password()

    def rebuilding(uow: UnitOfWork, locked: Server, action: Action, now: dt.datetime) -> None:
        locked.start_rebuilding(now)

    action = command_server(
        rt,
        actor,
        server.id,
        ActionCommand.REBUILD,
        RebuildParams(image.id, "\n".join(keys)),
        secret=password,
        reserve=rebuilding,
    )
    return Rebuilt(action, None if keys else password, image.default_user, snapshots)


def _image(uow: UnitOfWork, server: Server, os_id: int) -> OsImage:
    catalogue = uow.catalogue.current()
    image = next((i for i in catalogue.images if i.id == os_id), None)
    if image is None:
        raise RuleViolation("osId", f"has {os_id}, which is no operating system we offer")
    if image.guest_kind is not server.guest_kind:
        raise Conflict(
            f"a {server.guest_kind.value} server cannot be rebuilt from {image.name}, which is a "
            f"{image.guest_kind.value} image: order a new server for it",
            reason="guest_kind",
        )
    try:
        image.template_at(server.location_id)
    except DomainError:
        raise RuleViolation(
            "osId", f"has {image.name}, which is not offered where this server is"
        ) from None
    return image


def _snapshot_names(rt: Runtime, server: Server) -> tuple[str, ...]:
    node, vmid = server.placement.node, server.placement.vmid
    if not node or not vmid:
        return ()
    return tuple(sorted(s.name for s in rt.hypervisor.snapshots(node, vmid)))


# --- the job ------------------------------------------------------------------------------------


def rebuild_guest(
    rt: Runtime, server: Server, action: Action, secret: str | None
) -> Callable[[UnitOfWork, Server], None]:
    """Wipe and install again; safe to repeat (a guest this action made already is kept)."""
    params = action.params_as(RebuildParams)
    if not secret:
        raise NotFound("new password for action", action.id)  # a lost job argument: ask again
    p = server.placement
    if not (p.node and p.vmid and p.mac_address and p.ip_address and p.vlan is not None):
        raise NotFound("guest of server", server.id)
    mark = f"rebuild-{action.id}"
    access = GuestAccess(secret, params.key_lines)
    spec = guest_spec_maker(
        rt, server, params.image_id, access, (OWNER_TAG, guest_tag(server), mark)
    )
    guest = rt.hypervisor.find_guest(p.vmid)
    if guest is None or mark not in guest.tags:
        if guest is not None and guest_tag(server) in guest.tags:
            destroy_guest(rt, guest.node, p.vmid)
        progress = task_progress(rt, action.id, REBUILD_CLONE)
        rt.hypervisor.wait(rt.hypervisor.create_guest(p.node, spec(p.vmid)), progress)
    ensure_power(rt, p.vmid, running=True)

    def effect(uow: UnitOfWork, s: Server) -> None:
        now = rt.clock.now()
        bill_server(uow, s, now)  # what the old image cost up to now
        image = uow.catalogue.current().image(params.image_id)
        s.rebuilt(image.id, _relicensed(s, image_of(uow, s), image, now), now)

    return effect


def _relicensed(server: Server, before: OsImage | None, after: OsImage, at: dt.datetime) -> Meter:
    """The meter with the new image's licence in place of the old one's from the next month: the
    hour and the month's cap move by the difference (a licence is rented by the hour, on top of any
    tariff), counted from the price the next month would have started with."""
    meter = server.meter
    old = before.licence_hourly if before is not None else Money.zero(meter.hourly.currency)
    change = after.licence_hourly - old
    if change.is_zero:
        return meter
    hourly, monthly_cap = meter.next_rates
    return meter.from_next_month(hourly + change, monthly_cap + change * HOURS_PER_MONTH, at)
