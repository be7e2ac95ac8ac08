"""ConsoleLinkRepository on both stores: a link opens once, even under concurrent openings."""

from __future__ import annotations

import datetime as dt
import threading

from domain.model.console import ConsoleEnd, ConsoleLink

from . import builders as b

T1 = b.T0 + dt.timedelta(seconds=30)


def stock(uow_factory, *links: ConsoleLink) -> None:
    with uow_factory() as uow:
        uow.accounts.add(b.account(1))
        uow.servers.add(b.server(1, owner_id=1))
        for link in links:
            uow.console_links.add(link)
        uow.commit()


def link(digest: str, **kw) -> ConsoleLink:
    fields = dict(
        digest=digest,
        server_id=1,
        account_id=1,
        created_at=b.T0,
        expires_at=b.T0 + dt.timedelta(seconds=60),
    )
    fields.update(kw)
    return ConsoleLink(**fields)


def test_a_link_opens_once_then_ends(uow_factory):
    stock(uow_factory, link("a" * 64))
    with uow_factory() as uow:
        assert uow.console_links.get("a" * 64) == link("a" * 64)
        assert uow.console_links.get("b" * 64) is None
        opened = uow.console_links.open("a" * 64, T1)
        assert opened == link("a" * 64, opened_at=T1)
        assert uow.console_links.open("a" * 64, T1) is None
        uow.commit()
    with uow_factory() as uow:
        uow.console_links.end("a" * 64, T1, ConsoleEnd.STOPPED)
        uow.console_links.end("a" * 64, T1 + dt.timedelta(1), ConsoleEnd.IDLE)  # the first stays
        uow.commit()
    with uow_factory() as uow:
        ended = uow.console_links.get("a" * 64)
    assert ended == link("a" * 64, opened_at=T1, ended_at=T1, end_reason=ConsoleEnd.STOPPED)


def test_a_lapsed_link_does_not_open_and_is_purged(uow_factory):
    late = b.T0 + dt.timedelta(seconds=60)
    running = link("r" * 64, opened_at=T1)
    stock(uow_factory, link("a" * 64), running)
    with uow_factory() as uow:
        assert uow.console_links.open("a" * 64, late) is None
        assert uow.console_links.purge(late + dt.timedelta(seconds=1)) == 1  # not the open one
        uow.commit()
    with uow_factory() as uow:
        assert uow.console_links.get("a" * 64) is None
        assert uow.console_links.get("r" * 64) == running


def test_of_concurrent_openings_exactly_one_wins(uow_factory):
    stock(uow_factory, link("c" * 64))
    wins: list[bool] = []
    start = threading.Barrier(8)

    def open_it() -> None:
        start.wait()
        with uow_factory() as uow:
            wins.append(uow.console_links.open("c" * 64, T1) is not None)
            uow.commit()

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
