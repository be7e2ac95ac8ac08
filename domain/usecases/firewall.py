"""A customer's inbound firewall on one of their servers: see it, replace it.

A replacement is an Action like every other server command. It is refused at once when the server
is someone else's, busy, or has no rules on the firewall (not provisioned yet, failed, going away);
otherwise the wanted rules are kept on the server as pending and the job `run_server_action` makes
them live: `ensure_rules`, then `apply`. Only a change that went live replaces the rules recorded as
in force. A failed one stages the rules in force again, so that the next apply at the location (ours
or another server's) cannot make a refused set live behind the records' back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from domain.model.action import Action, ActionCommand, FirewallParams
from domain.model.commands import ReplaceFirewall
from domain.model.errors import DomainError, NotFound
from domain.model.firewall import customer_rules
from domain.model.network import FirewallRule
from domain.model.server import Server, ServerStatus
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import begin_action, owned_server
from domain.usecases.server_jobs import defer_action
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The states in which a server's rules are on the firewall (provisioning put them there).
ON_FABRIC = frozenset(
    {ServerStatus.RUNNING, ServerStatus.STOPPED, ServerStatus.SUSPENDED, ServerStatus.REBUILDING}
)


@attrs.frozen
class ServerFirewall:
    rules: tuple[FirewallRule, ...]  # the ones being applied while a change runs, else in force
    applied: bool  # the firewall enforces exactly `rules`
    default: bool  # the provider's default set: the customer has not set their own


@attrs.frozen
class FirewallChange:
    action: Action
    rules: tuple[FirewallRule, ...]  # as checked and stored: canonical sources, trimmed text


def rules_in_force(rt: Runtime, server: Server) -> tuple[FirewallRule, ...]:
    """What the firewall should hold for the server when no change is running."""
    return server.firewall if server.firewall is not None else rt.policy.default_inbound


def server_firewall(rt: Runtime, actor: Actor, server_id: int) -> ServerFirewall:
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
    pending = server.firewall_pending
    return ServerFirewall(
        rules=pending if pending is not None else rules_in_force(rt, server),
        applied=pending is None and server.status in ON_FABRIC,
        default=pending is None and server.firewall is None,
    )


def replace_firewall(rt: Runtime, actor: Actor, command: ReplaceFirewall) -> FirewallChange:
    """Replace every inbound rule of the server with the command's."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = owned_server(uow, actor, command.server_id, for_update=True)
        networks = _customer_networks(rt, uow, server)
        wanted = customer_rules(command.rules, customer_networks=networks)
        action = begin_action(
            uow,
            server,
            ActionCommand.CHANGE_FIREWALL,
            now,
            FirewallParams(rules=len(wanted)),
        )
        server.request_firewall(wanted, now)
        uow.servers.update(server)
        defer_action(uow, server, action)
        audit(
            uow,
            actor,
            "server.change_firewall",
            f"server:{server.id}",
            now,
            action=action.id,
            rules=len(wanted),
        )
        uow.commit()
    return FirewallChange(action, wanted)


def _customer_networks(rt: Runtime, uow: UnitOfWork, server: Server) -> set[str]:
    """Where customers' servers live, in every location: the private space cut into per-customer
    VLAN subnets, and the address pools. A customer's rule may name none of it."""
    location_ids = {loc.id for loc in uow.catalogue.current().locations} | {server.location_id}
    pools = {pool.cidr for loc in sorted(location_ids) for pool in uow.network.pools(loc)}
    return pools | {plan.supernet for plan in rt.policy.customer_networks.values()}


# --- the job's part (dispatched by domain/usecases/actions.py) -----------------------------------


def apply_firewall(
    rt: Runtime, server: Server, action: Action, _: str | None
) -> Callable[[UnitOfWork, Server], None]:
    """Make the pending rules live; on success the effect records them as in force."""
    wanted = server.firewall_pending
    if wanted is None:
        raise NotFound("requested firewall rules of action", action.id)
    p = server.placement
    if not p.ip_address or p.vlan is None:
        raise NotFound("network of server", server.id)
    staged = False
    try:
        rt.fabric.ensure_rules(server.location_id, server.id, p.ip_address, p.vlan, wanted)
        staged = True
        rt.fabric.apply(server.location_id)
    except DomainError:
        _put_back(rt, server, reapply=staged)
        raise
    return lambda uow, s: s.firewall_applied(wanted, rt.clock.now())


def _put_back(rt: Runtime, server: Server, *, reapply: bool) -> None:
    """Stage the rules in force again after a failed change; when the failure was the apply, apply
    once more, since a firewall that timed out may have made the new rules live after all. What
    cannot be put back now is logged and left to the reconciler."""
    p = server.placement
    assert p.ip_address and p.vlan is not None
    try:
        rt.fabric.ensure_rules(
            server.location_id, server.id, p.ip_address, p.vlan, rules_in_force(rt, server)
        )
        if reapply:
            rt.fabric.apply(server.location_id)
    except DomainError as ex:
        log.error("putting back the firewall rules of server %s failed: %s", server.id, ex.message)
