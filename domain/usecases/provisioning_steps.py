"""The steps of the create saga (DESIGN §7), in order: each checks before it acts, so a step run
again after a crash repeats nothing. provisioning.py runs them, records each one done and
compensates a failed saga."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from domain.model.catalogue import ServerConfig
from domain.model.errors import AlreadyExists, CapacityExhausted
from domain.model.network import mac_address
from domain.model.placement import choose_node
from domain.model.server import Server, ServerStatus
from domain.model.warm_pool import CLAIMED_STEP, OWNER_TAG, POOL_TAG
from domain.usecases.firewall import rules_in_force
from domain.usecases.guest_power import ensure_power
from domain.usecases.network import allocate_address, allocate_vlan
from domain.usecases.progress import CLONE_OF_CREATE, task_progress
from domain.usecases.runtime import Runtime
from domain.usecases.warm_pool import claim_for
from ports.hypervisor import GuestSpec
from ports.network import StaticMapping


@attrs.frozen(repr=False)
class GuestAccess:
    """How root gets into the new guest: the password (opened from the job's sealed copy, never
    written anywhere) and the order's SSH keys, as OpenSSH lines."""

    root_password: str
    ssh_keys: tuple[str, ...] = ()


VMID_ATTEMPTS = 5
ADDRESS_ATTEMPTS = 20  # each round of a race has a winner: enough for a burst of orders


def _place(rt: Runtime, server: Server, _: GuestAccess) -> Server:
    if CLAIMED_STEP in server.saga_steps:
        return server  # an earlier run claimed a pooled guest and recorded it
    claimed = claim_for(rt, server)
    if claimed is not None:
        return claimed
    nodes = rt.hypervisor.nodes(server.location_id)
    node = choose_node(nodes, server.config, rt.policy.overcommit, _coming(rt, server))
    server.place(rt.clock.now(), node=node)
    return server


def _coming(rt: Runtime, server: Server) -> dict[str, list[ServerConfig]]:
    """By node, the sizes of the guests that the sagas running beside this one placed there and
    have not made yet: the hypervisor's figures show a guest only once it is being created (while
    it is, it counts twice, which only steers the next order elsewhere)."""
    coming: dict[str, list[ServerConfig]] = {}
    with rt.uow() as uow:
        for other in uow.servers.in_progress():
            node = other.placement.node
            awaits_guest = (
                other.status is ServerStatus.PROVISIONING
                and other.location_id == server.location_id
                and other.id != server.id
                and not {"guest", CLAIMED_STEP} & set(other.saga_steps)
            )
            if node is not None and awaits_guest:
                coming.setdefault(node, []).append(other.config)
    return coming


def _address(rt: Runtime, server: Server, _: GuestAccess) -> Server:
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


def _vlan(rt: Runtime, server: Server, _: GuestAccess) -> Server:
    assert server.placement.vlan is not None
    rt.fabric.ensure_vlan(server.location_id, server.owner_id, server.placement.vlan)
    return server


def guest_spec_maker(
    rt: Runtime, server: Server, image_id: int, access: GuestAccess, tags: tuple[str, ...]
) -> Callable[[int], GuestSpec]:
    """The guest `server` is to have, from `image_id`, on the address and VLAN it was given, as a
    function of the vmid (a create may have to take another one). The image and the address pool
    are read once; the saga's guest step and a rebuild both make their guests with it."""
    p = server.placement
    assert p.mac_address and p.ip_address and p.vlan is not None
    mac, ip, vlan = p.mac_address, p.ip_address, p.vlan
    with rt.uow() as uow:
        image = uow.catalogue.current().image(image_id)
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
            root_password=access.root_password,
            ssh_keys=access.ssh_keys,
            tags=tags,
            user=image.default_user,
        )

    return spec


def _guest(rt: Runtime, server: Server, access: GuestAccess) -> Server:
    p = server.placement
    assert p.node and p.vmid
    existing = rt.hypervisor.find_guest(p.vmid)
    if existing is not None and guest_tag(server) in existing.tags:
        return server  # created (or reconfigured) by an earlier run of this job
    spec = guest_spec_maker(rt, server, server.image_id, access, (OWNER_TAG, guest_tag(server)))

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
            progress = task_progress(rt, server.active_action_id, CLONE_OF_CREATE)
            rt.hypervisor.wait(rt.hypervisor.create_guest(p.node, spec(vmid)), progress)
            return server
        except AlreadyExists:
            found = rt.hypervisor.find_guest(vmid)
            if found is not None and guest_tag(server) in found.tags:
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


def _mapping(rt: Runtime, server: Server, _: GuestAccess) -> Server:
    p = server.placement
    assert p.mac_address and p.ip_address and p.vlan is not None
    rt.fabric.ensure_mapping(
        server.location_id, StaticMapping(p.mac_address, p.ip_address, server.name, p.vlan)
    )
    return server


def _firewall(rt: Runtime, server: Server, _: GuestAccess) -> Server:
    p = server.placement
    assert p.ip_address and p.vlan is not None
    # The server's stored rules (the provider's default until the customer sets their own): the
    # saga and the customer's firewall changes read them from one place.
    rt.fabric.ensure_rules(
        server.location_id, server.id, p.ip_address, p.vlan, rules_in_force(rt, server)
    )
    rt.fabric.apply(server.location_id)
    return server


def _start(rt: Runtime, server: Server, _: GuestAccess) -> Server:
    p = server.placement
    assert p.node and p.vmid
    # An earlier run may have sent the start and died: "already running" is then success.
    ensure_power(rt, p.vmid, running=True)
    return server


STEP_ACTIONS: dict[str, Callable[[Runtime, Server, GuestAccess], Server]] = {
    "placed": _place,
    "addressed": _address,
    "vlan": _vlan,
    "guest": _guest,
    "mapping": _mapping,
    "firewall": _firewall,
    "started": _start,
}


def guest_tag(server: Server) -> str:
    """The tag that marks a guest as this server's (the saga created or claimed it)."""
    return f"server-{server.id}"


STEPS = tuple(STEP_ACTIONS)  # in the order they run
