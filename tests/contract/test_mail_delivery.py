"""The outbox on each store: a notice lives and dies with the change it reports, and delivery
retries, gives up and never sends twice the same way on memory and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue, RecordingMailer
from domain.model.notices import REFUSED_TRIES, SENDING_LEASE, Notice, NoticeStatus, backoff
from domain.usecases.notices import DeliveryReport, deliver_notices
from domain.usecases.paper_trail import notify
from domain.usecases.runtime import Runtime
from ports.messaging import OutgoingMail
from ports.paging import Page
from tests.backoffice import Backoffice

from . import builders as b

NOW = dt.datetime(2026, 2, 1, 3, 0, tzinfo=dt.UTC)


@attrs.define
class Outbox:
    rt: Runtime
    mailer: RecordingMailer
    clock: FakeClock

    def write(self, count: int = 1) -> list[int]:
        """`count` notices, each in the unit of work of a change (here: a new account)."""
        ids = []
        with self.rt.uow() as uow:
            for _ in range(count):
                account = b.account(uow.accounts.next_id())
                uow.accounts.add(account)
                notify(uow, account, "welcome", self.clock.now(), email=account.email)
                ids.append(uow.outbox.pending(1000)[-1].id)
            uow.commit()
        return ids

    def notice(self, notice_id: int) -> Notice:
        with self.rt.uow() as uow:
            return next(n for n in uow.outbox.list(Page(1, 100))[0] if n.id == notice_id)

    def status(self, notice_id: int) -> tuple[NoticeStatus, int]:
        notice = self.notice(notice_id)
        return notice.status, notice.attempts


@pytest.fixture
def outbox(uow_factory) -> Outbox:  # type: ignore[no-untyped-def]
    clock = FakeClock(NOW)
    mailer = RecordingMailer()
    rt = Backoffice(store=uow_factory, jobs=InlineJobQueue(), clock=clock, mailer=mailer).rt
    return Outbox(rt, mailer, clock)


class CrashingMailer:
    def send(self, mail: OutgoingMail) -> None:
        raise RuntimeError("the deliverer died while talking to the relay")


def test_a_notice_is_written_only_with_the_change_it_reports(outbox: Outbox):
    with outbox.rt.uow() as uow:
        account = b.account(uow.accounts.next_id())
        uow.accounts.add(account)
        notify(uow, account, "welcome", NOW, email=account.email)
        # no commit: the change is abandoned, and its notice with it
    with outbox.rt.uow() as uow:
        assert uow.outbox.pending(10) == [] and uow.accounts.get(account.id) is None
    [written] = outbox.write()
    assert outbox.status(written) == (NoticeStatus.PENDING, 0)


def test_a_transient_failure_waits_its_backoff_then_sends_once(outbox: Outbox):
    [notice_id] = outbox.write()
    outbox.mailer.fail_next(1)

    assert deliver_notices(outbox.rt) == DeliveryReport(sent=0, failed=1)
    assert outbox.notice(notice_id).next_attempt_at == NOW + backoff(1)
    assert deliver_notices(outbox.rt) == DeliveryReport(0, 0)
    outbox.clock.advance(backoff(1))
    assert deliver_notices(outbox.rt) == DeliveryReport(sent=1, failed=0)
    outbox.clock.advance(dt.timedelta(days=1))
    assert deliver_notices(outbox.rt) == DeliveryReport(0, 0)

    assert outbox.status(notice_id) == (NoticeStatus.SENT, 2)
    assert [m.message_id for m in outbox.mailer.sent] == [f"notice-{notice_id}@hostprovider"]


def test_a_refusal_is_failed_after_its_tries(outbox: Outbox):
    [notice_id] = outbox.write()
    outbox.mailer.fail_next(REFUSED_TRIES, permanent=True)
    for _ in range(REFUSED_TRIES + 2):
        deliver_notices(outbox.rt)
        outbox.clock.advance(dt.timedelta(hours=1))
    assert outbox.status(notice_id) == (NoticeStatus.FAILED, REFUSED_TRIES)
    assert outbox.mailer.sent == [] and outbox.mailer.attempts == REFUSED_TRIES


def test_a_send_cut_short_is_failed_after_the_lease_never_sent_again(outbox: Outbox):
    [cut, other] = outbox.write(2)
    with pytest.raises(RuntimeError):
        deliver_notices(attrs.evolve(outbox.rt, mailer=CrashingMailer()))
    assert outbox.status(cut) == (NoticeStatus.SENDING, 1)

    assert deliver_notices(outbox.rt) == DeliveryReport(sent=1, failed=0)  # the other one
    outbox.clock.advance(SENDING_LEASE)
    assert deliver_notices(outbox.rt) == DeliveryReport(0, 0)

    assert outbox.status(cut) == (NoticeStatus.FAILED, 1)
    assert outbox.status(other) == (NoticeStatus.SENT, 1)
    assert [m.message_id for m in outbox.mailer.sent] == [f"notice-{other}@hostprovider"]
