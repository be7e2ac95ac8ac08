"""Ordering servers and acting on them; what the hypervisor and the firewall then hold."""

from __future__ import annotations

import ipaddress
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from pytest_bdd import given, parsers, then, when

from domain.model.action import Action, ActionCommand, ActionStatus
from domain.model.catalogue import GuestKind
from domain.model.commands import OrderRequest
from domain.model.errors import NotFound
from domain.model.server import ServerStatus
from domain.model.server_commands import (
    OnServer,
    OnSnapshot,
    ResizeServer,
    TakeSnapshot,
)
from domain.model.values import Cores, DiskGiB, MemoryMiB, SnapshotName
from domain.usecases import billing, ordering, server_commands, servers, snapshots
from domain.usecases.billing import BillingReport
from ports.hypervisor import GuestInfo

from .common import NAME, Outcome, Shop, attempt, catch_up, code_of, same_money

SERVER = r'"(?P<server>[^"]+)"'
OTHER = r'"(?P<other>[^"]+)"'
CITY = r"(?P<city>[A-Z][a-z]+(?: [A-Z][a-z]+)*)"
PROMO = r'(?: with promo code "(?P<code>[^"]+)")?'
SIZE = r"(?P<cores>\d+) cores?, (?P<memory>\d+) MiB of memory and (?P<disk>\d+) GiB of disk"
DEFAULT_OS = "Ubuntu 24.04"


# --- ordering ------------------------------------------------------------------------------------


def place_order(shop: Shop, name: str, request: OrderRequest) -> Outcome:
    """Order as the customer; the provisioning job runs as soon as the workers are free."""
    outcome = attempt(lambda: ordering.create_server(shop.rt, shop.customer(name).actor, request))
    if outcome.accepted:
        created = outcome.value
        shop.server_ids[created.server.name] = created.server.id
        shop.root_passwords[created.server.name] = created.root_password
    return outcome


def tariff_order(shop: Shop, tariff: str, server: str, city: str, code: str | None) -> OrderRequest:
    return OrderRequest(
        os_id=shop.image(DEFAULT_OS).id,
        location_id=shop.location(city).id,
        tariff_id=shop.tariff(tariff).id,
        promo_code=code,
        name=server,
    )


@when(
    parsers.re(rf'^{NAME} orders a "(?P<tariff>[^"]+)" server {SERVER} in {CITY}{PROMO}$'),
    target_fixture="outcome",
)
def _orders(
    shop: Shop, name: str, tariff: str, server: str, city: str, code: str | None
) -> Outcome:
    return place_order(shop, name, tariff_order(shop, tariff, server, city, code))


@when(
    parsers.re(
        rf'^{NAME} orders a "(?P<tariff>[^"]+)" server {SERVER} in {CITY}'
        r" while the billing run happens$"
    ),
    target_fixture="billing_report",
)
def _orders_during_billing(
    shop: Shop, name: str, tariff: str, server: str, city: str
) -> BillingReport:
    # Side by side, as the scheduler's run and the API's order are: whichever takes the books
    # first, the order is accepted and the run finishes.
    with ThreadPoolExecutor(1) as scheduler:
        run = scheduler.submit(billing.billing_run, shop.rt)
        place_order(shop, name, tariff_order(shop, tariff, server, city, None)).result()
        return run.result()


@given(parsers.re(rf'^{NAME} has ordered a "(?P<tariff>[^"]+)" server {SERVER} in {CITY}{PROMO}$'))
def _has_ordered(
    shop: Shop, name: str, tariff: str, server: str, city: str, code: str | None
) -> None:
    place_order(shop, name, tariff_order(shop, tariff, server, city, code)).result()


@given(
    parsers.re(
        rf'^{NAME}\'s "(?P<tariff>[^"]+)" server {SERVER} in {CITY} has its node'
        r" and its guest is still being made$"
    )
)
def _placed_guest_coming(shop: Shop, name: str, tariff: str, server: str, city: str) -> None:
    # Another worker's saga is that far: the records name the node, the hypervisor has nothing
    # yet. Stopping this saga at the guest's creation leaves the same state behind.
    shop.hypervisor.fail_next("create", error=RuntimeError("the other worker is still at it"))
    place_order(shop, name, tariff_order(shop, tariff, server, city, None)).result()
    shop.job_queue.clear()
    found = shop.server(server)
    assert found.placement.node is not None and found.placement.vmid is not None
    assert shop.hypervisor.guest(found.placement.vmid) is None


@given(
    parsers.re(
        rf'^{NAME} has a running "(?P<tariff>[^"]+)" server {SERVER} in {CITY}'
        r'(?: ordered with promo code "(?P<code>[^"]+)")?$'
    )
)
def _has_running(
    shop: Shop, name: str, tariff: str, server: str, city: str, code: str | None
) -> None:
    place_order(shop, name, tariff_order(shop, tariff, server, city, code)).result()
    assert shop.server(server).status is ServerStatus.RUNNING, shop.server(server).failure_reason


@when(
    parsers.re(rf"^{NAME} orders a server {SERVER} with {SIZE} with (?P<os>.+?) in {CITY}$"),
    target_fixture="outcome",
)
def _orders_custom(
    shop: Shop, name: str, server: str, cores: str, memory: str, disk: str, os: str, city: str
) -> Outcome:
    return place_order(shop, name, custom_order(shop, server, cores, memory, disk, os, city))


@given(
    parsers.re(rf"^{NAME} has a running server {SERVER} with {SIZE} with (?P<os>.+?) in {CITY}$")
)
def _has_running_custom(
    shop: Shop, name: str, server: str, cores: str, memory: str, disk: str, os: str, city: str
) -> None:
    place_order(shop, name, custom_order(shop, server, cores, memory, disk, os, city)).result()
    assert shop.server(server).status is ServerStatus.RUNNING, shop.server(server).failure_reason


def custom_order(
    shop: Shop, server: str, cores: str, memory: str, disk: str, os: str, city: str
) -> OrderRequest:
    return OrderRequest(
        os_id=shop.image(os).id,
        location_id=shop.location(city).id,
        cores=int(cores),
        memory=int(memory),
        disk=int(disk),
        name=server,
    )


@then(parsers.re(rf"^{SERVER} is on another {CITY} node than {OTHER}$"))
def _other_node(shop: Shop, server: str, city: str, other: str) -> None:
    nodes = {n.name for n in shop.hypervisor.nodes(shop.location(city).id)}
    here, there = shop.server(server).placement.node, shop.server(other).placement.node
    assert here in nodes and there in nodes and here != there, (here, there)


@then(parsers.re(rf"^{NAME} has no servers$"))
def _no_servers(shop: Shop, name: str) -> None:
    assert servers.list_servers(shop.rt, shop.customer(name).actor) == []


# --- the server's state --------------------------------------------------------------------------


@then(parsers.re(rf"^the server {SERVER} (?:is|has) (?P<state>running|stopped|suspended|failed)$"))
def _server_state(shop: Shop, server: str, state: str) -> None:
    found = shop.server(server)
    assert found.status.value == state, (found.status, found.failure_reason)


@then(parsers.re(rf"^the server {SERVER} is gone$"))
def _server_gone(shop: Shop, server: str) -> None:
    found = shop.server(server)
    assert found.status is ServerStatus.DELETED
    with pytest.raises(NotFound):
        servers.get_server(shop.rt, shop.customer_of(found.owner_id).actor, found.id)
    assert found.id not in [
        s.id for s in servers.list_servers(shop.rt, shop.customer_of(found.owner_id).actor)
    ]


ACTIONS = {
    "create": ActionCommand.CREATE,
    "start": ActionCommand.START,
    "stop": ActionCommand.STOP,
    "restart": ActionCommand.RESTART,
    "resize": ActionCommand.RESIZE,
    "password reset": ActionCommand.RESET_PASSWORD,
    "snapshot": ActionCommand.CREATE_SNAPSHOT,
    "rollback": ActionCommand.ROLLBACK,
    "snapshot deletion": ActionCommand.DELETE_SNAPSHOT,
    "delete": ActionCommand.DELETE,
    "suspend": ActionCommand.SUSPEND,
    "unsuspend": ActionCommand.UNSUSPEND,
}


def last_action(shop: Shop, server: str, what: str) -> Action:
    found = shop.server(server)
    owner = shop.customer_of(found.owner_id)
    matching = [
        a
        for a in servers.server_actions(shop.rt, owner.actor, found.id)
        if a.command is ACTIONS[what]
    ]
    assert matching, f"no {what} action on {server}"
    return matching[0]  # newest first


@then(parsers.re(rf"^the (?P<what>[a-z ]+?) action of {SERVER} succeeded$"))
def _action_succeeded(shop: Shop, what: str, server: str) -> None:
    action = last_action(shop, server, what)
    assert action.status is ActionStatus.SUCCESS, action.error
    assert action.progress == 100 and action.finished_at is not None


@then(
    parsers.re(rf"^the (?P<what>[a-z ]+?) action of {SERVER} ended in error as (?P<words>[a-z ]+)$")
)
def _action_failed(shop: Shop, what: str, server: str, words: str) -> None:
    action = last_action(shop, server, what)
    assert action.status is ActionStatus.ERROR
    assert action.error is not None and action.error.code == code_of(words), action.error


@then(parsers.re(rf"^the server {SERVER} now costs (?P<hourly>\d+\.\d+) per hour$"))
def _costs(shop: Shop, server: str, hourly: str) -> None:
    same_money(shop.server(server).meter.hourly, hourly)


# --- what the hypervisor holds -------------------------------------------------------------------


def guest_of(shop: Shop, server: str) -> GuestInfo:
    found = shop.server(server)
    assert found.placement.vmid is not None, f"{server} has no guest"
    guest = shop.hypervisor.guest(found.placement.vmid)
    assert guest is not None, f"the guest of {server} is missing"
    assert f"server-{found.id}" in guest.tags
    return guest


@then(
    parsers.re(
        rf"^the guest of {SERVER} runs on an? {CITY} node with "
        r"(?P<cores>\d+) cores?, (?P<memory>\d+) MiB and (?P<disk>\d+) GiB$"
    )
)
def _guest_size(shop: Shop, server: str, city: str, cores: str, memory: str, disk: str) -> None:
    guest = guest_of(shop, server)
    nodes = {n.name for n in shop.hypervisor.nodes(shop.location(city).id)}
    assert guest.node in nodes
    assert guest.status == "running"
    assert (guest.cores, guest.memory_mib, guest.disk_gib) == (int(cores), int(memory), int(disk))


@then(parsers.re(rf"^the guest of {SERVER} is (?P<status>running|stopped) on the hypervisor$"))
def _guest_status(shop: Shop, server: str, status: str) -> None:
    assert guest_of(shop, server).status == status


@then(parsers.re(rf"^the guest of {SERVER} is a full virtual machine$"))
def _guest_is_vm(shop: Shop, server: str) -> None:
    assert guest_of(shop, server).kind is GuestKind.QEMU


@then(parsers.re(rf"^no guest is left on the hypervisor for {SERVER}$"))
def _no_guest(shop: Shop, server: str) -> None:
    found = shop.server(server)
    tag = f"server-{found.id}"
    assert [g for g in shop.hypervisor.guests_all() if tag in g.tags] == []
    assert not shop.hypervisor.running_tasks()


@then(parsers.re(rf"^the root password shown to {NAME} is the one set on the guest of {SERVER}$"))
def _root_password_on_guest(shop: Shop, name: str, server: str) -> None:
    shown = shop.root_passwords[server]
    assert len(shown) >= 16
    assert shop.hypervisor.password_of(guest_of(shop, server).vmid) == shown


@then(parsers.re(rf"^the root password shown to {NAME} is stored nowhere in the back office$"))
def _root_password_not_kept(shop: Shop, name: str) -> None:
    for shown in shop.root_passwords.values():
        assert_stored_nowhere(shop, shown)


def assert_stored_nowhere(shop: Shop, secret: str) -> None:
    """Not in any table of the store (servers, actions, audit, outbox...) nor in a mail."""
    assert secret not in repr(shop.store.tables)
    assert all(secret not in mail.body and secret not in mail.subject for mail in shop.mailer.sent)


# --- what the network holds ----------------------------------------------------------------------


@then(parsers.re(rf"^{SERVER} has an address from the {CITY} pool$"))
def _address_from_pool(shop: Shop, server: str, city: str) -> None:
    found = shop.server(server)
    location_id = shop.location(city).id
    with shop.store.uow() as uow:
        pools = uow.network.pools(location_id)
        assigned = uow.network.ip_of(found.id)
    assert assigned is not None and assigned[1] == found.placement.ip_address
    assert any(ipaddress.ip_address(assigned[1]) in ipaddress.ip_network(p.cidr) for p in pools)


@then(parsers.re(rf"^{SERVER} and {OTHER} are on the same private network$"))
def _same_vlan(shop: Shop, server: str, other: str) -> None:
    first, second = shop.server(server), shop.server(other)
    assert first.placement.vlan is not None and first.placement.vlan == second.placement.vlan


@then(parsers.re(rf"^{SERVER} and {OTHER} have different addresses$"))
def _different_ips(shop: Shop, server: str, other: str) -> None:
    first, second = shop.server(server), shop.server(other)
    assert first.placement.ip_address and second.placement.ip_address
    assert first.placement.ip_address != second.placement.ip_address


@then(
    parsers.re(
        rf"^the firewall in {CITY} gives {SERVER} its address, its rules "
        rf"and {NAME}'s private network$"
    )
)
def _fabric_has_server(shop: Shop, city: str, server: str, name: str) -> None:
    found = shop.server(server)
    p = found.placement
    live = shop.fabric.live_state(shop.location(city).id)
    assert not shop.fabric.state(shop.location(city).id).pending_changes
    assert any(
        m.mac_address == p.mac_address and m.ip_address == p.ip_address and m.vlan == p.vlan
        for m in live.mappings
    ), live.mappings
    ports = {rule.port_from for rule in live.rules.get(found.id, ())}
    assert {22, 80, 443} <= ports, live.rules
    assert live.vlans.get(p.vlan) == shop.customer(name).id


@then(
    parsers.re(
        rf"^the firewall in {CITY} keeps nothing for {SERVER} and no private network for {NAME}$"
    )
)
def _fabric_clean(shop: Shop, city: str, server: str, name: str) -> None:
    found = shop.server(server)
    location_id = shop.location(city).id
    customer_id = shop.customer(name).id
    for view in (shop.fabric.state(location_id), shop.fabric.live_state(location_id)):
        assert found.id not in view.rules, view.rules
        assert not [
            m
            for m in view.mappings
            if m.hostname == found.name or m.mac_address == found.placement.mac_address
        ]
        assert customer_id not in view.vlans.values(), view.vlans
    with shop.store.uow() as uow:
        assert uow.network.vlan_of(customer_id, location_id) is None


@then(parsers.re(rf"^the address of {SERVER} is free again$"))
def _address_free(shop: Shop, server: str) -> None:
    found = shop.server(server)
    with shop.store.uow() as uow:
        assert uow.network.ip_of(found.id) is None
        if found.placement.ip_address is not None:
            taken = set().union(
                *(uow.network.taken_ips(p.cidr) for p in uow.network.pools(found.location_id))
            )
            assert found.placement.ip_address not in taken


# --- power and size ------------------------------------------------------------------------------


POWER = {
    "starts": server_commands.start_server,
    "stops": server_commands.stop_server,
    "restarts": server_commands.restart_server,
}


@when(
    parsers.re(rf"^{NAME} (?P<verb>starts|stops|restarts) the server {SERVER}$"),
    target_fixture="outcome",
)
def _power(shop: Shop, name: str, verb: str, server: str) -> Outcome:
    command = OnServer(shop.server_id(server))
    return attempt(lambda: POWER[verb](shop.rt, shop.customer(name).actor, command))


@given(parsers.re(rf"^{NAME} has stopped the server {SERVER}$"))
def _has_stopped(shop: Shop, name: str, server: str) -> None:
    server_commands.stop_server(
        shop.rt, shop.customer(name).actor, OnServer(shop.server_id(server))
    )
    assert shop.server(server).status is ServerStatus.STOPPED


@given(parsers.re(rf"^{NAME} has asked to (?P<verb>start|stop|restart) the server {SERVER}$"))
def _asked_to(shop: Shop, name: str, verb: str, server: str) -> None:
    POWER[f"{verb}s"](shop.rt, shop.customer(name).actor, OnServer(shop.server_id(server)))


@then(
    parsers.re(
        rf"^once the background workers catch up the server {SERVER} is (?P<state>running|stopped)$"
    )
)
def _after_catch_up(shop: Shop, server: str, state: str) -> None:
    catch_up(shop)
    assert shop.server(server).status.value == state


@when(
    parsers.re(rf"^{NAME} resizes the server {SERVER} to {SIZE}$"),
    target_fixture="outcome",
)
def _resize(shop: Shop, name: str, server: str, cores: str, memory: str, disk: str) -> Outcome:
    return attempt(
        lambda: server_commands.resize_server(
            shop.rt,
            shop.customer(name).actor,
            ResizeServer(
                shop.server_id(server),
                cores=Cores(int(cores)),
                memory=MemoryMiB(int(memory)),
                disk=DiskGiB(int(disk)),
            ),
        )
    )


@given(parsers.re(rf"^{NAME} has resized the server {SERVER} to {SIZE}$"))
def _has_resized(shop: Shop, name: str, server: str, cores: str, memory: str, disk: str) -> None:
    _resize(shop, name, server, cores, memory, disk).result()
    assert last_action(shop, server, "resize").status is ActionStatus.SUCCESS


# --- password -------------------------------------------------------------------------------------


@when(parsers.re(rf"^{NAME} resets the root password of {SERVER}$"), target_fixture="outcome")
def _reset_password(shop: Shop, name: str, server: str) -> Outcome:
    return attempt(
        lambda: server_commands.reset_password(
            shop.rt, shop.customer(name).actor, OnServer(shop.server_id(server))
        )
    )


@then(parsers.re(rf"^the new password is the one set on the guest of {SERVER}$"))
def _new_password_on_guest(shop: Shop, outcome: Outcome, server: str) -> None:
    password = outcome.result().password
    assert password != shop.root_passwords[server]
    assert shop.hypervisor.password_of(guest_of(shop, server).vmid) == password


@then("the new password is stored nowhere in the back office")
def _new_password_not_kept(shop: Shop, outcome: Outcome) -> None:
    assert_stored_nowhere(shop, outcome.result().password)


# --- deleting ------------------------------------------------------------------------------------


@when(parsers.re(rf"^{NAME} deletes the server {SERVER}$"), target_fixture="outcome")
def _delete(shop: Shop, name: str, server: str) -> Outcome:
    return attempt(
        lambda: server_commands.delete_server(
            shop.rt, shop.customer(name).actor, OnServer(shop.server_id(server))
        )
    )


@given(parsers.re(rf"^{NAME} has deleted the server {SERVER}$"))
def _has_deleted(shop: Shop, name: str, server: str) -> None:
    server_commands.delete_server(
        shop.rt, shop.customer(name).actor, OnServer(shop.server_id(server))
    )
    assert shop.server(server).status is ServerStatus.DELETED


# --- snapshots -----------------------------------------------------------------------------------


@when(
    parsers.re(
        rf'^{NAME} takes a snapshot "(?P<snap>[^"]+)" of {SERVER} described as "(?P<text>[^"]*)"$'
    ),
    target_fixture="outcome",
)
def _take_snapshot(shop: Shop, name: str, snap: str, server: str, text: str) -> Outcome:
    return attempt(
        lambda: snapshots.create_snapshot(
            shop.rt,
            shop.customer(name).actor,
            TakeSnapshot(shop.server_id(server), SnapshotName(snap), description=text),
        )
    )


@given(parsers.re(rf'^{NAME} has taken a snapshot "(?P<snap>[^"]+)" of {SERVER}$'))
def _has_snapshot(shop: Shop, name: str, snap: str, server: str) -> None:
    snapshots.create_snapshot(
        shop.rt, shop.customer(name).actor, TakeSnapshot(shop.server_id(server), SnapshotName(snap))
    )
    assert last_action(shop, server, "snapshot").status is ActionStatus.SUCCESS


@given(parsers.re(rf"^{NAME} has taken (?P<count>\d+) snapshots of {SERVER}$"))
def _has_snapshots(shop: Shop, name: str, count: str, server: str) -> None:
    for n in range(1, int(count) + 1):
        snapshots.create_snapshot(
            shop.rt,
            shop.customer(name).actor,
            TakeSnapshot(shop.server_id(server), SnapshotName(f"daily-{n:02d}")),
        )


@when(
    parsers.re(rf'^{NAME} rolls {SERVER} back to the snapshot "(?P<snap>[^"]+)"$'),
    target_fixture="outcome",
)
def _rollback(shop: Shop, name: str, server: str, snap: str) -> Outcome:
    return attempt(
        lambda: snapshots.rollback_snapshot(
            shop.rt,
            shop.customer(name).actor,
            OnSnapshot(shop.server_id(server), SnapshotName(snap)),
        )
    )


@when(
    parsers.re(rf'^{NAME} deletes the snapshot "(?P<snap>[^"]+)" of {SERVER}$'),
    target_fixture="outcome",
)
def _delete_snapshot(shop: Shop, name: str, snap: str, server: str) -> Outcome:
    return attempt(
        lambda: snapshots.delete_snapshot(
            shop.rt,
            shop.customer(name).actor,
            OnSnapshot(shop.server_id(server), SnapshotName(snap)),
        )
    )


@then(parsers.re(rf'^the snapshots of {SERVER} are (?P<names>".+")$'))
def _snapshots_are(shop: Shop, server: str, names: str) -> None:
    owner = shop.customer_of(shop.server(server).owner_id)
    listed = [
        s.name for s in snapshots.list_snapshots(shop.rt, owner.actor, shop.server_id(server))
    ]
    assert sorted(listed) == sorted(re.findall(r'"([^"]+)"', names))


@then(parsers.re(rf"^{SERVER} has (?P<count>\d+) snapshots$"))
def _snapshot_count(shop: Shop, server: str, count: str) -> None:
    guest = guest_of(shop, server)
    assert len(shop.hypervisor.snapshots(guest.node, guest.vmid)) == int(count)
