"""Delivering the outbox: every notice at most once, retried with backoff, then marked failed."""

from __future__ import annotations

import attrs
import pytest

from domain.model.notices import (
    REFUSED_TRIES,
    SENDING_LEASE,
    TRANSIENT_TRIES,
    NoticeStatus,
    backoff,
)
from domain.usecases.actors import Actor
from domain.usecases.notices import DeliveryReport, deliver_notices
from ports.messaging import OutgoingMail

from .support import World


class CrashingMailer:
    """A deliverer that dies in the middle of a send: whatever the relay did is unknown."""

    def send(self, mail: OutgoingMail) -> None:
        raise RuntimeError("killed while talking to the relay")


class TestDeliverNotices:
    def test_sends_each_pending_notice_once(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        pending = world.notices(customer)

        report = deliver_notices(world.rt)

        assert report == DeliveryReport(
            sent=3, failed=0
        )  # the admin's welcome and the customer's two
        mine = world.mailer.to(pending[0].to)
        assert [(m.subject, m.body, m.html) for m in mine] == [
            (n.subject, n.body, n.html) for n in pending
        ]
        assert all(m.html.startswith("<!DOCTYPE html>") for m in mine)
        assert [m.message_id for m in mine] == [f"notice-{n.id}@hostprovider" for n in pending]
        assert all(
            n.sent_at == world.clock.now() and n.attempts == 1 and n.status is NoticeStatus.SENT
            for n in world.notices(customer)
        )

        with_everything_sent = world.snapshot()
        assert deliver_notices(world.rt) == DeliveryReport(0, 0)
        assert world.snapshot() == with_everything_sent

    def test_a_transient_failure_is_retried_after_its_backoff(
        self, world: World, customer: Actor
    ) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        world.mailer.fail_next(1)

        assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=1)
        ready = world.notices(customer)[-1]
        assert ready.template == "server_ready"
        assert (ready.sent_at, ready.attempts, ready.last_error, ready.status) == (
            None,
            1,
            "421 service not available",
            NoticeStatus.PENDING,
        )
        assert ready.next_attempt_at == world.clock.now() + backoff(1)
        assert [m.subject for m in world.mailer.to(ready.to)] == ["Welcome to Oxnack"]

        world.clock.advance(backoff(1) / 2)
        assert deliver_notices(world.rt) == DeliveryReport(0, 0)  # not yet due
        world.clock.advance(backoff(1) / 2)
        assert deliver_notices(world.rt) == DeliveryReport(sent=1, failed=0)
        ready = world.notices(customer)[-1]
        assert ready.sent_at is not None and ready.attempts == 2 and ready.last_error is None
        assert [m.subject for m in world.mailer.to(ready.to)][-1] == ready.subject
        assert len(world.mailer.to(ready.to)) == 2  # the welcome and the ready, each once

    def _fail_every_try(
        self, world: World, *, permanent: bool, tries: int, notices: int = 1
    ) -> None:
        world.mailer.fail_next(tries * notices, permanent=permanent)
        for _ in range(tries + 3):
            deliver_notices(world.rt)
            world.clock.advance(backoff(TRANSIENT_TRIES))  # past any backoff

    def test_a_refusal_is_tried_again_then_marked_failed(
        self, world: World, customer: Actor
    ) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        attempts_before = world.mailer.attempts

        self._fail_every_try(world, permanent=True, tries=REFUSED_TRIES)

        ready = world.notices(customer)[-1]
        assert (ready.status, ready.attempts) == (NoticeStatus.FAILED, REFUSED_TRIES)
        assert ready.sent_at is None and ready.last_error == "550 mailbox unavailable"
        assert world.mailer.attempts - attempts_before == REFUSED_TRIES

    def test_a_transient_failure_gives_up_after_the_last_try(
        self, world: World, customer: Actor
    ) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)

        self._fail_every_try(world, permanent=False, tries=TRANSIENT_TRIES)

        ready = world.notices(customer)[-1]
        assert (ready.status, ready.attempts) == (NoticeStatus.FAILED, TRANSIENT_TRIES)

    def test_notices_that_gave_up_do_not_block_newer_ones(self, world: World) -> None:
        deliver_notices(world.rt)
        dead = [world.register() for _ in range(3)]  # three welcome notices...
        self._fail_every_try(world, permanent=True, tries=REFUSED_TRIES, notices=3)  # refused
        fresh = world.register()

        report = deliver_notices(world.rt, limit=2)

        assert report == DeliveryReport(sent=1, failed=0)
        assert [m.subject for m in world.mailer.to(world.notices(fresh)[0].to)] == [
            "Welcome to Oxnack"
        ]
        assert all(world.notices(d)[0].status is NoticeStatus.FAILED for d in dead)

    def test_a_send_cut_short_is_never_sent_again(self, world: World, customer: Actor) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        crashing = attrs.evolve(world.rt, mailer=CrashingMailer())

        with pytest.raises(RuntimeError):
            deliver_notices(crashing)
        cut = world.notices(customer)[-1]
        assert (cut.status, cut.attempts) == (NoticeStatus.SENDING, 1)

        # Another deliverer neither sends it nor fails it while the first may still be at it...
        assert deliver_notices(world.rt) == DeliveryReport(0, 0)
        world.clock.advance(SENDING_LEASE)
        # ...and after the lease it is failed, not sent: the relay may have it already.
        assert deliver_notices(world.rt) == DeliveryReport(0, 0)
        cut = world.notices(customer)[-1]
        assert cut.status is NoticeStatus.FAILED and "not sent again" in (cut.last_error or "")
        assert [m.subject for m in world.mailer.to(cut.to)] == ["Welcome to Oxnack"]
