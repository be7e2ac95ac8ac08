"""LXC root passwords and keys over SSH to the node: the command lines, and the secret on stdin."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import attrs
import pytest

from adapters.proxmox.lxc_password import CommandResult, SshLxcPasswordCommand, SshSettings
from domain.model.errors import ExternalFailure, Unavailable, ValidationError

PASSWORD = "S3cret pass'; rm -rf / #"


@attrs.define
class RecordingRunner:
    """Stands in for the ssh process: keeps what it was asked to run and answers `result`."""

    result: CommandResult = CommandResult(0)
    runs: list[tuple[list[str], bytes, float]] = attrs.field(factory=list)

    def __call__(self, argv: Sequence[str], stdin: bytes, timeout: float) -> CommandResult:
        self.runs.append((list(argv), stdin, timeout))
        return self.result


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def command(runner: RecordingRunner) -> SshLxcPasswordCommand:
    settings = SshSettings(
        identity_file="/etc/hostprovider/ssh/id_ed25519",
        known_hosts_file="/etc/hostprovider/ssh/known_hosts",
        hosts={"pve1": "10.0.0.11"},
    )
    return SshLxcPasswordCommand(settings, runner)


def test_a_running_container_gets_chpasswd_through_pct_exec(command, runner):
    command.set_root_password("pve1", 105, PASSWORD, running=True)
    ((argv, stdin, timeout),) = runner.runs
    assert argv[:1] == ["ssh"] and "BatchMode=yes" in argv and "StrictHostKeyChecking=yes" in argv
    assert argv[argv.index("-i") + 1] == "/etc/hostprovider/ssh/id_ed25519"
    assert "UserKnownHostsFile=/etc/hostprovider/ssh/known_hosts" in argv
    assert argv[-3:-1] == ["root@10.0.0.11", "--"]
    assert shlex.split(argv[-1]) == ["pct", "exec", "105", "--", "chpasswd"]
    assert stdin == f"root:{PASSWORD}\n".encode()
    assert all(PASSWORD not in part for part in argv)  # never on a command line
    assert timeout == 60.0


def test_a_stopped_container_is_mounted_and_chrooted(command, runner):
    command.set_root_password("pve2", 106, PASSWORD, running=False)
    ((argv, stdin, _),) = runner.runs
    assert argv[-3] == "root@pve2"  # no address configured: the node's name
    remote = argv[-1]
    assert remote.startswith("pct mount 106 ")
    assert "chroot /var/lib/lxc/106/rootfs chpasswd" in remote
    assert "pct unmount 106" in remote
    assert PASSWORD not in remote and stdin == f"root:{PASSWORD}\n".encode()


def test_authorized_keys_go_on_stdin_and_get_the_container_roots_owner(command, runner):
    keys = ("ssh-ed25519 AAAAC3Nza alice@laptop", "ssh-rsa AAAAB3Nza bob")
    command.set_authorized_keys("pve1", 107, keys, running=False)
    ((argv, stdin, _),) = runner.runs
    script = argv[-1]
    assert "cat > /var/lib/lxc/107/rootfs/root/.ssh/authorized_keys" in script
    assert "chown --reference=/var/lib/lxc/107/rootfs/root" in script
    assert stdin == b"ssh-ed25519 AAAAC3Nza alice@laptop\nssh-rsa AAAAB3Nza bob\n"
    assert "alice" not in script


def test_a_password_that_is_not_one_line_is_refused_before_ssh(command, runner):
    with pytest.raises(ValidationError) as refused:
        command.set_root_password("pve1", 105, "two\nlines", running=True)
    assert refused.value.field == "password" and runner.runs == []


def test_failures_of_ssh_and_of_the_command_are_told_apart(runner):
    command = SshLxcPasswordCommand(SshSettings(), runner)
    runner.result = CommandResult(255, "ssh: connect to host pve1 port 22: Connection refused")
    with pytest.raises(Unavailable, match="Connection refused"):
        command.set_root_password("pve1", 105, PASSWORD, running=True)
    runner.result = CommandResult(1, "container 105 not running")
    with pytest.raises(ExternalFailure, match="exit 1") as failed:
        command.set_root_password("pve1", 105, PASSWORD, running=True)
    assert PASSWORD not in str(failed.value)
