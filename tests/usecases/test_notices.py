"""Delivering the outbox: every notice at least once, retried after a transient failure."""

from __future__ import annotations

from domain.usecases.common import Actor
from domain.usecases.notices import MAX_ATTEMPTS, DeliveryReport, deliver_notices

from .support import World


class TestDeliverNotices:
    def test_sends_each_pending_notice_once(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        pending = world.notices(customer)

        report = deliver_notices(world.rt)

        assert report == DeliveryReport(
            sent=3, failed=0
        )  # the admin's welcome and the customer's two
        mine = world.mailer.to(pending[0].to)
        assert [(m.subject, m.body) for m in mine] == [(n.subject, n.body) for n in pending]
        assert [m.message_id for m in mine] == [f"notice-{n.id}@hostprovider" for n in pending]
        assert all(
            n.sent_at == world.clock.now() and n.attempts == 1 for n in world.notices(customer)
        )

        with_everything_sent = world.snapshot()
        assert deliver_notices(world.rt) == DeliveryReport(0, 0)
        assert world.snapshot() == with_everything_sent

    def test_a_transient_failure_is_retried_on_the_next_pass(
        self, world: World, customer: Actor
    ) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        world.mailer.fail_next(1)

        assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=1)
        ready = world.notices(customer)[-1]
        assert ready.template == "server_ready"
        assert (ready.sent_at, ready.attempts, ready.last_error) == (
            None,
            1,
            "421 service not available",
        )
        assert [m.subject for m in world.mailer.to(ready.to)] == ["Welcome to Oxnack"]

        assert deliver_notices(world.rt) == DeliveryReport(sent=1, failed=0)
        ready = world.notices(customer)[-1]
        assert ready.sent_at is not None and ready.attempts == 2 and ready.last_error is None
        assert [m.subject for m in world.mailer.to(ready.to)][-1] == ready.subject

    def test_a_refused_address_is_not_retried(self, world: World, customer: Actor) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        world.mailer.fail_next(1, permanent=True)

        assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=1)
        assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=0)
        ready = world.notices(customer)[-1]
        assert (ready.sent_at, ready.attempts) == (None, MAX_ATTEMPTS)
        assert world.mailer.attempts == 3

    def test_a_transient_failure_gives_up_after_the_last_attempt(
        self, world: World, customer: Actor
    ) -> None:
        deliver_notices(world.rt)
        world.running_server(customer)
        world.mailer.fail_next(MAX_ATTEMPTS + 5)
        for _ in range(MAX_ATTEMPTS + 2):
            deliver_notices(world.rt)
        assert world.notices(customer)[-1].attempts == MAX_ATTEMPTS

    def test_notices_that_gave_up_do_not_block_newer_ones(self, world: World) -> None:
        deliver_notices(world.rt)
        dead = [world.register() for _ in range(3)]  # three welcome notices...
        world.mailer.fail_next(3, permanent=True)
        deliver_notices(world.rt)  # ...to addresses the server refuses
        fresh = world.register()

        report = deliver_notices(world.rt, limit=2)

        assert report == DeliveryReport(sent=1, failed=0)
        assert [m.subject for m in world.mailer.to(world.notices(fresh)[0].to)] == [
            "Welcome to Oxnack"
        ]
        assert all(world.notices(d)[0].sent_at is None for d in dead)
