"""The monitoring pass: samples, alerts with hysteresis, one notice per incident, live events."""

from __future__ import annotations

import datetime as dt

from domain.model.alerts import Metric
from domain.model.server_commands import OnServer
from domain.usecases import server_commands
from domain.usecases.actors import Actor
from domain.usecases.monitoring import MonitoringReport, monitoring_pass

from .support import World

GIB = 1024**3


class TestMonitoringPass:
    def test_samples_every_running_server_and_publishes_its_figures(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer)
        stopped = world.running_server(customer)
        server_commands.stop_server(world.rt, customer, OnServer(stopped.id))

        report = monitoring_pass(world.rt)

        assert report == MonitoringReport(1, 0, 0)
        with world.rt.uow() as uow:
            sample = uow.metrics.latest(server.id)
            assert uow.metrics.latest(stopped.id) is None
        assert sample is not None
        assert (sample.cpu_percent, sample.memory_percent, sample.disk_percent) == (5, 25, 10)
        assert sample.at == world.clock.now()
        [event] = world.events.on("server-stats")
        assert event["serverId"] == server.id
        assert event["percent"] == {"cpu": 5, "memory": 25, "disk": 10}
        assert event["guest"]["vmid"] == server.placement.vmid
        assert event["guest"]["memory_used"] * 4 == event["guest"]["memory_max"]
        assert world.events.on("server-alerts") == []

    def test_one_notice_per_incident(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer, name="db-1")
        vmid = server.placement.vmid
        assert vmid is not None

        world.hypervisor.set_usage(vmid, cpu=0.95)
        assert monitoring_pass(world.rt) == MonitoringReport(1, 1, 0)
        world.hypervisor.set_usage(vmid, cpu=0.99)  # critical, but the same incident
        assert monitoring_pass(world.rt) == MonitoringReport(1, 0, 0)
        world.hypervisor.set_usage(vmid, cpu=0.85)  # between the marks: still the same incident
        assert monitoring_pass(world.rt) == MonitoringReport(1, 0, 0)
        world.hypervisor.set_usage(vmid, cpu=0.10)
        assert monitoring_pass(world.rt) == MonitoringReport(1, 0, 1)

        # Raised and cleared within the hour: one e-mail, and every event live.
        notices = [n for n in world.notices(customer) if n.template.startswith("alert_")]
        assert [n.template for n in notices] == ["alert_raised"]
        assert notices[0].subject == "Server db-1: cpu at 95%"
        assert world.events.on("server-alerts") == [
            {
                "serverId": server.id,
                "alerts": [{"type": "cpu", "event": "raised", "value": 95, "level": "warning"}],
            },
            {
                "serverId": server.id,
                "alerts": [{"type": "cpu", "event": "cleared", "value": 10, "level": "info"}],
            },
        ]
        with world.rt.uow() as uow:
            assert uow.metrics.alert_state(server.id, Metric.CPU).active is False

    def _alert_mails(self, world: World, customer: Actor) -> list[tuple[str, str]]:
        return [
            (n.template, n.subject)
            for n in world.notices(customer)
            if n.template.startswith("alert_")
        ]

    def test_at_most_one_e_mail_per_server_metric_and_hour(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer, name="db-1")
        other = world.running_server(customer, name="db-2")
        vmid, other_vmid = server.placement.vmid, other.placement.vmid
        assert vmid is not None and other_vmid is not None

        world.hypervisor.set_usage(vmid, cpu=0.95)
        monitoring_pass(world.rt)
        for usage in (0.70, 0.96, 0.70):  # the incident flaps within the hour
            world.clock.advance(dt.timedelta(minutes=10))
            world.hypervisor.set_usage(vmid, cpu=usage)
            monitoring_pass(world.rt)
        world.hypervisor.set_usage(vmid, cpu=0.70, memory_used=GIB - 1)  # another metric
        world.hypervisor.set_usage(other_vmid, cpu=0.99)  # another server
        monitoring_pass(world.rt)
        assert self._alert_mails(world, customer) == [
            ("alert_raised", "Server db-1: cpu at 95%"),
            ("alert_raised", "Server db-1: memory at 99%"),
            ("alert_raised", "Server db-2: cpu at 99%"),
        ]
        assert len(world.events.on("server-alerts")) == 6  # live events are not rationed

        world.clock.advance(dt.timedelta(minutes=30))  # an hour after db-1's cpu e-mail
        world.hypervisor.set_usage(vmid, cpu=0.97, memory_used=GIB - 1)
        monitoring_pass(world.rt)
        assert self._alert_mails(world, customer)[3:] == [
            ("alert_raised", "Server db-1: cpu at 97%")
        ]
        world.clock.advance(dt.timedelta(hours=1))
        world.hypervisor.set_usage(vmid, cpu=0.10, memory_used=0)
        monitoring_pass(world.rt)
        assert [t for t, _ in self._alert_mails(world, customer)[4:]] == [
            "alert_cleared",
            "alert_cleared",
        ]

    def test_every_metric_alerts_on_its_own(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer)
        vmid = server.placement.vmid
        assert vmid is not None
        world.hypervisor.set_usage(vmid, memory_used=1024**3 - 1, disk_used=19 * GIB)

        assert monitoring_pass(world.rt) == MonitoringReport(1, 2, 0)

        with world.rt.uow() as uow:
            active = {m for m in Metric if uow.metrics.alert_state(server.id, m).active}
        assert active == {Metric.MEMORY, Metric.DISK}

    def test_a_guest_that_is_no_servers_is_ignored(self, world: World, customer: Actor) -> None:
        world.hypervisor.seed_guest("pve-msk-1", 900, name="orphan")
        world.hypervisor.set_usage(900, cpu=1.0)
        with_snapshot = world.snapshot()
        assert monitoring_pass(world.rt) == MonitoringReport(0, 0, 0)
        assert world.snapshot() == with_snapshot
