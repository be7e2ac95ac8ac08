"""From a Proxmox error reply (status, message, per-parameter errors) to a domain error.

PVE reports handler failures as HTTP 500 with the first line of the error as the message, so the
class of failure is read from the text (the phrases are the ones pve-container, qemu-server and
pve-common die with).
"""

from __future__ import annotations

import re

from domain.model.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    ExternalFailure,
    Locked,
    NotFound,
    Unavailable,
    ValidationError,
)

# "CT is locked (backup)", "VM is locked (clone)", and the flock wait running out.
LOCK_PATTERN = re.compile(r"is locked \(|can't lock file '[^']*' - got timeout")
_MISSING_GUEST = re.compile(r"Configuration file '[^']*/(\d+)\.conf' does not exist")
_UNKNOWN_NODE = re.compile(r"hostname lookup '([^']*)' failed")
_STATE = re.compile(r"already running|not running|is running")
_TRANSIENT_STATUS = frozenset({502, 503, 504, 595, 596, 597, 598, 599})


def is_lock_error(message: str) -> bool:
    return LOCK_PATTERN.search(message) is not None


def classify(
    status: int, message: str, errors: dict[str, str] | None, *, where: str
) -> DomainError:
    """The domain error for one failed call; `where` ("POST /nodes/pve1/lxc") goes in details."""
    text = f"{where}: {message}" if message else where
    if status == 400:
        return _parameter_error(errors or {}, text)
    if status == 401:
        return ExternalFailure(f"proxmox refused the API token ({text})", status=status)
    if status == 403:
        return ExternalFailure(f"proxmox denied the permission ({text})", status=status)
    if status in _TRANSIENT_STATUS or status >= 600:
        return Unavailable(f"proxmox is unreachable ({text})", status=status)
    if missing := _MISSING_GUEST.search(message):
        return NotFound("guest", missing.group(1))
    if unknown := _UNKNOWN_NODE.search(message):
        return NotFound("node", unknown.group(1))
    if "already exists" in message:
        return AlreadyExists(text, status=status)
    if is_lock_error(message):
        return Locked(text, status=status)
    if "unable to shrink disk size" in message:
        return ValidationError("disk", "cannot shrink", status=status)
    if _STATE.search(message):
        return Conflict(text, status=status)
    return ExternalFailure(text, status=status)


def _parameter_error(errors: dict[str, str], text: str) -> DomainError:
    if not errors:
        return ValidationError("request", text)
    field, problem = sorted(errors.items())[0]
    if "already exists" in problem:  # nextid?vmid=N for a taken N
        return AlreadyExists(f"{field} {problem}", field=field)
    if field == "upid" and "no such task" in problem:
        return NotFound("task", problem)
    return ValidationError(field, problem, errors=dict(errors))
