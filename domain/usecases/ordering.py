"""Ordering a server: steps 1 and 2 of the create saga (DESIGN §7).

In one unit of work: check the account may order, price the order (against a signed quote when one
is given), reserve the promo redemption, hold the first charge, insert the server and its action,
and defer the provisioning job. Either all of it happens or none of it does.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.action import Action, ActionCommand
from domain.model.commands import OrderRequest
from domain.model.errors import AccountRestricted, QuoteRejected
from domain.model.ledger_movements import hold
from domain.model.metering import Meter
from domain.model.pricing import Quote, verify_quote
from domain.model.server import COMMANDS, Server, ServerStatus
from domain.usecases.actors import Actor, account_of
from domain.usecases.catalogue import price_order
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import begin_action
from domain.usecases.ssh_keys import chosen_keys
from ports.promos import Redemption

PROVISION_TASK = COMMANDS[ActionCommand.CREATE].job


@attrs.frozen
class CreatedServer:
    server: Server
    action: Action
    # Shown once, never stored; None when the order gave SSH keys (root logs in with them, and a
    # password nobody asked for is not shown: a reset sets one).
    root_password: str | None


def create_server(rt: Runtime, actor: Actor, request: OrderRequest) -> CreatedServer:
    now = rt.clock.now()
    root_password = rt.secrets.password()
    with rt.uow() as uow:
        # Held until commit: racing orders of one customer count their servers one at a time.
        account = account_of(uow, actor.account_id, for_update=True)
        if not account.may_order:
            raise AccountRestricted(
                "new servers are on hold until the balance is topped up",
                standing=account.standing.value,
            )
        live = [s for s in uow.servers.for_owner(account.id) if s.status is not ServerStatus.FAILED]
        if len(live) >= rt.policy.max_servers_per_customer:
            raise AccountRestricted(
                f"an account may have at most {rt.policy.max_servers_per_customer} servers",
                limit=len(live),
            )
        order, priced, promo = price_order(uow, rt, request, now, account.id)
        ssh_keys = chosen_keys(uow, actor, request.ssh_keys)
        if request.quote_id is not None:
            _check_quote(rt, request.quote_id, priced, actor, now)
        server_id = uow.servers.next_id()
        name = request.name.text if request.name is not None else f"server-{server_id}"
        if promo is not None:
            uow.promos.redeem(
                promo.id, Redemption(promo.id, account.id, f"server:{server_id}", now)
            )
        # A code that covers the whole first charge leaves nothing to hold.
        hold_key: str | None = None
        if priced.first_charge.micro > 0:
            hold_key = f"order:{server_id}:hold"
            uow.ledger.post(
                hold(
                    account.id,
                    priced.first_charge,
                    key=hold_key,
                    now=now,
                    server_id=server_id,
                    memo=f"first charge of server {name}",
                )
            )
        server = Server(
            id=server_id,
            owner_id=account.id,
            name=name,
            location_id=order.location.id,
            image_id=order.image.id,
            tariff_id=order.tariff.id if order.tariff else None,
            guest_kind=order.image.guest_kind,
            config=order.config,
            status=ServerStatus.PENDING,
            created_at=now,
            updated_at=now,
            catalogue_version=priced.catalogue_version,
            meter=Meter.start(priced.hourly, priced.monthly, priced.terms, now),
            hold_key=hold_key,
            promo_code=priced.promo_code,
        )
        action = begin_action(uow, server, ActionCommand.CREATE, now)
        uow.servers.add(server)
        uow.jobs.defer(
            PROVISION_TASK,
            lock=f"server:{server.id}",
            server_id=server.id,
            first_charge_list=priced.first_charge_list.micro,
            first_charge=priced.first_charge.micro,
            sealed_root_password=rt.secret_box.seal(root_password),
            ssh_keys=list(ssh_keys),
        )
        audit(
            uow,
            actor,
            "server.create",
            f"server:{server.id}",
            now,
            first_charge=priced.first_charge,
        )
        uow.commit()
    reassess_account(rt, account.id)  # the hold came out of the wallet
    return CreatedServer(server, action, None if request.ssh_keys else root_password)


def _check_quote(rt: Runtime, quote_id: str, priced: Quote, actor: Actor, now: dt.datetime) -> None:
    # A quote signed for this customer, or one given before logging in (account 0), both bind the
    # price.
    try:
        verify_quote(
            quote_id, priced, account_id=actor.account_id, now=now, key=rt.policy.quote_key
        )
    except QuoteRejected:
        verify_quote(quote_id, priced, account_id=0, now=now, key=rt.policy.quote_key)
