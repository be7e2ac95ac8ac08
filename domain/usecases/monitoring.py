"""The monitoring pass: every guest's figures in one read, alerts with hysteresis, live events."""

from __future__ import annotations

import attrs

from domain.model.alerts import AlertEvent, Metric, evaluate, level_of, usage_percent
from domain.model.server import ServerStatus
from domain.usecases.common import account_of, notify
from domain.usecases.runtime import Runtime
from ports.hypervisor import GuestStats
from ports.records import StatsSample


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


def monitoring_pass(rt: Runtime) -> MonitoringReport:
    now = rt.clock.now()
    sampled = raised = cleared = 0
    for stats in rt.hypervisor.all_stats():
        with rt.uow() as uow:
            server = uow.servers.by_vmid(stats.vmid)
            if server is None or server.status is not ServerStatus.RUNNING:
                continue
            percents = _percents(stats)
            uow.metrics.record(
                StatsSample(
                    server.id,
                    now,
                    percents[Metric.CPU],
                    percents[Metric.MEMORY],
                    percents[Metric.DISK],
                )
            )
            alerts = []
            for rule in rt.policy.alert_rules:
                state, event = evaluate(
                    rule,
                    uow.metrics.alert_state(server.id, rule.metric),
                    percents[rule.metric],
                    now,
                )
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
                raised += event is AlertEvent.RAISED
                cleared += event is AlertEvent.CLEARED
            uow.commit()
        sampled += 1
        # The guest's figures as measured (the edge shapes them as the status route does), and
        # the whole percents the alerts were judged on.
        rt.events.publish(
            "server-stats",
            {
                "serverId": server.id,
                "guest": attrs.asdict(stats),
                "percent": {k.value: v for k, v in percents.items()},
            },
        )
        if alerts:
            rt.events.publish("server-alerts", {"serverId": server.id, "alerts": alerts})
    return MonitoringReport(sampled, raised, cleared)
