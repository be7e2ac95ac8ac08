"""HOSTPROVIDER_PROXMOX_SSH_*: how LXC root passwords reach the Proxmox nodes (`pct` over SSH).

The wiring is checked end to end: the composition root's adapter, on the PVE simulator, runs the
configured ssh program (a recording script here) with the configured user, port, key, known hosts
and node address."""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.model.errors import ExternalFailure
from entrypoints.config import ConfigError, NodeSsh, load_settings
from entrypoints.container import unbuilt
from simulators.proxmox import ProxmoxSimulator
from simulators.proxmox.simulator import TOKEN_ID, TOKEN_SECRET

SITE = """
[[location]]
id = 1
nodes = ["pve1", "pve2"]
storage = "local-lvm"
bridge = "vmbr1"
supernet = "10.20.0.0/16"
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    identity, known_hosts, site = tmp_path / "id_ed25519", tmp_path / "known_hosts", tmp_path / "s"
    identity.write_text("not really a key\n")
    known_hosts.write_text("pve1 ssh-ed25519 AAAA\n")
    site.write_text(SITE)
    return {"identity": str(identity), "known_hosts": str(known_hosts), "site": str(site)}


def env(
    files: dict[str, str], url: str = "https://pve.example.net:8006", **ssh: str
) -> dict[str, str]:
    return {
        "HOSTPROVIDER_PROXMOX_URL": url,
        "HOSTPROVIDER_PROXMOX_TOKEN_ID": TOKEN_ID,
        "HOSTPROVIDER_PROXMOX_TOKEN_SECRET": TOKEN_SECRET,
        "HOSTPROVIDER_SITE_FILE": files["site"],
        **{f"HOSTPROVIDER_PROXMOX_SSH_{key.upper()}": value for key, value in ssh.items()},
    }


def test_without_a_user_or_a_key_there_is_no_ssh(files: dict[str, str]) -> None:
    assert load_settings(env(files), dotenv=None).proxmox_ssh is None
    assert load_settings({}, dotenv=None).proxmox_ssh is None


def test_every_setting_is_read(files: dict[str, str]) -> None:
    settings = load_settings(
        env(
            files,
            user="hostprovider",
            port="2222",
            identity_file=files["identity"],
            known_hosts=files["known_hosts"],
            hosts=" pve2=10.0.0.12 , pve1=pve1.mgmt.example ",
            program=sys.executable,
        ),
        dotenv=None,
    )
    assert settings.proxmox_ssh == NodeSsh(
        user="hostprovider",
        port=2222,
        identity_file=files["identity"],
        known_hosts_file=files["known_hosts"],
        hosts=(("pve1", "pve1.mgmt.example"), ("pve2", "10.0.0.12")),
        program=sys.executable,
    )


def test_a_key_alone_logs_in_as_root_on_port_22_with_ssh(files: dict[str, str]) -> None:
    ssh = load_settings(env(files, identity_file=files["identity"]), dotenv=None).proxmox_ssh
    assert ssh is not None
    assert (ssh.user, ssh.port, ssh.program, ssh.hosts) == ("root", 22, "ssh", ())


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"port": "ssh"}, "SSH_PORT must be an integer"),
        ({"port": "0"}, "SSH_PORT must be at least 1"),
        ({"port": "65536"}, "SSH_PORT must be a TCP port"),
        ({"hosts": "pve1"}, "SSH_HOSTS takes NODE=ADDRESS"),
        ({"hosts": "=10.0.0.1"}, "SSH_HOSTS takes NODE=ADDRESS"),
        ({"hosts": "pve1=a,pve1=b"}, "named twice"),
        ({"hosts": "pve1=-oProxyCommand=sh"}, "SSH_HOSTS: '-oProxyCommand=sh' is not a plain"),
        ({"hosts": "pve1=10.0.0.1 -v"}, "SSH_HOSTS.*not a plain"),
        ({"user": "-oProxyCommand=sh"}, "SSH_USER.*not a plain"),
        ({"user": "root@pve1"}, "SSH_USER.*not a plain"),
        ({"identity_file": "/nowhere/id"}, "SSH_IDENTITY_FILE: no such file"),
        ({"known_hosts": "/nowhere/known_hosts"}, "SSH_KNOWN_HOSTS: no such file"),
        ({"program": "/nowhere/ssh"}, "SSH_PROGRAM.*not an executable"),
    ],
)
def test_a_malformed_setting_names_its_variable(
    files: dict[str, str], change: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(env(files, **{"user": "root", **change}), dotenv=None)


def test_ssh_details_without_a_user_or_a_key_are_refused(files: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SSH_HOSTS is set, but neither .*SSH_USER"):
        load_settings(env(files, hosts="pve1=10.0.0.1"), dotenv=None)


def test_ssh_needs_a_proxmox_cluster(files: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="need HOSTPROVIDER_PROXMOX_URL"):
        load_settings({"HOSTPROVIDER_PROXMOX_SSH_USER": "root"}, dotenv=None)


def test_a_host_for_a_node_the_site_does_not_have_is_refused(files: dict[str, str]) -> None:
    settings = load_settings(env(files, user="root", hosts="pve9=10.0.0.9"), dotenv=None)
    with pytest.raises(ConfigError, match="SSH_HOSTS names pve9, which no location"):
        unbuilt(settings).hypervisor()


# --- the wiring, on the simulator ----------------------------------------------------------------

RECORDER = """#!{python}
import json, sys
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "stdin": sys.stdin.read()}}) + "\\n")
"""


@pytest.fixture
def cluster() -> Iterator[ProxmoxSimulator]:
    with ProxmoxSimulator() as simulator:
        for node in ("pve1", "pve2"):
            simulator.add_node(node)
        simulator.seed_guest("pve2", 100, kind="lxc", status="stopped")
        yield simulator
        assert simulator.violations == []


def recording_ssh(folder: Path) -> tuple[str, Path]:
    log, program = folder / "ssh.log", folder / "fake-ssh"
    program.write_text(RECORDER.format(python=sys.executable, log=str(log)))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return str(program), log


def test_an_lxc_password_goes_through_the_configured_ssh(
    files: dict[str, str], cluster: ProxmoxSimulator, tmp_path: Path
) -> None:
    program, log = recording_ssh(tmp_path)
    settings = load_settings(
        env(
            files,
            url=cluster.url,
            user="hostprovider",
            port="2222",
            identity_file=files["identity"],
            known_hosts=files["known_hosts"],
            hosts="pve2=10.0.0.12",
            program=program,
        ),
        dotenv=None,
    )
    hypervisor = unbuilt(settings).hypervisor()

    hypervisor.wait(hypervisor.set_password("pve2", 100, "New-secret-42"))

    [call] = [json.loads(line) for line in log.read_text().splitlines()]
    argv = call["argv"]
    assert argv[argv.index("-p") + 1] == "2222"
    assert argv[argv.index("-i") + 1] == files["identity"]
    assert f"UserKnownHostsFile={files['known_hosts']}" in argv
    assert argv[-3:-1] == ["hostprovider@10.0.0.12", "--"]
    assert argv[-1].startswith("pct mount 100")  # a stopped container: through its mounted root
    assert call["stdin"] == "root:New-secret-42\n"


def test_without_ssh_an_lxc_password_fails_saying_why(
    files: dict[str, str], cluster: ProxmoxSimulator
) -> None:
    settings = load_settings(env(files, url=cluster.url), dotenv=None)
    hypervisor = unbuilt(settings).hypervisor()
    with pytest.raises(ExternalFailure, match="LXC root passwords can only be set over SSH"):
        hypervisor.set_password("pve2", 100, "New-secret-42")
