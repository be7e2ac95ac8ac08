"""How far a running PVE task has come, read from its log as it grows.

PVE has no progress field on a task; what it knows it prints in the task's log, which
`GET /nodes/{node}/tasks/{upid}/log?start=N&limit=M` answers as `[{n, t}]` (n the 1-based line
number of the whole log, `start` the lines to skip). Each task's cursor keeps how many lines were
read, so a poll asks only for what was written since.

What PVE 8.4 writes, read in its sources (qemu-server stable-bookworm 8.4.x, pve-container
stable-bookworm 5.3.x, pve-storage stable-8, pve-common PVE::Tools):

- QEMU full clone of a stopped template (`qmclone`; API2/Qemu.pm clone_vm, drives in sorted key
  order, each through QemuServer.pm `clone_disk`):
      create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)
        Logical volume "vm-200-cloudinit" created.            (lvcreate, LvmThinPlugin alloc)
      create full clone of drive scsi0 (local-lvm:base-9000-disk-0)
        Logical volume "vm-200-disk-0" created.
      transferred 0.0 B of 8.0 GiB (0.00%)
      transferred 81.9 MiB of 8.0 GiB (1.00%)
      ...
      transferred 8.0 GiB of 8.0 GiB (100.00%)
      TASK OK
  The "transferred" lines are QemuServer.pm `qemu_img_convert`'s parser of `qemu-img convert -p`
  ("(N.NN/100%)"): "transferred <render_bytes(x, 1)> of <render_bytes(size, 1)> (<N.NN>%)". A
  cloud-init drive is allocated, not copied (no transfer lines); every further data disk starts
  again at 0.00%. A linked clone prints "create linked clone of drive ..." and nothing more.
- QEMU clone of a running VM: QemuServer.pm `qemu_drive_mirror_monitor`, "drive-scsi0:
  transferred 1.0 GiB of 8.0 GiB (12.50%) in 3s" (", ready" once the mirror caught up).
- LXC full clone (`vzclone`; API2/LXC.pm clone_vm, LXC.pm `copy_volume`): "create full clone of
  mountpoint rootfs (local-lvm:vm-101-disk-0)", the new volume's lvcreate and mkfs lines
  ("Creating filesystem with 2621440 4k blocks and 655360 inodes", "Filesystem UUID: ...",
  "Superblock backups stored on blocks: ..."), then `rsync --stats` without any progress option:
  nothing while it copies, its statistics ("Number of files: ...", "Total file size: ...",
  "sent ... received ...") once done. A linked clone: "create linked clone of mount point ...".
- LXC create from a template (`vzcreate`; LXC/Create.pm `restore_archive`, Setup.pm): the volume's
  lvcreate and mkfs lines, "extracting archive '/var/lib/vz/template/cache/<file>'", tar's
  `--totals` "Total bytes read: 524288000 (500MiB, 94MiB/s)" once extracted, "Detected container
  architecture: amd64", "Creating SSH host key 'ssh_host_rsa_key' - this may take some time ...".
- Resize (`resize`; API2/Qemu.pm resize_vm, API2/LXC.pm resize_vm): the storage's grow, on
  LVM/LVM-thin `lvextend` (LVMPlugin.pm `volume_resize`): "  Size of logical volume
  pve/vm-100-disk-0 changed from 10.00 GiB (2560 extents) to 20.00 GiB (5120 extents)." and
  "  Logical volume pve/vm-100-disk-0 successfully resized."; a QEMU guest then only gets QMP's
  block_resize. A container's ext4 is grown next: stopped, `e2fsck -f -y` ("Pass 1: Checking
  inodes, blocks, and sizes" ... "Pass 5: Checking group summary information") then `resize2fs`
  ("Resizing the filesystem on /dev/pve/vm-100-disk-0 to 5242880 (4k) blocks.", "The filesystem on
  /dev/pve/vm-100-disk-0 is now 5242880 (4k) blocks long."); running, resize2fs online only.

So only a QEMU clone measures its progress. For the others the log tells which stage the task has
reached: those stages are turned into the coarse percentages below (a container's extraction or
copy is most of its time, and goes by without a word). Any other task type says nothing: None.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import attrs

from adapters.proxmox.client import ProxmoxClient, api_path
from ports.hypervisor import TaskRef

# "transferred 1.0 GiB of 8.0 GiB (12.50%)", with a "drive-scsi0: " prefix from a drive mirror.
_TRANSFERRED = re.compile(r"^(?:drive-\S+: )?transferred .+ of .+ \((\d{1,3}(?:\.\d+)?)%\)")

# Stages of the tasks that do not measure their work, as (line, percent once printed).
_STAGES: dict[str, tuple[tuple[re.Pattern[str], int], ...]] = {
    "vzcreate": (
        (re.compile(r"^Creating filesystem with "), 5),
        (re.compile(r"^extracting archive "), 10),
        (re.compile(r"^Total bytes read: "), 85),
        (re.compile(r"^Detected container architecture: "), 90),
        (re.compile(r"^Creating SSH host key "), 92),
    ),
    "vzclone": (
        (re.compile(r"^create full clone of mountpoint "), 5),
        (re.compile(r"^Creating filesystem with "), 10),
        (re.compile(r"^create linked clone of mount point "), 50),
        (re.compile(r"^Number of files: "), 90),
    ),
    "resize": (
        (re.compile(r"^\s*Size of logical volume \S+ changed from "), 40),
        (re.compile(r"^\s*Logical volume \S+ successfully resized"), 50),
        (re.compile(r"^Pass 1: "), 55),
        (re.compile(r"^Pass 5: "), 65),
        (re.compile(r"^Resizing the filesystem on "), 75),
        (re.compile(r"^The filesystem on \S+ is now \d+ "), 95),
    ),
}
_MEASURED = frozenset({"qmclone", *_STAGES})

_PAGE = 500  # lines asked for at once; a clone writes about a hundred per disk
_MAX_PAGES = 4  # per poll: the rest waits for the next one
_KEEP = 1000  # tasks whose cursor is remembered
# PVE answers a log with no lines yet with this one made-up line (PVE::Tools dump_logfile).
_EMPTY_LOG = [{"n": 1, "t": "no content"}]


def percent_of(task_type: str, line: str) -> int | None:
    """The percentage one log line of a `task_type` task tells, if any."""
    transferred = _TRANSFERRED.match(line)
    if transferred is not None:
        return min(100, int(float(transferred.group(1))))
    for pattern, percent in _STAGES.get(task_type, ()):
        if pattern.match(line):
            return percent
    return None


def task_type(upid: str) -> str:
    parts = upid.split(":")
    return parts[5] if len(parts) > 5 else ""


@attrs.define
class _Cursor:
    lines_read: int = 0
    percent: int | None = None


class TaskLog:
    """Each task's log read from where the previous poll stopped; thread-safe."""

    def __init__(self, client: ProxmoxClient) -> None:
        self._client = client
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def percent(self, ref: TaskRef) -> int | None:
        kind = task_type(ref.upid)
        if kind not in _MEASURED:
            return None
        with self._lock:
            cursor = self._cursors.setdefault(ref.upid, _Cursor())
            while len(self._cursors) > _KEEP:
                self._cursors.popitem(last=False)
        path = api_path("nodes", ref.node, "tasks", ref.upid, "log")
        for _page in range(_MAX_PAGES):
            lines = self._client.get(path, start=cursor.lines_read, limit=_PAGE) or []
            if lines == _EMPTY_LOG:
                break
            for entry in lines:
                cursor.lines_read = max(cursor.lines_read, int(entry.get("n") or 0))
                told = percent_of(kind, str(entry.get("t") or ""))
                if told is not None:
                    cursor.percent = told
            if len(lines) < _PAGE:
                break
        return cursor.percent
