"""The warm pool: a tick keeps it filled, and the create saga takes guests out of it.

Refilling records every guest before creating it, so whatever a crash leaves behind is findable: a
row still `building` after the policy's build timeout is a crashed build, and the next refill
destroys its guest (if it got that far) and forgets it. A failed build is cleaned at once; a
cleanup that itself fails leaves the row for that later pass.
"""

from __future__ import annotations

import logging

import attrs

from domain.model.catalogue import Catalogue, ServerConfig
from domain.model.errors import (
    AlreadyExists,
    CapacityExhausted,
    DomainError,
    NoCatalogue,
    NotFound,
)
from domain.model.network import mac_address
from domain.model.placement import choose_node, fits
from domain.model.server import Server, ServerStatus
from domain.model.warm_pool import (
    CLAIMED_STEP,
    OWNER_TAG,
    PARKING_ADDRESS,
    PARKING_VLAN,
    POOL_TAG,
    PooledGuest,
    PoolState,
    pool_size,
    shortfall,
)
from domain.usecases.runtime import Runtime
from ports.hypervisor import GuestSpec
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

VMID_ATTEMPTS = 5
VMID_SEARCH = 1000  # vmids tried past the hypervisor's next free one


@attrs.frozen
class RefillReport:
    built: int = 0
    failed: int = 0
    cleaned: int = 0  # crashed builds removed


def refill_warm_pool(rt: Runtime) -> RefillReport:
    """Build the guests each pool lacks (the scheduler's tick). A pool whose build fails stops for
    this tick: the cause (a full location, a broken template) would fail the next one too."""
    targets = rt.policy.warm_pool
    if not targets:
        return RefillReport()
    cleaned = _clean_crashed_builds(rt)
    with rt.uow() as uow:
        missing = shortfall(targets, uow.warm_pool.all())
        try:
            catalogue = uow.catalogue.current()
        except NoCatalogue:  # nothing is sold yet, so nothing is worth building
            return RefillReport(cleaned=cleaned)
    built = failed = 0
    for (location_id, image_id), count in missing.items():
        for _ in range(count):
            try:
                _build(rt, catalogue, location_id, image_id)
            except DomainError as ex:
                failed += 1
                log.warning(
                    "warm pool %s/%s: building a guest failed: %s", location_id, image_id, ex
                )
                break
            built += 1
    return RefillReport(built=built, failed=failed, cleaned=cleaned)


def _build(rt: Runtime, catalogue: Catalogue, location_id: int, image_id: int) -> None:
    catalogue.location(location_id)  # a pool for a location that is gone is a policy mistake
    image = catalogue.image(image_id)
    size = pool_size(catalogue.limits)
    node = choose_node(rt.hypervisor.nodes(location_id), size, rt.policy.overcommit)
    with rt.uow() as uow:
        pooled = PooledGuest(
            id=uow.warm_pool.next_id(),
            location_id=location_id,
            image_id=image_id,
            node=node,
            vmid=_unrecorded_vmid(rt, uow),
            disk_gib=size.disk_gib,
            state=PoolState.BUILDING,
            created_at=rt.clock.now(),
        )
        mac = mac_address(uow.network.next_mac_sequence())
        uow.warm_pool.add(pooled)  # before the guest exists: a crash from here on leaves a trace
        uow.commit()
    try:
        for _attempt in range(VMID_ATTEMPTS):
            spec = GuestSpec(
                kind=image.guest_kind,
                vmid=pooled.vmid,
                hostname=pooled.hostname,
                template=image.template_at(location_id),
                cores=size.cores,
                memory_mib=size.memory_mib,
                disk_gib=size.disk_gib,
                mac_address=mac,
                vlan=PARKING_VLAN,
                ip_address=PARKING_ADDRESS,
                gateway="",
                root_password=rt.secrets.password(),  # replaced when an order claims the guest
                tags=(OWNER_TAG, POOL_TAG),
                user=image.default_user,
            )
            try:
                rt.hypervisor.wait(rt.hypervisor.create_guest(node, spec))
                break
            except AlreadyExists:
                # Someone created a guest with that vmid between asking and creating.
                pooled = _move_to_another_vmid(rt, pooled)
        else:
            raise CapacityExhausted("could not obtain a free vmid", attempts=VMID_ATTEMPTS)
        with rt.uow() as uow:
            uow.warm_pool.update(pooled.ready())
            uow.commit()
    except DomainError:
        _discard(rt, pooled)
        raise


def _unrecorded_vmid(rt: Runtime, uow: UnitOfWork) -> int:
    """A vmid free on the hypervisor that none of our records holds either: a build or a saga that
    crashed before creating its guest keeps its vmid recorded while the hypervisor calls it free."""
    vmid = rt.hypervisor.next_vmid()
    for attempt in range(VMID_SEARCH):
        if not _recorded(uow, vmid) and (attempt == 0 or rt.hypervisor.find_guest(vmid) is None):
            return vmid
        vmid += 1
    raise CapacityExhausted("no vmid is free of our records", attempts=VMID_SEARCH)


def _recorded(uow: UnitOfWork, vmid: int) -> bool:
    if uow.warm_pool.by_vmid(vmid) is not None:
        return True
    owner = uow.servers.by_vmid(vmid)
    return owner is not None and owner.status not in (ServerStatus.FAILED, ServerStatus.DELETED)


def _move_to_another_vmid(rt: Runtime, pooled: PooledGuest) -> PooledGuest:
    with rt.uow() as uow:
        moved = attrs.evolve(pooled, vmid=_unrecorded_vmid(rt, uow))
        uow.warm_pool.update(moved)
        uow.commit()
    return moved


def _clean_crashed_builds(rt: Runtime) -> int:
    deadline = rt.clock.now() - rt.policy.warm_pool_build_timeout
    with rt.uow() as uow:
        stale = [
            g
            for g in uow.warm_pool.all()
            if g.state is PoolState.BUILDING and g.created_at <= deadline
        ]
    cleaned = 0
    for pooled in stale:
        try:
            _discard(rt, pooled)
            cleaned += 1
        except DomainError as ex:
            log.error("warm pool: cleaning crashed build %s failed: %s", pooled.id, ex)
    return cleaned


def _discard(rt: Runtime, pooled: PooledGuest) -> None:
    """Destroy the pooled guest if it exists, then forget its row. The row goes only once the guest
    is gone, so a failed cleanup is retried by a later refill."""
    try:
        guest = rt.hypervisor.find_guest(pooled.vmid)
        # The tags and name tell our pooled guest from another that got the vmid meanwhile.
        if guest is not None and POOL_TAG in guest.tags and guest.name == pooled.hostname:
            if guest.status == "running":
                rt.hypervisor.wait(rt.hypervisor.stop(guest.node, pooled.vmid))
            rt.hypervisor.wait(rt.hypervisor.destroy(guest.node, pooled.vmid))
    except NotFound:
        pass  # gone already
    except DomainError as ex:
        log.error("warm pool: destroying guest %s failed: %s", pooled.vmid, ex)
        return
    with rt.uow() as uow:
        uow.warm_pool.remove(pooled.id)
        uow.commit()


# --- the saga's side -----------------------------------------------------------------------------


def claim_for(rt: Runtime, server: Server) -> Server | None:
    """Take a ready pooled guest for the server and record it as the server's placement, in one
    unit of work: the guest leaves the pool exactly when a server holds it. None when the pool has
    no guest that fits (then the saga builds one as usual)."""
    now = rt.clock.now()
    with rt.uow() as uow:
        pooled = uow.warm_pool.claim(
            server.location_id, server.image_id, max_disk_gib=server.config.disk_gib
        )
        if pooled is None:
            return None
        # The node already carries the pooled guest at its pool size; it must take the growth.
        # (Asked only now, so that an order without a pooled guest costs no extra call.)
        growth = ServerConfig(
            server.config.cores, server.config.memory_mib, server.config.disk_gib - pooled.disk_gib
        )
        load = next(
            (n for n in rt.hypervisor.nodes(server.location_id) if n.name == pooled.node), None
        )
        if load is None or not fits(load, growth, rt.policy.overcommit):
            return None  # leaving without commit puts the guest back in the pool
        stored = uow.servers.get_for_update(server.id)
        assert stored is not None
        stored.place(now, node=pooled.node, vmid=pooled.vmid)
        stored.mark_step(CLAIMED_STEP, now)
        uow.servers.update(stored)
        uow.commit()
    log.info("server %s takes pooled guest %s on %s", server.id, pooled.vmid, pooled.node)
    return stored
