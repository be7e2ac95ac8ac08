"""What PVE 8.4's workers print while they clone, create and resize, line for line, so that a client
reading a task's log meets the formats it will meet on a real node (read in the sources:
qemu-server QemuServer.pm `clone_disk` / `qemu_img_convert`, pve-container LXC/Create.pm and
API2/LXC.pm `resize_vm`, pve-storage LVMPlugin.pm; the adapter's task_log.py quotes them).

Each script is a list of (fraction of the task's duration, line): the simulator writes a line to
the task's log once that much of the task has gone by.
"""

from __future__ import annotations

import hashlib
import math
import re

from simulators.proxmox.model import Guest, Storage, parse_size, split_volume

Script = list[tuple[float, str]]

_QEMU_DRIVE = re.compile(r"^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$")
_VG = "pve"  # the volume group behind `local-lvm` on a stock installation
_EXTENT = 4 * 1024 * 1024
_E2FS = "1.47.0 (5-Feb-2023)"  # the e2fsprogs of Debian bookworm


def render_bytes(value: int) -> str:
    """pve-common's PVE::Tools::render_bytes($value, 1)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = int(math.log(value) / math.log(1024)) if value > 1023 else 0
    return f"{value / 1024**power:.1f} {units[power]}"


def _created(storage: Storage | None, volname: str) -> list[str]:
    """lvcreate's own words when the new volume is a logical volume."""
    if storage is None or storage.kind not in ("lvm", "lvmthin"):
        return []
    return [f'  Logical volume "{volname}" created.']


def qemu_clone(source: Guest, newid: int, storage: Storage | None, full: bool) -> Script:
    """clone_vm: each drive in sorted key order; a cloud-init drive is allocated, a data disk
    copied by `qemu-img convert -p`, whose percentages clone_disk prints as "transferred"."""
    drives = sorted(
        (key, value)
        for key, value in source.config.items()
        if _QEMU_DRIVE.match(key) and ("media=cdrom" not in value or "cloudinit" in value)
    )
    data = [key for key, value in drives if "cloudinit" not in value]
    script: Script = []
    for key, value in drives:
        volume = split_volume(value)
        start = 0.02 + 0.96 * data.index(key) / len(data) if key in data else 0.0
        script.append(
            (
                start,
                f"create {'full' if full else 'linked'} clone of drive {key} ({volume['volume']})",
            )
        )
        suffix = "cloudinit" if "cloudinit" in value else f"disk-{data.index(key)}"
        script.extend((start, line) for line in _created(storage, f"vm-{newid}-{suffix}"))
        if full and key in data:
            size = parse_size(volume["size"]) if "size" in volume else 0
            span = 0.96 / len(data)
            for percent in range(101):
                done = size * percent // 100
                script.append(
                    (
                        start + span * percent / 100,
                        f"transferred {render_bytes(done)} of {render_bytes(size)} "
                        f"({percent:.2f}%)",
                    )
                )
    return script


def lxc_create(vmid: int, hostname: str, template: str, disk: int, storage: Storage) -> Script:
    """LXC create from a template: the root volume made and formatted, the archive extracted (tar
    says nothing until its totals), then the setup of the new root (its SSH host keys)."""
    blocks = disk // 4096
    digest = hashlib.sha256(f"{vmid}".encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    store, _, path = template.partition(":")
    archive = f"/var/lib/vz/template/cache/{path.split('/', 1)[-1]}" if store == "local" else path
    read = 512 * 1024 * 1024
    script: Script = [(0.0, line) for line in _created(storage, f"vm-{vmid}-disk-0")]
    script += [
        (0.02, f"Creating filesystem with {blocks} 4k blocks and {blocks // 4} inodes"),
        (0.02, f"Filesystem UUID: {uuid}"),
        (0.02, "Superblock backups stored on blocks: "),
        (0.02, "\t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632"),
        (0.05, f"extracting archive '{archive}'"),
        (0.85, f"Total bytes read: {read} ({read // 2**20}MiB, 94MiB/s)"),
        (0.88, "Detected container architecture: amd64"),
    ]
    for share, key in ((0.9, "rsa"), (0.93, "ecdsa"), (0.96, "ed25519")):
        script.append(
            (share, f"Creating SSH host key 'ssh_host_{key}_key' - this may take some time ...")
        )
        fingerprint = hashlib.sha256(f"{vmid}{key}".encode()).hexdigest()[:43]
        script.append((share + 0.01, f"done: SHA256:{fingerprint} root@{hostname}"))
    return script


def resize(
    guest: Guest, volname: str, storage: Storage | None, current: int, target: int
) -> Script:
    """lvextend's two lines; a container's ext4 grown after it, checked first when stopped."""
    script: Script = []
    if storage is not None and storage.kind in ("lvm", "lvmthin"):
        lv = f"{_VG}/{volname}"
        script += [
            (
                0.2,
                f"  Size of logical volume {lv} changed from {_lvm_size(current)} to "
                f"{_lvm_size(target)}.",
            ),
            (0.3, f"  Logical volume {lv} successfully resized."),
        ]
    if guest.kind != "lxc":
        return script
    blocks = target // 4096
    if guest.status == "running":
        device = "/dev/loop0"
        script += [
            (0.4, f"resize2fs {_E2FS}"),
            (0.5, f"Filesystem at {device} is mounted on /tmp; on-line resizing required"),
            (
                0.6,
                f"old_desc_blocks = {math.ceil(current / 2**27)}, "
                f"new_desc_blocks = {math.ceil(target / 2**27)}",
            ),
        ]
    else:
        device = f"/dev/{_VG}/{volname}"
        script += [(0.35, f"e2fsck {_E2FS}")]
        passes = (
            "Checking inodes, blocks, and sizes",
            "Checking directory structure",
            "Checking directory connectivity",
            "Checking reference counts",
            "Checking group summary information",
        )
        script += [(0.4 + 0.05 * n, f"Pass {n + 1}: {what}") for n, what in enumerate(passes)]
        old = current // 4096
        script += [
            (0.62, f"{device}: 27000/{old // 4} files (0.1% non-contiguous), 250000/{old} blocks"),
            (0.7, f"resize2fs {_E2FS}"),
            (0.75, f"Resizing the filesystem on {device} to {blocks} (4k) blocks."),
        ]
    script += [(0.95, f"The filesystem on {device} is now {blocks} (4k) blocks long."), (0.95, "")]
    return script


def _lvm_size(size: int) -> str:
    return f"{size / 2**30:.2f} GiB ({size // _EXTENT} extents)"
