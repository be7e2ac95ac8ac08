"""The Server aggregate: one customer's VPS, its state machine and what it reserves.

    pending -> provisioning -> running <-> stopped
    running/stopped -> suspended (dunning, or an admin's suspension of the account) -> stopped or
        running again when paid (or reinstated)
    running/stopped -> rebuilding -> running/stopped
    any live state -> deleting -> deleted
    pending/provisioning -> failed (the saga compensated) -> deleting -> deleted

Only these transitions exist. At most one action runs on a server at a time: a second one is refused
with Locked rather than queued blindly behind the first.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.action import (
    ActionCommand,
    ActionParams,
    FirewallParams,
    NewSnapshotParams,
    NoParams,
    RebuildParams,
    ResizeParams,
    SnapshotParams,
)
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import InvalidTransition, Locked
from domain.model.metering import Meter
from domain.model.network import FirewallRule
from domain.model.server_status import TRANSITIONS
from domain.model.server_status import ServerStatus as ServerStatus  # read with the aggregate

S = ServerStatus


# --- the server commands ------------------------------------------------------------------------
PROVISION_JOB = "provision_server"  # the create saga
ACTION_JOB = "run_server_action"  # every other command's job


@attrs.frozen
class CommandSpec:
    """What one command needs and does; guards, jobs, stored parameters and the API read it."""

    name: str  # in refusals ("cannot create snapshot") and the audit trail ("server.<name>")
    allowed_from: frozenset[ServerStatus]
    running: ServerStatus | None  # the state while its job works; None: the state it began in
    # The state it ends in on success; None: as it was (unsuspend: the power state it had before).
    succeeded: ServerStatus | None
    params: type[ActionParams] = NoParams
    job: str = ACTION_JOB


LIVE = frozenset({S.RUNNING, S.STOPPED})
A = ActionCommand
COMMANDS: dict[ActionCommand, CommandSpec] = {
    A.CREATE: CommandSpec(
        "create", frozenset({S.PENDING}), S.PROVISIONING, S.RUNNING, job=PROVISION_JOB
    ),
    A.START: CommandSpec("start", frozenset({S.STOPPED}), None, S.RUNNING),
    A.STOP: CommandSpec("stop", frozenset({S.RUNNING}), None, S.STOPPED),
    A.RESTART: CommandSpec("restart", frozenset({S.RUNNING}), None, None),
    A.RESIZE: CommandSpec("resize", LIVE, None, None, ResizeParams),
    A.CREATE_SNAPSHOT: CommandSpec("create_snapshot", LIVE, None, None, NewSnapshotParams),
    A.DELETE_SNAPSHOT: CommandSpec("delete_snapshot", LIVE, None, None, SnapshotParams),
    A.ROLLBACK: CommandSpec("rollback", LIVE, None, None, SnapshotParams),
    A.RESET_PASSWORD: CommandSpec("reset_password", frozenset({S.RUNNING}), None, None),
    A.DELETE: CommandSpec("delete", LIVE | {S.SUSPENDED, S.FAILED}, S.DELETING, S.DELETED),
    A.SUSPEND: CommandSpec("suspend", LIVE, S.SUSPENDED, None),
    A.UNSUSPEND: CommandSpec("unsuspend", frozenset({S.SUSPENDED}), None, None),
    # Wherever its rules are on the firewall: closing a port costs nothing, even unpaid (suspended).
    A.CHANGE_FIREWALL: CommandSpec(
        "change_firewall", LIVE | {S.SUSPENDED}, None, None, FirewallParams
    ),
    # Wiped and installed again (same id, address, VLAN and firewall), then started.
    A.REBUILD: CommandSpec("rebuild", LIVE, S.REBUILDING, S.RUNNING, RebuildParams),
}
CONSOLE_FROM = frozenset({S.RUNNING})  # no action, but it needs a running guest and no action


@attrs.frozen
class Placement:
    """Where the guest lives once provisioning has chosen: filled step by step by the saga."""

    node: str | None = None
    vmid: int | None = None
    ip_address: str | None = None
    mac_address: str | None = None
    vlan: int | None = None


@attrs.define
class Server:
    id: int
    owner_id: int
    name: str
    location_id: int
    image_id: int
    tariff_id: int | None
    guest_kind: GuestKind
    config: ServerConfig
    status: ServerStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    catalogue_version: int
    meter: Meter
    hold_key: str | None = None
    promo_code: str | None = None
    placement: Placement = Placement()
    active_action_id: int | None = None
    # Set on suspension: the server was running then, and is started again when it is lifted.
    stopped_by_dunning: bool = False
    # Suspended because an admin suspended the account: stopped and not billed (data kept).
    suspended_by_admin: bool = False
    failure_reason: str | None = None
    deleted_at: dt.datetime | None = None
    saga_steps: tuple[str, ...] = ()  # provisioning steps already done, in order
    # The customer's inbound rules as the firewall enforces them; None until they set their own,
    # when the provider's default applies.
    firewall: tuple[FirewallRule, ...] | None = None
    # Rules asked for and being applied by the running firewall action.
    firewall_pending: tuple[FirewallRule, ...] | None = None

    def _move(self, to: ServerStatus, attempted: str, now: dt.datetime) -> None:
        if to not in TRANSITIONS[self.status]:
            raise InvalidTransition("server", self.status.value, attempted)
        self.status = to
        self.updated_at = now

    @property
    def billable(self) -> bool:
        """Billed for existing: its resources are reserved, unless an admin's suspension holds
        it (the provider's decision, not the customer's use, so the provider bears the cost)."""
        return self.status.billable and not self.suspended_by_admin

    def check_allows(self, command: ActionCommand) -> None:
        """Refuse a command that the current state or a running action forbids."""
        self._check(COMMANDS[command].allowed_from, COMMANDS[command].name)

    def allows(self, command: ActionCommand) -> bool:
        return self.active_action_id is None and self.status in COMMANDS[command].allowed_from

    def check_console(self) -> None:
        self._check(CONSOLE_FROM, "console")

    def _check(self, allowed_from: frozenset[ServerStatus], name: str) -> None:
        if self.active_action_id is not None:
            raise Locked(
                f"server {self.id} is busy with action {self.active_action_id}",
                action_id=self.active_action_id,
            )
        if self.status not in allowed_from:
            raise InvalidTransition("server", self.status.value, name.replace("_", " "))

    def begin(self, command: ActionCommand, action_id: int, now: dt.datetime) -> None:
        self.check_allows(command)
        self.active_action_id = action_id
        self.updated_at = now

    def finish_action(self, now: dt.datetime) -> None:
        self.active_action_id = None
        # Rules not applied by the time their action ends never will be: the change failed.
        self.firewall_pending = None
        self.updated_at = now

    def request_firewall(self, rules: tuple[FirewallRule, ...], now: dt.datetime) -> None:
        """Record the rules the running action is to apply (after `begin`)."""
        self.firewall_pending = rules
        self.updated_at = now

    def firewall_applied(self, rules: tuple[FirewallRule, ...], now: dt.datetime) -> None:
        self.firewall = rules
        self.firewall_pending = None
        self.updated_at = now

    # --- lifecycle -------------------------------------------------------------------------------
    def start_provisioning(self, now: dt.datetime) -> None:
        if self.status is not S.PROVISIONING:
            self._move(S.PROVISIONING, "provision", now)

    def mark_step(self, step: str, now: dt.datetime) -> None:
        if step not in self.saga_steps:
            self.saga_steps = (*self.saga_steps, step)
            self.updated_at = now

    def unmark_step(self, step: str, now: dt.datetime) -> None:
        self.saga_steps = tuple(s for s in self.saga_steps if s != step)
        self.updated_at = now

    def place(
        self,
        now: dt.datetime,
        *,
        node: str | None = None,
        vmid: int | None = None,
        ip_address: str | None = None,
        mac_address: str | None = None,
        vlan: int | None = None,
    ) -> None:
        """Fill in where the guest lives; what is not given stays as it was."""
        p = self.placement
        self.placement = Placement(
            node=p.node if node is None else node,
            vmid=p.vmid if vmid is None else vmid,
            ip_address=p.ip_address if ip_address is None else ip_address,
            mac_address=p.mac_address if mac_address is None else mac_address,
            vlan=p.vlan if vlan is None else vlan,
        )
        self.updated_at = now

    def provisioned(self, meter: Meter, now: dt.datetime) -> None:
        self._move(S.RUNNING, "finish provisioning", now)
        self.meter = meter

    def fail(self, reason: str, now: dt.datetime) -> None:
        self._move(S.FAILED, "fail", now)
        self.failure_reason = reason

    def powered(self, running: bool, now: dt.datetime) -> None:
        """The guest was found running (or stopped) behind our back: follow it."""
        if self.status not in LIVE:
            raise InvalidTransition("server", self.status.value, "start" if running else "stop")
        self._move(S.RUNNING if running else S.STOPPED, "start" if running else "stop", now)

    def complete(self, command: ActionCommand, now: dt.datetime) -> None:
        """The command's job succeeded: the server takes the state the command ends in."""
        spec = COMMANDS[command]
        if spec.succeeded is not None and self.status is not spec.succeeded:
            self._move(spec.succeeded, spec.name, now)

    def suspend(self, now: dt.datetime, *, by_admin: bool = False) -> None:
        """Stopped for an unpaid balance (or by an admin); remembers whether it was running, to
        restart it when paid (or reinstated). The caller bills an admin's suspension up to `now`
        first: from then on the server is not billed."""
        was_running = self.status is S.RUNNING
        self._move(S.SUSPENDED, "suspend", now)
        self.stopped_by_dunning = was_running
        self.suspended_by_admin = by_admin

    def lift_admin_suspension(self, now: dt.datetime) -> None:
        """Billable again from `now` (the suspended time is never billed); still suspended until
        its unsuspend action (or dunning) brings it back."""
        if self.suspended_by_admin:
            self.suspended_by_admin = False
            self.meter = self.meter.resumed(now)
            self.updated_at = now

    def unsuspend(self, now: dt.datetime) -> None:
        """Back to the power state it had before suspension."""
        # Running -> stopped is a transition: without this, a stray unsuspend would stop a server.
        if self.status is not S.SUSPENDED:
            raise InvalidTransition("server", self.status.value, "unsuspend")
        self.lift_admin_suspension(now)
        self._move(S.RUNNING if self.stopped_by_dunning else S.STOPPED, "unsuspend", now)
        self.stopped_by_dunning = False

    def start_rebuilding(self, now: dt.datetime) -> None:
        """Its guest is about to be wiped: billed as before, refused every other command."""
        self._move(S.REBUILDING, "rebuild", now)

    def rebuilt(self, image_id: int, meter: Meter, now: dt.datetime) -> None:
        """Installed again from `image_id` (of its own guest kind), with the meter that prices its
        licence from the next month."""
        self.image_id = image_id
        self.meter = meter
        self.updated_at = now

    def resized(self, config: ServerConfig, meter: Meter, now: dt.datetime) -> None:
        self.config = config
        self.meter = meter
        self.updated_at = now

    def start_deleting(self, now: dt.datetime) -> None:
        self._move(S.DELETING, "delete", now)
        self.suspended_by_admin = False  # nothing left to hold: it is going

    def deleted(self, now: dt.datetime) -> None:
        self._move(S.DELETED, "finish deleting", now)
        self.deleted_at = now
