"""Settings of the outside systems: how to reach the Proxmox and pfSense APIs, and the SSH the
back office runs `pct` with on the Proxmox nodes."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import attrs

from entrypoints.environment import PREFIX, ConfigError, read_int

_SSH = f"{PREFIX}PROXMOX_SSH_"


@attrs.frozen
class RemoteApi:
    """How to reach an outside API: its address, credentials and how to trust its certificate."""

    url: str
    user: str  # Proxmox: the token id USER@REALM!NAME; pfSense: unused
    secret: str = attrs.field(repr=False)  # the token secret or the API key
    ca_file: str | None = None
    fingerprint_sha256: str | None = None


def read_remote(
    env: Mapping[str, str], system: str, secret_name: str, user_name: str | None
) -> RemoteApi | None:
    url = env.get(f"{PREFIX}{system}_URL")
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{PREFIX}{system}_URL must be an http(s) URL")
    user = env.get(f"{PREFIX}{system}_{user_name}", "") if user_name else ""
    if user_name and not user:
        raise ConfigError(f"{PREFIX}{system}_{user_name} must be set with {PREFIX}{system}_URL")
    secret = env.get(f"{PREFIX}{system}_{secret_name}", "")
    if not secret:
        raise ConfigError(f"{PREFIX}{system}_{secret_name} must be set with {PREFIX}{system}_URL")
    ca_file = env.get(f"{PREFIX}{system}_CA_FILE") or None
    fingerprint = env.get(f"{PREFIX}{system}_FINGERPRINT") or None
    if ca_file and fingerprint:
        raise ConfigError(
            f"{PREFIX}{system}_CA_FILE and {PREFIX}{system}_FINGERPRINT: set one, not both"
        )
    return RemoteApi(url.rstrip("/"), user, secret, ca_file, fingerprint)


@attrs.frozen
class NodeSsh:
    """How the back office runs `pct` on the Proxmox nodes over SSH: LXC root passwords have no
    API. Host keys are checked strictly, against `known_hosts_file` or the user's own file."""

    user: str = "root"
    port: int = 22
    identity_file: str | None = None
    known_hosts_file: str | None = None
    hosts: tuple[tuple[str, str], ...] = ()  # (node, address); an unnamed node is its own address
    program: str = "ssh"


def _ssh_word(name: str, value: str) -> str:
    """A user or an address goes on the ssh command line: nothing there may read as an option or
    split into two words."""
    if not value or value.startswith("-") or any(c.isspace() or c in "@'\"" for c in value):
        raise ConfigError(f"{name}: {value!r} is not a plain user or host name")
    return value


def _ssh_hosts(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`NODE=ADDRESS` pairs separated by commas, e.g. "pve1=10.0.0.11,pve2=pve2.mgmt.example"."""
    name = f"{_SSH}HOSTS"
    hosts: dict[str, str] = {}
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        node, equals, address = (part.strip() for part in item.partition("="))
        if not equals or not node or not address:
            raise ConfigError(
                f"{name} takes NODE=ADDRESS pairs such as pve1=10.0.0.11, got {item.strip()!r}"
            )
        if node in hosts:
            raise ConfigError(f"{name}: node {node!r} is named twice")
        hosts[node] = _ssh_word(name, address)
    return tuple(sorted(hosts.items()))


def _existing_file(env: Mapping[str, str], key: str) -> str | None:
    path = env.get(f"{_SSH}{key}") or None
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"{_SSH}{key}: no such file {path}")
    return path


def read_node_ssh(env: Mapping[str, str], proxmox: RemoteApi | None) -> NodeSsh | None:
    """SSH to the nodes is on when a user or a key is given; without either, LXC password
    operations fail with the adapter's own explanation."""
    user = env.get(f"{_SSH}USER") or None
    identity = env.get(f"{_SSH}IDENTITY_FILE") or None
    if user is None and identity is None:
        stray = sorted(key for key, value in env.items() if key.startswith(_SSH) and value)
        if stray:
            raise ConfigError(
                f"{stray[0]} is set, but neither {_SSH}USER nor {_SSH}IDENTITY_FILE: "
                "name the user (or the key) that logs in to the Proxmox nodes"
            )
        return None
    if proxmox is None:
        raise ConfigError(f"{_SSH}USER and {_SSH}IDENTITY_FILE need {PREFIX}PROXMOX_URL set")
    port = read_int(env, f"{_SSH}PORT", 22, minimum=1)
    if port > 65535:
        raise ConfigError(f"{_SSH}PORT must be a TCP port, at most 65535")
    program = env.get(f"{_SSH}PROGRAM") or "ssh"
    if shutil.which(program) is None:
        raise ConfigError(f"{_SSH}PROGRAM: {program!r} is not an executable (nor on PATH)")
    return NodeSsh(
        user=_ssh_word(f"{_SSH}USER", user or "root"),
        port=port,
        identity_file=_existing_file(env, "IDENTITY_FILE"),
        known_hosts_file=_existing_file(env, "KNOWN_HOSTS"),
        hosts=_ssh_hosts(env),
        program=program,
    )
