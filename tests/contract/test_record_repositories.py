"""Catalogue, metrics, outbox, audit log and idempotency keys."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.alerts import AlertState, Metric
from domain.model.errors import Conflict, NotFound
from domain.model.metrics import MetricSample
from ports.audit import AuditQuery, AuditRecord
from ports.idempotency import REQUEST_CLAIM, IdempotencyRecord, StoredResponse
from ports.metrics import StatsSample
from ports.paging import Page

from . import builders as b

T0 = b.T0


def test_catalogue_current_is_the_highest_published_version(uow_factory):
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            uow.catalogue.current()
        uow.catalogue.publish(b.catalogue(1))
        uow.catalogue.publish(b.catalogue(3))
        with pytest.raises(Conflict):
            uow.catalogue.publish(b.catalogue(3))
        with pytest.raises(Conflict):
            uow.catalogue.publish(b.catalogue(2))
        uow.commit()
    with uow_factory() as uow:
        assert uow.catalogue.current().version == 3


def test_metrics_latest_sample_and_alert_state(uow_factory):
    def sample(server_id: int, at: dt.datetime, cpu: float) -> MetricSample:
        return MetricSample(server_id, at, cpu, 20.0, 30.0, 0.0, 0.0, 0.0, 0.0)

    with uow_factory() as uow:
        uow.metrics.record_pass([sample(1, T0, 10.0), sample(2, T0, 1.0)], {})
        uow.metrics.record_pass([sample(1, T0 + dt.timedelta(seconds=30), 95.0)], {})
        assert uow.metrics.alert_state(1, Metric.CPU) == AlertState(1, Metric.CPU)
        uow.metrics.save_alert_state(AlertState(1, Metric.CPU, active=True, since=T0))
        uow.metrics.save_alert_state(AlertState(1, Metric.DISK, True, T0, mailed_at=T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.metrics.latest(1) == StatsSample(1, T0 + dt.timedelta(seconds=30), 95, 20, 30)
        assert uow.metrics.latest(3) is None
        assert uow.metrics.alert_state(1, Metric.CPU).active is True
        assert uow.metrics.alert_state(1, Metric.DISK) == AlertState(1, Metric.DISK, True, T0, T0)
        assert uow.metrics.alert_state(1, Metric.MEMORY).active is False


def test_outbox_pending_in_id_order_limited_and_sent_ones_leave(uow_factory):
    with uow_factory() as uow:
        ids = [uow.outbox.next_id() for _ in range(4)]
        for i, nid in enumerate(ids):
            uow.outbox.add(b.notice(nid, account_id=1 if i < 3 else 2))
        uow.commit()
    with uow_factory() as uow:
        assert [n.id for n in uow.outbox.pending(2)] == ids[:2]
        uow.outbox.update(b.evolve(uow.outbox.pending(1)[0], sent_at=T0, attempts=1))
        uow.commit()
    with uow_factory() as uow:
        assert [n.id for n in uow.outbox.pending(10)] == ids[1:]
        assert [n.id for n in uow.outbox.for_account(1)] == ids[:3]
        with pytest.raises(NotFound):
            uow.outbox.update(b.notice(ids[-1] + 1000))


def _outbox(uow, **kinds):
    """One notice of each kind named, in order; their ids by kind."""
    ids = {}
    for name, fields in kinds.items():
        ids[name] = uow.outbox.next_id()
        uow.outbox.add(b.notice(ids[name], **fields))
    return ids


def test_an_outbox_claims_only_notices_due_oldest_first(uow_factory):
    later = T0 + dt.timedelta(minutes=5)
    with uow_factory() as uow:
        ids = _outbox(
            uow,
            fresh=dict(html="<p>Welcome</p>"),
            sent=dict(sent_at=T0, attempts=1),
            failed=dict(failed_at=T0, attempts=3, last_error="550 no"),
            sending=dict(claimed_at=T0, attempts=1),
            waiting=dict(next_attempt_at=later, attempts=1),
            retry=dict(next_attempt_at=T0, attempts=1),
        )
        uow.commit()
    with uow_factory() as uow:
        assert [n.id for n in uow.outbox.claim_due(T0, 10)] == [ids["fresh"], ids["retry"]]
        assert uow.outbox.claim_due(T0, 10)[0] == b.notice(ids["fresh"], html="<p>Welcome</p>")
        assert [n.id for n in uow.outbox.claim_due(T0, 1)] == [ids["fresh"]]
        due_later = [n.id for n in uow.outbox.claim_due(later, 10)]
        assert due_later == [ids["fresh"], ids["waiting"], ids["retry"]]
        assert [n.id for n in uow.outbox.stalled(T0, 10)] == [ids["sending"]]
        assert uow.outbox.stalled(T0 - dt.timedelta(seconds=1), 10) == []


def test_an_outbox_lists_every_notice_newest_first_by_page(uow_factory):
    with uow_factory() as uow:
        ids = [uow.outbox.next_id() for _ in range(5)]
        for nid in ids:
            uow.outbox.add(b.notice(nid, sent_at=T0 if nid == ids[0] else None))
        uow.commit()
    with uow_factory() as uow:
        first, total = uow.outbox.list(Page(1, 2))
        last, _ = uow.outbox.list(Page(3, 2))
    assert total == 5
    assert [n.id for n in first] == ids[::-1][:2]
    assert [n.id for n in last] == [ids[0]] and last[0].sent_at == T0


def test_audit_log_recent_newest_first(uow_factory):
    with uow_factory() as uow:
        for n in range(5):
            uow.audit.record(
                AuditRecord(T0 + dt.timedelta(seconds=n), 1, f"act.{n}", "server:1", "ok")
            )
        uow.commit()
    with uow_factory() as uow:
        assert [r.action for r in uow.audit.recent(3)] == ["act.4", "act.3", "act.2"]


def test_audit_log_search_filters_and_pages_newest_first(uow_factory):
    entries = [
        (1, "account.login", "account:1"),
        (2, "server.create", "server:10"),
        (1, "server.stop", "server:10"),
        (None, "server.guest_lost", "server:11"),
        (1, "promo.create", "promo:1"),
        (2, "odd", "server_x:1"),  # `_` in "server_" is no wildcard
    ]
    with uow_factory() as uow:
        for n, (actor, action, target) in enumerate(entries):
            at = T0 + dt.timedelta(minutes=n)
            uow.audit.record(AuditRecord(at, actor, action, target, "ok", (("n", str(n)),)))
        uow.commit()

    def actions(page: Page | None = None, **query: object) -> tuple[list[str], int]:
        with uow_factory() as uow:
            found, total = uow.audit.search(AuditQuery(**query), page or Page())  # type: ignore[arg-type]
        return [e.action for e in found], total

    assert actions() == (
        [
            "odd",
            "promo.create",
            "server.guest_lost",
            "server.stop",
            "server.create",
            "account.login",
        ],
        6,
    )
    assert actions(actor_id=1) == (["promo.create", "server.stop", "account.login"], 3)
    assert actions(target="server:10") == (["server.stop", "server.create"], 2)
    assert actions(target="server:*") == (["server.guest_lost", "server.stop", "server.create"], 3)
    assert actions(target="server_*") == (["odd"], 1)
    since, until = T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=3)
    assert actions(since=since, until=until) == (["server.stop", "server.create"], 2)
    assert actions(Page(2, 2), actor_id=None) == (["server.guest_lost", "server.stop"], 6)
    with uow_factory() as uow:
        [first], _ = uow.audit.search(AuditQuery(target="promo:1"), Page(1, 1))
    assert first == AuditRecord(
        T0 + dt.timedelta(minutes=4), 1, "promo.create", "promo:1", "ok", (("n", "4"),)
    )


def claim(key: str, at: dt.datetime = T0, account_id: int = 1) -> IdempotencyRecord:
    return IdempotencyRecord(account_id, key, f"fp-{key}", at)


def test_idempotency_claim_complete_release(uow_factory):
    response = StoredResponse(201, b'{"id": 1}', "application/json")
    with uow_factory() as uow:
        assert uow.idempotency.claim(claim("k1")) is None
        assert uow.idempotency.claim(claim("k1", account_id=2)) is None  # keys are per account
        uow.commit()
    with uow_factory() as uow:
        existing = uow.idempotency.claim(claim("k1", T0 + dt.timedelta(minutes=1)))
        assert existing is not None and existing.response is None and existing.created_at == T0
        uow.idempotency.complete(1, "k1", response)
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.claim(claim("k1")).response == response
        uow.idempotency.release(1, "k1")
        uow.idempotency.release(1, "k1")
        assert uow.idempotency.claim(claim("k1")) is None


def test_an_idempotency_claim_past_its_lease_is_taken_over_by_the_same_request(uow_factory):
    """A request that died mid-way never answers: once its lease ran out, a retry of the same
    request takes the key over; another request with the key, or a finished one, is never."""
    lease_end = T0 + dt.timedelta(minutes=1)
    with uow_factory() as uow:
        assert uow.idempotency.claim(claim("died", T0)) is None
        assert uow.idempotency.claim(claim("done", T0)) is None
        uow.idempotency.complete(1, "done", StoredResponse(201, b"{}", "application/json"))
        uow.commit()
    with uow_factory() as uow:
        running = uow.idempotency.claim(claim("died", T0), stale_before=T0)
        assert running is not None and running.response is None  # within its lease: running
        other = IdempotencyRecord(1, "died", "fp-another-request", lease_end)
        assert uow.idempotency.claim(other, stale_before=lease_end).fingerprint == "fp-died"
        assert uow.idempotency.claim(claim("done", lease_end), stale_before=lease_end).response
        assert uow.idempotency.claim(claim("died", lease_end), stale_before=lease_end) is None
        uow.commit()
    with uow_factory() as uow:  # the retry's claim is a fresh one, with a lease of its own
        held = uow.idempotency.claim(claim("died", lease_end), stale_before=lease_end)
        assert held is not None and held.created_at == lease_end


def test_a_failed_request_that_committed_a_change_keeps_its_claim(uow_factory):
    """The bug: a handler that committed its change and then failed released its claim, and the
    client's retry ran the change again. A release now forgets only a claim that changed nothing;
    a claim whose change was committed is never taken over, even past its lease."""
    with uow_factory() as uow:
        assert uow.idempotency.claim(claim("charged", T0)) is None
        assert uow.idempotency.claim(claim("untouched", T0)) is None
        uow.commit()
    token = REQUEST_CLAIM.set((1, "charged"))
    try:
        with uow_factory() as uow:  # the request's change, committed in its own unit of work
            uow.audit.record(AuditRecord(T0, 1, "credit", "account:1", "ok"))
            uow.commit()
    finally:
        REQUEST_CLAIM.reset(token)
    with uow_factory() as uow:  # the request fails afterwards: its claims are released
        uow.idempotency.release(1, "charged")
        uow.idempotency.release(1, "untouched")
        uow.commit()
    later = T0 + dt.timedelta(hours=1)
    with uow_factory() as uow:
        kept = uow.idempotency.claim(claim("charged", later), stale_before=later)
        assert kept is not None and kept.changed and kept.response is None
        assert uow.idempotency.claim(claim("untouched", later)) is None  # free for a retry


def test_idempotency_purge_before(uow_factory):
    with uow_factory() as uow:
        uow.idempotency.claim(claim("old", T0))
        uow.idempotency.claim(claim("older", T0 - dt.timedelta(days=2)))
        uow.idempotency.claim(claim("new", T0 + dt.timedelta(days=1)))
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.purge_before(T0 + dt.timedelta(hours=1)) == 2
        uow.commit()
    with uow_factory() as uow:
        assert uow.idempotency.claim(claim("new")) is not None
        assert uow.idempotency.claim(claim("old")) is None
