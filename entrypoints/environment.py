"""Reading HOSTPROVIDER_* variables: the prefix, the one error a bad setting raises, whole
numbers and the optional .env file. Every module that reads settings (config.py, mail.py,
remote_settings.py) reads them with these."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

PREFIX = "HOSTPROVIDER_"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable to fix."""


def read_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped. Only HOSTPROVIDER_* keys are taken."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.startswith(PREFIX):
            values[key] = value.strip().strip('"').strip("'")
    return values
