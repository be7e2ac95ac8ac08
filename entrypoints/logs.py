"""Structured logs for every process: one JSON object a line on stdout.

Each line has `ts`, `level`, `logger`, `process` (serve, scheduler, migrate...) and `message`. A
message that is itself a JSON object (the access log's) is merged into the line instead of quoted,
and `extra={...}` fields ride along as keys, so a log shipper needs no parsing rules of ours.
Tracebacks go in an `exc` field, never over several lines."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Any, TextIO

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class RedactSecrets(logging.Filter):
    """procrastinate logs each job with its arguments, in the message and in `extra` fields (the
    job's kwargs, its call string); a job may carry a password, sealed or not."""

    _SECRET = re.compile(r"((?:password|secret)\w*=)('[^']*'|\"[^\"]*\")")
    _SECRET_KEY = re.compile(r"password|secret|token", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._SECRET.sub(r"\1'***'", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        for key, value in vars(record).items():
            if key not in _STANDARD:
                setattr(record, key, self._redact(key, value))
        return True

    def _redact(self, key: str, value: Any) -> Any:
        if self._SECRET_KEY.search(key):
            return "***"
        if isinstance(value, dict):
            return {k: self._redact(str(k), v) for k, v in value.items()}
        if isinstance(value, str):
            return self._SECRET.sub(r"\1'***'", value)
        return value


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str = "hostprovider") -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self.process,
        }
        fields = _json_object(message)
        if fields is None:
            line["message"] = message
        else:
            line.update(fields)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _json_object(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def configure(process: str, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every logger of this process to `stream` (stdout) as JSON lines, replacing earlier
    handlers. A command whose answer is on stdout (`catalog | jq`) logs to stderr instead."""
    handler = logging.StreamHandler(sys.stdout if stream is None else stream)
    handler.setFormatter(JsonFormatter(process))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(process: str = "serve") -> dict[str, Any]:
    """gunicorn's own loggers (its master and workers' start, stop, errors) in the same JSON.
    gunicorn's access log stays off: ours has the request id and the actor."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "process": process}},
        "filters": {"redact": {"()": RedactSecrets}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["redact"],
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"level": "INFO", "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
