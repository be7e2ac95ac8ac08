"""Real-time events between processes through PostgreSQL's NOTIFY/LISTEN: no broker beside the
database. A scheduler's monitoring pass notifies; every realtime process listens and relays to its
own sockets. A notification is delivered to the listeners connected when it commits and is lost
for one that is reconnecting, which suits live figures: the next pass sends fresh ones."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

log = logging.getLogger("hostprovider.events")

CHANNEL = "hostprovider_events"
# NOTIFY refuses payloads of 8000 bytes or more; an event is one server's figures, far below it.
MAX_PAYLOAD = 7900


def encode(channel: str, payload: dict[str, Any]) -> str:
    return json.dumps({"channel": channel, "payload": payload}, separators=(",", ":"))


def decode(text: str) -> tuple[str, dict[str, Any]] | None:
    try:
        message = json.loads(text)
        channel, payload = message["channel"], message["payload"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(channel, str) or not isinstance(payload, dict):
        return None
    return channel, payload


class NotifyEventPublisher:
    """Publishes with `pg_notify` on its own autocommit statement: an event tells what has been
    committed already, so it needs no transaction of its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        text = encode(channel, payload)
        if len(text.encode()) > MAX_PAYLOAD:
            log.error("event on %s dropped: %d bytes is over NOTIFY's limit", channel, len(text))
            return
        try:
            with self._pool.connection() as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, text))
        except psycopg.Error as ex:  # live figures are best effort; the next pass sends new ones
            log.warning("event on %s not sent: %s", channel, type(ex).__name__)


Handler = Callable[[str, dict[str, Any]], Awaitable[None]]


async def listen(
    conninfo: str,
    handler: Handler,
    *,
    ready: asyncio.Event | None = None,
    first_backoff: float = 0.5,
    max_backoff: float = 5.0,
) -> None:
    """Relay every notification to `handler` until cancelled; a lost connection is made again with
    backoff (a database that goes away for a while only pauses the feed)."""
    backoff = first_backoff
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, application_name="hostprovider-realtime"
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                backoff = first_backoff
                if ready is not None:
                    ready.set()
                async for notify in conn.notifies():
                    event = decode(notify.payload)
                    if event is not None:
                        await handler(*event)
        except psycopg.OperationalError as ex:
            log.warning("event listener lost the database (%s); again in %.1f s", ex, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
