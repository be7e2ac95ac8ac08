"""Structured logs for every process: one JSON object a line on stdout.

Each line has `ts`, `level`, `logger`, `process` (serve, scheduler, migrate...) and `message`. A
message that is itself a JSON object (the access log's) is merged into the line instead of quoted,
and `extra={...}` fields ride along as keys, so a log shipper needs no parsing rules of ours.
Tracebacks go in an `exc` field, never over several lines."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import sys
from typing import Any, TextIO

import orjson

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class RedactSecrets(logging.Filter):
    """procrastinate logs each job with its arguments, in the message and in `extra` fields (the
    job's kwargs, its call string); a job may carry a password, sealed or not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict) and not record.args:  # the access log's fields
            fields = record.msg
            # The access log's keys and plain values need no look; only then is the dict rebuilt.
            if _any_secret_key(tuple(fields)) or any(map(_may_hide_secret, fields.values())):
                record.msg = {key: self._redact(str(key), value) for key, value in fields.items()}
            return True
        message = record.getMessage()
        redacted = _redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        for key, value in vars(record).items():
            if key not in _STANDARD:
                setattr(record, key, self._redact(key, value))
        return True

    def _redact(self, key: str, value: Any) -> Any:
        if _secret_key(key):
            return "***"
        if type(value) is str:  # the common case first
            return _redact_text(value)
        if isinstance(value, dict):
            return {k: self._redact(str(k), v) for k, v in value.items()}
        if isinstance(value, str):
            return _redact_text(value)
        return value


_SECRET = re.compile(r"((?:password|secret)\w*=)('[^']*'|\"[^\"]*\")")
_SECRET_KEY = re.compile(r"password|secret|token", re.IGNORECASE)


def _redact_text(text: str) -> str:
    # The pattern needs one of these words: most lines (every access line) have neither, and
    # are let through without running it.
    if "password" not in text and "secret" not in text:
        return text
    return _SECRET.sub(r"\1'***'", text)


@functools.lru_cache(maxsize=1024)  # the same few field names, line after line
def _secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


@functools.lru_cache(maxsize=64)  # the access log's one set of keys, and a few others
def _any_secret_key(keys: tuple[Any, ...]) -> bool:
    return any(_secret_key(str(key)) for key in keys)


def _may_hide_secret(value: Any) -> bool:
    """Whether `_redact` could change the value: a text naming a password or a secret, or a
    container (whose keys and values it would look into)."""
    if value is None or type(value) in (int, float, bool):
        return False
    if type(value) is str:
        return "password" in value or "secret" in value
    return True


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str = "hostprovider") -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self.process,
        }
        if isinstance(record.msg, dict) and not record.args:
            # Fields logged as a dict (the access log's) are merged as they are: not written as
            # JSON by the caller to be parsed again here.
            line.update(record.msg)
        else:
            message = record.getMessage()
            fields = _json_object(message)
            if fields is None:
                line["message"] = message
            else:
                line.update(fields)
        attributes = vars(record)
        if attributes.keys() - _STANDARD:  # `extra=` fields; most lines have none
            for key, value in attributes.items():
                if key not in _STANDARD and not key.startswith("_"):
                    line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(line, default=str, option=_AS_JSON_DUMPS).decode()
        except TypeError:  # what orjson does not take (an integer past 64 bits): as before
            return json.dumps(line, ensure_ascii=False, default=str)


# orjson leaves dates, dataclasses and subclasses of str/int/dict to `default=str`, as json.dumps
# did, so each value is written the same way (only the spaces between them go).
_AS_JSON_DUMPS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_NON_STR_KEYS
)


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
    # What a record would otherwise gather on every call and no line of ours writes: the caller's
    # file and line (a walk up the stack), and the thread's and process's names and ids. The
    # logging HOWTO's "Optimization" section names these switches.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
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
