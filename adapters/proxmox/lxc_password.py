"""Root password (and authorized keys) of an existing LXC container, over SSH to its node.

PVE has no API for it (no `password` config key, no exec endpoint), so this runs `pct` on the node
as its operators do: `pct exec <vmid> -- chpasswd` for a running container; for a stopped one,
`pct mount`, `chpasswd` chrooted into the mounted root, `pct unmount`. The secret travels on the
command's standard input and never on a command line; the remote command holds only fixed words
and the vmid, quoted for the remote shell.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import attrs

from domain.model.errors import ExternalFailure, Unavailable, ValidationError

LXC_PASSWORD_SETTING = "lxc_password_command"


class LxcPasswordCommand(Protocol):
    def set_root_password(self, node: str, vmid: int, password: str, *, running: bool) -> None: ...

    def set_authorized_keys(
        self, node: str, vmid: int, keys: tuple[str, ...], *, running: bool
    ) -> None: ...


def required(command: LxcPasswordCommand | None) -> LxcPasswordCommand:
    """The command, or the failure that says why LXC password work cannot be done without it
    (raised before any change)."""
    if command is None:
        raise ExternalFailure(
            "LXC root passwords can only be set over SSH to the node, and "
            f"{LXC_PASSWORD_SETTING} is not configured",
            setting=LXC_PASSWORD_SETTING,
        )
    return command


@attrs.frozen
class CommandResult:
    returncode: int
    stderr: str = ""


# Runs argv with `stdin` as its standard input; the default spawns it as a process.
CommandRunner = Callable[[Sequence[str], bytes, float], CommandResult]


def run_process(argv: Sequence[str], stdin: bytes, timeout: float) -> CommandResult:
    try:
        done = subprocess.run(
            list(argv), input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return CommandResult(124, f"timed out after {timeout:.0f} s")
    except OSError as error:
        return CommandResult(127, str(error))
    return CommandResult(done.returncode, done.stderr.decode("utf-8", "replace"))


@attrs.frozen
class SshSettings:
    user: str = "root"
    port: int = 22
    identity_file: str | None = None
    known_hosts_file: str | None = None  # host keys are checked strictly
    hosts: Mapping[str, str] = attrs.field(factory=dict)  # node -> address (default: the name)
    timeout_seconds: float = 60.0
    program: str = "ssh"  # the OpenSSH client (a path, or a name looked up on PATH)


class SshLxcPasswordCommand:
    def __init__(self, settings: SshSettings, run: CommandRunner = run_process) -> None:
        self.settings = settings
        self._run = run

    def set_root_password(self, node: str, vmid: int, password: str, *, running: bool) -> None:
        if not password or any(c in password for c in "\r\n\0"):
            raise ValidationError("password", "must be one line of text")
        self._execute(node, vmid, "chpasswd", f"root:{password}\n".encode(), running=running)

    def set_authorized_keys(
        self, node: str, vmid: int, keys: tuple[str, ...], *, running: bool
    ) -> None:
        writer = "umask 077 && mkdir -p {root}/root/.ssh && cat > {root}/root/.ssh/authorized_keys"
        if not running:
            # Written by the node's root into a mounted root: give the files the owner of the
            # container's /root, which is the container's root also when it is unprivileged.
            writer += (
                " && chown --reference={root}/root {root}/root/.ssh"
                " {root}/root/.ssh/authorized_keys"
            )
        text = "".join(f"{key.strip()}\n" for key in keys)
        self._execute(node, vmid, writer, text.encode(), running=running, shell=True)

    def command_line(self, node: str, remote: str) -> list[str]:
        s = self.settings
        argv = [s.program, "-p", str(s.port), "-o", "BatchMode=yes"]
        argv += ["-o", "StrictHostKeyChecking=yes"]
        if s.known_hosts_file:
            argv += ["-o", f"UserKnownHostsFile={s.known_hosts_file}"]
        if s.identity_file:
            argv += ["-i", s.identity_file, "-o", "IdentitiesOnly=yes"]
        argv += [f"{s.user}@{s.hosts.get(node, node)}", "--", remote]
        return argv

    def _execute(
        self,
        node: str,
        vmid: int,
        command: str,
        stdin: bytes,
        *,
        running: bool,
        shell: bool = False,
    ) -> None:
        ct = str(int(vmid))
        if running:
            inner = ["sh", "-c", command.format(root="")] if shell else [command]
            remote = shlex.join(["pct", "exec", ct, "--", *inner])
        else:
            root = f"/var/lib/lxc/{ct}/rootfs"
            inner_text = (
                f"sh -c {shlex.quote(command.format(root=root))}"
                if shell
                else f"chroot {root} {command}"
            )
            remote = (
                f"pct mount {ct} >/dev/null && {{ {inner_text}; rc=$?; pct unmount {ct}; "
                f"exit $rc; }}"
            )
        result = self._run(self.command_line(node, remote), stdin, self.settings.timeout_seconds)
        if result.returncode == 255:  # ssh's own failure: the node did not let us in
            raise Unavailable(f"ssh to node {node} failed: {result.stderr.strip()[:200]}")
        if result.returncode != 0:
            raise ExternalFailure(
                f"setting up CT {ct} over ssh failed (exit {result.returncode}): "
                f"{result.stderr.strip()[:200]}",
                node=node,
                vmid=vmid,
            )
