"""The JSON log lines every process writes, and ticks that stay quiet when they did nothing."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from domain.usecases.notices import DeliveryReport
from entrypoints.logs import JsonFormatter, RedactSecrets
from entrypoints.scheduler.ticks import TICKS, Tick


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the `hostprovider` loggers write, through the formatter every process uses."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("test"))
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("hostprovider")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def _parsed(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_fields_a_shipper_needs(lines: io.StringIO) -> None:
    logging.getLogger("hostprovider.x").warning("disk %s is %d%% full", "sda", 91)

    [line] = _parsed(lines)
    assert line["level"] == "warning" and line["logger"] == "hostprovider.x"
    assert line["process"] == "test" and line["message"] == "disk sda is 91% full"
    assert line["ts"].endswith("+00:00")


def test_a_json_message_is_merged_not_quoted(lines: io.StringIO) -> None:
    logging.getLogger("hostprovider.access").info(json.dumps({"path": "/x", "status": 200}))

    [line] = _parsed(lines)
    assert line["path"] == "/x" and line["status"] == 200 and "message" not in line


def test_a_traceback_stays_on_one_line(lines: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("hostprovider.x").exception("it broke")

    assert len(lines.getvalue().splitlines()) == 1
    [line] = _parsed(lines)
    assert "RuntimeError: boom" in line["exc"]


def test_passwords_in_job_arguments_are_redacted(lines: io.StringIO) -> None:
    logging.getLogger("hostprovider.jobs").info("job args: root_password='hunter2'")

    assert "hunter2" not in lines.getvalue()


def _tick(report: object) -> Tick:
    return Tick("notices", 10, lambda runtime: report)


def test_a_tick_that_did_something_says_what_at_info(lines: io.StringIO) -> None:
    _tick(DeliveryReport(sent=2, failed=1))(None)  # type: ignore[arg-type]

    [line] = _parsed(lines)
    assert line["level"] == "info"
    assert (line["tick"], line["sent"], line["failed"]) == ("notices", 2, 1)
    assert "DeliveryReport(" not in lines.getvalue()


def test_a_tick_that_did_nothing_is_debug_only(lines: io.StringIO) -> None:
    _tick(DeliveryReport(sent=0, failed=0))(None)  # type: ignore[arg-type]

    [line] = _parsed(lines)
    assert line["level"] == "debug"


def test_a_monitoring_pass_that_only_sampled_is_quiet() -> None:
    from domain.usecases.monitoring import MonitoringReport

    monitoring = next(tick for tick in TICKS if tick.name == "monitoring")
    assert monitoring.quiet(MonitoringReport(sampled=12, raised=0, cleared=0))
    assert not monitoring.quiet(MonitoringReport(sampled=12, raised=1, cleared=0))


def test_passwords_in_a_jobs_extra_fields_are_redacted(lines: io.StringIO) -> None:
    job = {
        "task_kwargs": {"server_id": 7, "sealed_root_password": "gAAAAsealed"},
        "call_string": "provision_server[1](server_id=7, sealed_root_password='gAAAAsealed')",
    }
    logging.getLogger("hostprovider.jobs").info("Starting job", extra={"job": job})

    [line] = _parsed(lines)
    assert "gAAAAsealed" not in lines.getvalue()
    assert line["job"]["task_kwargs"] == {"server_id": 7, "sealed_root_password": "***"}


def test_fields_logged_as_a_dict_are_merged_and_redacted(lines: io.StringIO) -> None:
    """The access log hands its fields over as a dict, written once by the formatter."""
    logging.getLogger("hostprovider.access").info(
        {"path": "/x/password='hunter2'", "status": 200, "actor": None, "ms": 1.5}
    )

    [line] = _parsed(lines)
    assert (line["status"], line["actor"], line["ms"]) == (200, None, 1.5)
    assert "message" not in line and "hunter2" not in line["path"]


def test_a_dict_is_redacted_by_its_keys_and_inside_its_containers(lines: io.StringIO) -> None:
    """A plain access line passes untouched; a secret key, or one inside a nested value, does
    not pass whatever its neighbours are."""
    log = logging.getLogger("hostprovider.access")
    log.info({"path": "/api/os", "status": 200, "remote": "127.0.0.1"})
    log.info({"path": "/api/os", "status": 200, "api_token": "t0ps3cret"})
    log.info({"path": "/api/os", "status": 200, "details": {"password": "hunter2"}})

    plain, keyed, nested = _parsed(lines)
    assert plain == {**plain, "path": "/api/os", "status": 200, "remote": "127.0.0.1"}
    assert keyed["api_token"] == "***" and keyed["path"] == "/api/os"
    assert nested["details"] == {"password": "***"}
    assert "t0ps3cret" not in lines.getvalue() and "hunter2" not in lines.getvalue()


def test_a_value_orjson_refuses_is_written_as_before(lines: io.StringIO) -> None:
    logging.getLogger("hostprovider.x").info("big", extra={"count": 2**70})

    [line] = _parsed(lines)
    assert line["count"] == 2**70 and line["message"] == "big"
