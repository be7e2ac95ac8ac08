"""Consoles: the one-time links (a repository of the unit of work), and the hypervisor's side of
a session (a byte stream to the guest's VNC server, authenticated on the customer's behalf)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import attrs

from domain.model.console import ConsoleEnd, ConsoleLink


class ConsoleLinkRepository(Protocol):
    def add(self, link: ConsoleLink) -> None: ...

    def get(self, digest: str) -> ConsoleLink | None: ...

    def open(self, digest: str, now: dt.datetime) -> ConsoleLink | None:
        """Mark the link opened at `now` if it is unopened and unexpired, atomically: of any
        number of concurrent calls (from any processes) at most one gets the link back."""
        ...

    def end(self, digest: str, now: dt.datetime, reason: ConsoleEnd) -> None: ...

    def purge(self, before: dt.datetime) -> int:
        """Drop the links that expired before `before`; how many went."""
        ...


@attrs.frozen
class ConsoleTarget:
    node: str
    vmid: int
    os_name: str  # as the catalogue names it: a simulated guest draws it, a real one has its own


class ConsoleStream(Protocol):
    """The guest's VNC server just past its security handshake: the next bytes the viewer sends
    are RFB's ClientInit."""

    async def read(self) -> bytes:
        """The next bytes from the guest; b"" once it closed."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class ConsoleGateway(Protocol):
    async def connect(self, target: ConsoleTarget) -> ConsoleStream:
        """Ask the hypervisor for a console of the guest and open it, authenticated with the
        hypervisor's own credentials and ticket. Raises Conflict if the guest is not running,
        NotFound if it is not there, ExternalFailure/Unavailable if the hypervisor fails."""
        ...
