"""Worker tasks as PVE runs them: a UPID, a log, `running` then `stopped` with an exit status.

A task waits for the guest's config flock (PVE waits 10 s, then fails with "can't lock file"),
runs its in-task checks when it gets the lock, lasts its duration on the simulator's clock, and
then applies its effect, or undoes what it had started when it fails.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs

UPID_RE = re.compile(
    r"^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):"
    r"([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$"
)
FLOCK_WAIT = dt.timedelta(seconds=10)

# Seconds each worker type lasts unless the simulator is told otherwise (a rough real-world guess).
DEFAULT_TASK_SECONDS: dict[str, float] = {
    "vzcreate": 30,
    "qmclone": 60,
    "vzstart": 5,
    "qmstart": 5,
    "vzshutdown": 5,
    "qmshutdown": 5,
    "vzstop": 2,
    "qmstop": 2,
    "vzreboot": 5,
    "qmreboot": 5,
    "resize": 2,
    "vzsnapshot": 3,
    "qmsnapshot": 3,
    "vzrollback": 5,
    "qmrollback": 5,
    "vzdelsnapshot": 2,
    "qmdelsnapshot": 2,
    "vzdestroy": 5,
    "qmdestroy": 5,
    "qmconfig": 1,
    "vncproxy": 10,
}


def upid_encode(
    node: str, pid: int, pstart: int, starttime: int, kind: str, ident: str, user: str
) -> str:
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{ident}:{user}:"


def upid_decode(upid: str) -> dict[str, str | int] | None:
    found = UPID_RE.match(upid)
    if found is None:
        return None
    return {
        "node": found.group(1),
        "pid": int(found.group(3), 16),
        "pstart": int(found.group(4), 16),
        "starttime": int(found.group(5), 16),
        "type": found.group(6),
        "id": found.group(7),
        "user": found.group(8),
    }


@attrs.define(eq=False)
class Task:
    upid: str
    node: str
    kind: str
    ident: str
    user: str
    seq: int
    queued_at: dt.datetime
    duration: dt.timedelta
    flock_vmid: int | None = None  # the guest whose config flock the task needs
    flock_path: str = ""
    check: Callable[[], str | None] | None = None  # in-task checks when the task gets the lock
    begin: Callable[[], None] | None = None  # e.g. write the config `lock:` property
    effect: Callable[[], None] | None = None  # on success, at the end
    undo: Callable[[], None] | None = None  # on failure, at the end
    failure: str | None = None  # an injected exit status
    next_attempt: dt.datetime | None = None
    began_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    exitstatus: str | None = None
    lines: list[str] = attrs.field(factory=list)
    # What the worker prints while it runs, as (fraction of its duration, line): PVE's log grows
    # as the task goes, and a reader polling it sees the lines due by then.
    script: list[tuple[float, str]] = attrs.field(factory=list)
    scripted: int = 0  # how many of `script` are in `lines` already

    def write_due(self, now: dt.datetime | None) -> None:
        """The script's lines due by `now` (None: all of them) written to the log."""
        if self.began_at is None:
            return
        elapsed = 1.0 if now is None or not self.duration else (now - self.began_at) / self.duration
        while self.scripted < len(self.script) and self.script[self.scripted][0] <= elapsed:
            self.lines.append(self.script[self.scripted][1])
            self.scripted += 1

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def holds_flock(self) -> bool:
        return self.began_at is not None and self.ended_at is None and self.flock_vmid is not None

    @property
    def ok(self) -> bool:
        status = self.exitstatus or ""
        return status == "OK" or status.startswith("WARNINGS:")

    def finish(self, when: dt.datetime, error: str | None) -> None:
        """End the task; the effect or the undo runs here, so a failed task leaves no trace."""
        self.ended_at = when
        # A task that ends OK printed all it had to; one that fails stops where it was.
        self.write_due(when if error is not None else None)
        if error is None:
            if self.effect is not None:
                self.effect()
            self.exitstatus = "OK"
            self.lines.append("TASK OK")
        else:
            if self.undo is not None:
                self.undo()
            self.exitstatus = error
            self.lines.append(f"TASK ERROR: {error}")

    def status_entry(self) -> dict[str, object]:
        decoded = upid_decode(self.upid) or {}
        user, _, token = self.user.partition("!")
        entry: dict[str, object] = {
            "upid": self.upid,
            "node": self.node,
            "pid": decoded.get("pid"),
            "pstart": decoded.get("pstart"),
            "starttime": decoded.get("starttime"),
            "type": self.kind,
            "id": self.ident,
            "user": user,
            "status": "running" if self.running else "stopped",
        }
        if token:
            entry["tokenid"] = token
        if not self.running:
            entry["exitstatus"] = self.exitstatus
        return entry

    def list_entry(self) -> dict[str, object]:
        entry = self.status_entry()
        entry.pop("exitstatus", None)
        entry["status"] = "RUNNING" if self.running else self.exitstatus
        if self.ended_at is not None:
            entry["endtime"] = int(self.ended_at.timestamp())
        return entry
