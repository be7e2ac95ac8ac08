"""The monitoring pass: every guest's figures in one read, stored in one write, alerts with
hysteresis, live events.

One unit of work for the whole pass: the running servers, their counters and their alert states
are read once each, and the samples (with each server's latest figures and counters) are written
in one batch, so a pass costs a handful of statements however many guests there are. Events go out
after the commit: they tell what is stored.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.alerts import AlertEvent, AlertState, Metric, evaluate, level_of, usage_percent
from domain.model.metrics import Counters, MetricSample, rates
from domain.model.server import Server
from domain.usecases.actors import account_of
from domain.usecases.paper_trail import notify
from domain.usecases.runtime import Runtime
from ports.hypervisor import GuestStats
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class MonitoringReport:
    sampled: int
    raised: int
    cleared: int


def _percents(stats: GuestStats) -> dict[Metric, int]:
    return {
        Metric.CPU: min(int(round(stats.cpu * 100)), 100),
        Metric.MEMORY: usage_percent(stats.memory_used, stats.memory_max),
        Metric.DISK: usage_percent(stats.disk_used, stats.disk_max),
    }


def _counters(stats: GuestStats, now: dt.datetime) -> Counters:
    return Counters(now, stats.net_in, stats.net_out, stats.disk_read, stats.disk_write)


@attrs.define
class _Pass:
    """What one pass gathers before it writes."""

    samples: list[MetricSample] = attrs.Factory(list)
    counters: dict[int, Counters] = attrs.Factory(dict)
    events: list[tuple[str, dict[str, object]]] = attrs.Factory(list)
    raised: int = 0
    cleared: int = 0


def monitoring_pass(rt: Runtime) -> MonitoringReport:
    now = rt.clock.now()
    figures = rt.hypervisor.all_stats()
    gathered = _Pass()
    with rt.uow() as uow:
        by_vmid = {s.placement.vmid: s for s in uow.servers.running()}
        previous = uow.metrics.counters()
        states = uow.metrics.alert_states()
        for stats in figures:
            server = by_vmid.get(stats.vmid)
            if server is not None:
                _sample(rt, uow, server, stats, previous.get(server.id), states, now, gathered)
        uow.metrics.record_pass(gathered.samples, gathered.counters)
        uow.commit()
    for channel, payload in gathered.events:
        rt.events.publish(channel, payload)
    return MonitoringReport(len(gathered.samples), gathered.raised, gathered.cleared)


def _sample(
    rt: Runtime,
    uow: UnitOfWork,
    server: Server,
    stats: GuestStats,
    previous: Counters | None,
    states: dict[tuple[int, Metric], AlertState],
    now: dt.datetime,
    gathered: _Pass,
) -> None:
    percents = _percents(stats)
    counters = _counters(stats, now)
    net_in, net_out, disk_read, disk_write = rates(previous, counters)
    gathered.samples.append(
        MetricSample(
            server.id,
            now,
            cpu=float(percents[Metric.CPU]),
            memory=float(percents[Metric.MEMORY]),
            disk=float(percents[Metric.DISK]),
            net_in=net_in,
            net_out=net_out,
            disk_read=disk_read,
            disk_write=disk_write,
        )
    )
    gathered.counters[server.id] = counters
    alerts = []
    for rule in rt.policy.alert_rules:
        current = states.get((server.id, rule.metric)) or AlertState(server.id, rule.metric)
        state, event = evaluate(rule, current, percents[rule.metric], now)
        if event is None:
            continue
        value = percents[rule.metric]
        alerts.append(
            {
                "type": rule.metric.value,
                "event": event.value,
                "value": value,
                "level": level_of(event, value).value,
            }
        )
        if state.may_mail(now):
            state = state.mailed(now)
            template = "alert_raised" if event is AlertEvent.RAISED else "alert_cleared"
            notify(
                uow,
                account_of(uow, server.owner_id),
                template,
                now,
                name=server.name,
                metric=rule.metric.value,
                value=value,
            )
        uow.metrics.save_alert_state(state)
        gathered.raised += event is AlertEvent.RAISED
        gathered.cleared += event is AlertEvent.CLEARED
    # The guest's figures as measured (the edge shapes them as the status route does), and the
    # whole percents the alerts were judged on.
    gathered.events.append(
        (
            "server-stats",
            {
                "serverId": server.id,
                "guest": attrs.asdict(stats),
                "percent": {k.value: v for k, v in percents.items()},
            },
        )
    )
    if alerts:
        gathered.events.append(("server-alerts", {"serverId": server.id, "alerts": alerts}))
