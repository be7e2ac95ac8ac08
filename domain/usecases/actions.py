"""Carrying out a server's action: the job behind start, stop, restart, resize, snapshots, password
reset, firewall changes and delete. Runs under the lock `server:<id>`; a re-run of a finished action
does nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.model.action import (
    Action,
    ActionCommand,
    NewSnapshotParams,
    ResizeParams,
    SnapshotParams,
)
from domain.model.catalogue import ServerConfig
from domain.model.errors import DomainError, NotFound
from domain.model.server import Server, ServerStatus
from domain.model.webhooks import WebhookEvent
from domain.usecases import webhooks
from domain.usecases.actors import account_of
from domain.usecases.billing import bill_server
from domain.usecases.dunning import reassess_account
from domain.usecases.firewall import apply_firewall
from domain.usecases.network import release_network
from domain.usecases.paper_trail import notify
from domain.usecases.progress import RESIZE, publish_progress, task_progress
from domain.usecases.provisioning_steps import guest_tag
from domain.usecases.rebuilding import rebuild_guest
from domain.usecases.resizing import price_resize, release_growth, settle_growth
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import image_of
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# What an action does on the hypervisor, and what it then changes on the server (in a unit of work).
Effect = Callable[[UnitOfWork, Server], None]


def run_server_action(rt: Runtime, *, action_id: int, sealed_secret: str | None = None) -> None:
    """An action's job; a new password arrives sealed, as it rested in the job's arguments."""
    secret = rt.secret_box.open(sealed_secret) if sealed_secret is not None else None
    with rt.uow() as uow:
        action = uow.actions.get(action_id)
        if action is None or action.finished:
            return
        server = uow.servers.get(action.server_id)
    assert server is not None
    try:
        effect = _PERFORM[action.command](rt, server, action, secret)
    except DomainError as ex:
        log.info("action %s (%s) failed: %s", action.id, action.command.value, ex.message)
        _settle(rt, action, None, error=(ex.code, ex.message))
        return
    try:
        _settle(rt, action, effect, error=None)
    except DomainError as ex:
        # The guest changed but our records could not follow (the catalogue moved meanwhile, say).
        # The action fails visibly and the server is unlocked, rather than staying busy for ever;
        # the reconciler brings records and guest back in line.
        log.error(
            "action %s (%s) could not be recorded: %s", action.id, action.command.value, ex.message
        )
        _settle(rt, action, None, error=(ex.code, ex.message))
    if action.command is ActionCommand.RESIZE:
        reassess_account(rt, action.owner_id)  # what the resize held is settled either way


def _settle(
    rt: Runtime, action: Action, effect: Effect | None, *, error: tuple[str, str] | None
) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        server = uow.servers.get_for_update(action.server_id)
        assert server is not None
        if effect is not None:
            effect(uow, server)
            server.complete(action.command, now)
        stored = uow.actions.get(action.id)
        assert stored is not None
        finished = stored.failed(*error, now) if error else stored.succeeded(now)
        uow.actions.update(finished)
        webhooks.action_finished(uow, finished, now)
        if error and action.command is ActionCommand.RESIZE:
            release_growth(uow, action, now)
        if server.active_action_id == action.id:
            server.finish_action(now)
        uow.servers.update(server)
        uow.commit()
    publish_progress(rt, finished)


def _where(server: Server) -> tuple[str, int]:
    node, vmid = server.placement.node, server.placement.vmid
    if not node or not vmid:
        raise NotFound("guest of server", server.id)
    return node, vmid


def _start(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    rt.hypervisor.wait(rt.hypervisor.start(*_where(server)))
    return _nothing_more


def _stop(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    rt.hypervisor.wait(rt.hypervisor.shutdown(*_where(server)))
    return _nothing_more


def _nothing_more(uow: UnitOfWork, server: Server) -> None:
    """The command's entry says all there is: the state it ends in (Server.complete)."""


def _restart(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    rt.hypervisor.wait(rt.hypervisor.reboot(*_where(server)))
    return _nothing_more


def _resize(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    wanted = action.params_as(ResizeParams)
    config = ServerConfig(wanted.cores, wanted.memory_mib, wanted.disk_gib)
    node, vmid = _where(server)
    rt.hypervisor.wait(
        rt.hypervisor.resize(
            node, vmid, cores=config.cores, memory_mib=config.memory_mib, disk_gib=config.disk_gib
        ),
        task_progress(rt, action.id, RESIZE),
    )

    def effect(uow: UnitOfWork, s: Server) -> None:
        # Bill what the old size cost up to now, then meter the new size from here on.
        now = rt.clock.now()
        bill_server(uow, s, now)
        catalogue = uow.catalogue.current()
        priced = price_resize(catalogue, s, config, now)
        s.tariff_id = priced.tariff.id if priced.tariff else None
        s.catalogue_version = catalogue.version
        settle_growth(uow, s, action, priced, now)
        s.resized(config, priced.meter, now)

    return effect


def _snapshot(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    node, vmid = _where(server)
    if action.command is ActionCommand.CREATE_SNAPSHOT:
        new = action.params_as(NewSnapshotParams)
        task = rt.hypervisor.create_snapshot(node, vmid, new.snapname, new.description)
    elif action.command is ActionCommand.ROLLBACK:
        name = action.params_as(SnapshotParams).snapname
        rt.hypervisor.wait(rt.hypervisor.rollback(node, vmid, name))
        # A snapshot carries the guest's size from when it was taken. Back to the size the customer
        # pays for now, or a rollback across a resize would give (or take) resources unbilled.
        c = server.config
        task = rt.hypervisor.resize(
            node, vmid, cores=c.cores, memory_mib=c.memory_mib, disk_gib=c.disk_gib
        )
    else:
        name = action.params_as(SnapshotParams).snapname
        task = rt.hypervisor.delete_snapshot(node, vmid, name)
    rt.hypervisor.wait(task)
    return _nothing_more


def _password(rt: Runtime, server: Server, action: Action, secret: str | None) -> Effect:
    if not secret:
        raise NotFound("new password for action", action.id)  # a lost job argument: ask again
    with rt.uow() as uow:
        image = image_of(uow, server)
    user = image.default_user if image else ""  # gone from the catalogue: the adapter's default
    rt.hypervisor.wait(rt.hypervisor.set_password(*_where(server), secret, user))
    return _nothing_more


def _delete(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    p = server.placement
    if p.vmid:
        guest = rt.hypervisor.find_guest(p.vmid)
        if guest is not None and guest_tag(server) in guest.tags:
            if guest.status == "running":
                rt.hypervisor.wait(rt.hypervisor.stop(guest.node, p.vmid))
            rt.hypervisor.wait(rt.hypervisor.destroy(guest.node, p.vmid))
    if p.mac_address:
        rt.fabric.remove_rules(server.location_id, server.id)
        rt.fabric.remove_mapping(server.location_id, p.mac_address)
        rt.fabric.apply(server.location_id)
    release_network(rt, server)

    def effect(uow: UnitOfWork, s: Server) -> None:
        now = rt.clock.now()
        if s.status is ServerStatus.DELETING:
            s.deleted(now)
            webhooks.server_changed(uow, s, WebhookEvent.SERVER_DELETED, now)
            notify(uow, account_of(uow, s.owner_id), "server_deleted", now, name=s.name)

    return effect


def _suspend(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    node, vmid = _where(server)
    guest = rt.hypervisor.find_guest(vmid)
    if guest is not None and guest.status == "running":
        rt.hypervisor.wait(rt.hypervisor.shutdown(node, vmid))
    return _nothing_more  # the server is already marked suspended by the dunning run


def _unsuspend(rt: Runtime, server: Server, action: Action, _: str | None) -> Effect:
    if server.stopped_by_dunning:
        rt.hypervisor.wait(rt.hypervisor.start(*_where(server)))
    return lambda uow, s: (
        s.unsuspend(rt.clock.now()) if s.status is ServerStatus.SUSPENDED else None
    )


_PERFORM: dict[ActionCommand, Callable[[Runtime, Server, Action, str | None], Effect]] = {
    ActionCommand.START: _start,
    ActionCommand.UNSUSPEND: _unsuspend,
    ActionCommand.STOP: _stop,
    ActionCommand.SUSPEND: _suspend,
    ActionCommand.RESTART: _restart,
    ActionCommand.RESIZE: _resize,
    ActionCommand.CREATE_SNAPSHOT: _snapshot,
    ActionCommand.ROLLBACK: _snapshot,
    ActionCommand.DELETE_SNAPSHOT: _snapshot,
    ActionCommand.RESET_PASSWORD: _password,
    ActionCommand.DELETE: _delete,
    ActionCommand.CHANGE_FIREWALL: apply_firewall,
    ActionCommand.REBUILD: rebuild_guest,
}
