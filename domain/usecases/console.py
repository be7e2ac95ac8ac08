"""Consoles: a one-time link for a customer's running server, and the session it opens.

- `open_console` makes the link (domain/model/console.py): owner only (or an admin), server
  running, the secret shown once, its SHA-256 stored.
- `start_console` is the websocket's first step: the link must be unopened, unexpired, its server
  still the account's and running; it is then marked opened (once, atomically) and audited.
  Unknown, spent and expired links are refused alike, and count against the client address: past
  CONSOLE_FAILURES_PER_WINDOW in the window every opening from it is refused for a while, so
  links cannot be guessed (they have 256 bits besides). Links are found by the digest of the
  secret, never by comparing secrets, so the time a refusal takes tells nothing of a secret.
- `console_allowed` is asked again during the session: a server stopped, deleted or taken from
  the account ends it. `end_console` records why it ended, for the page to say.
"""

from __future__ import annotations

import datetime as dt
import hmac

from domain.model import throttle as keys
from domain.model.accounts import token_digest
from domain.model.console import (
    CONSOLE_FAILURE_WINDOW,
    CONSOLE_FAILURES_PER_WINDOW,
    ConsoleEnd,
    ConsoleGrant,
    ConsoleLink,
)
from domain.model.errors import Conflict, LinkNotFound, NotFound, Throttled
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import OpenConsole
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import image_of, owned_server
from ports.unit_of_work import UnitOfWork

# Links that ended or lapsed are kept this long (the page tells why a session ended), then purged.
KEPT_AFTER_EXPIRY = dt.timedelta(days=1)
MAX_SECRET_LENGTH = 200


def open_console(
    rt: Runtime, actor: Actor, command: OpenConsole, *, origin: str | None = None
) -> tuple[str, ConsoleLink]:
    """A one-time console link (its URL, and the link) for the caller's running server, named by
    its id or by its vmid (the seed's body). The URL is on `origin`, where the caller reached
    us (the public URL if not given)."""
    vmid, server_id = command.vmid, command.server_id
    secret = rt.secrets.token()
    now = rt.clock.now()
    with rt.uow() as uow:
        if vmid is not None:
            server = _by_vmid(uow, actor, vmid)
        else:
            assert server_id is not None  # the command holds one of the two
            server = owned_server(uow, actor, server_id)
        server.check_console()
        link = ConsoleLink(
            digest=token_digest(secret),
            server_id=server.id,
            account_id=actor.account_id,
            created_at=now,
            expires_at=now + rt.policy.console_link_ttl,
        )
        uow.console_links.purge(now - KEPT_AFTER_EXPIRY)
        uow.console_links.add(link)
        audit(uow, actor, "server.console_link", f"server:{server.id}", now)
        uow.commit()
    return f"{(origin or rt.policy.public_url).rstrip('/')}/console/{secret}", link


def _by_vmid(uow: UnitOfWork, actor: Actor, vmid: int) -> Server:
    server = uow.servers.by_vmid(vmid)
    if server is None or (server.owner_id != actor.account_id and not actor.is_admin):
        raise NotFound("server", vmid)
    if server.status is ServerStatus.DELETED:
        raise NotFound("server", vmid)
    return server


def console_link(rt: Runtime, secret: str) -> tuple[ConsoleLink, str]:
    """The link as it stands and its state (`ready`, `open`, `ended`, `expired`), for the page;
    LinkNotFound for a secret that names none."""
    digest = _digest(secret)
    with rt.uow() as uow:
        link = uow.console_links.get(digest) if digest else None
    if link is None or not hmac.compare_digest(link.digest, digest or ""):
        raise LinkNotFound("console link")
    return link, link.state(rt.clock.now())


def start_console(rt: Runtime, secret: str, client: str) -> ConsoleGrant:
    """Open the session of a link, once. Raises Throttled, LinkNotFound (unknown, spent or
    expired, or its server is gone from the account) or Conflict (the server is not running)."""
    now = rt.clock.now()
    key = keys.console_address_key(client)
    window = rt.counters.peek(key, now)
    if window.hits >= CONSOLE_FAILURES_PER_WINDOW:
        raise Throttled(
            "too many console links refused from here; wait and retry",
            retry_after=window.seconds_left(now),
        )
    digest = _digest(secret)
    with rt.uow() as uow:
        link = uow.console_links.get(digest) if digest else None
        server = uow.servers.get(link.server_id) if link else None
        account = uow.accounts.get(link.account_id) if link else None
        refused = link is None or server is None or not _allowed(uow, link, server)
        if not refused and server is not None and server.status is not ServerStatus.RUNNING:
            state = server.status.value
            raise Conflict(f"server {server.id} is {state}", status=state)
        # Opened once: spent or lapsed links, and all but the first of concurrent openings, fail.
        opened = None if refused or link is None else uow.console_links.open(link.digest, now)
        if opened is not None and server is not None and account is not None:
            actor = Actor(account.id, account.role)
            audit(uow, actor, "server.console_open", f"server:{server.id}", now, client=client)
            image = image_of(uow, server)
            uow.commit()
        elif link is not None:
            # A real link refused (spent, lapsed, or its server no longer the account's): the
            # server's audit trail shows from where someone tried it.
            target = f"server:{link.server_id}"
            state = link.state(now)
            audit(uow, None, "server.console_refused", target, now, client=client, state=state)
            uow.commit()
    if opened is None or server is None:
        rt.counters.hit(key, CONSOLE_FAILURE_WINDOW, now)
        raise LinkNotFound("console link")
    assert server.placement.node and server.placement.vmid
    return ConsoleGrant(
        digest=opened.digest,
        server_id=server.id,
        account_id=opened.account_id,
        node=server.placement.node,
        vmid=server.placement.vmid,
        hostname=server.name,
        os_name=image.name if image is not None else "Linux",
    )


def console_allowed(rt: Runtime, grant: ConsoleGrant) -> bool:
    """Whether the session may go on: the server still the account's, and running."""
    with rt.uow() as uow:
        link = uow.console_links.get(grant.digest)
        server = uow.servers.get(grant.server_id)
        return (
            link is not None
            and server is not None
            and _allowed(uow, link, server)
            and server.status is ServerStatus.RUNNING
        )


def end_console(rt: Runtime, grant: ConsoleGrant, reason: ConsoleEnd) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        uow.console_links.end(grant.digest, now, reason)
        audit(
            uow,
            None,
            "server.console_close",
            f"server:{grant.server_id}",
            now,
            account=grant.account_id,
            reason=reason.value,
        )
        uow.commit()


def _allowed(uow: UnitOfWork, link: ConsoleLink, server: Server) -> bool:
    account = uow.accounts.get(link.account_id)
    if account is None or account.disabled or server.status is ServerStatus.DELETED:
        return False
    return server.owner_id == account.id or account.is_admin


def _digest(secret: str) -> str | None:
    if not 0 < len(secret) <= MAX_SECRET_LENGTH:
        return None
    return token_digest(secret)
