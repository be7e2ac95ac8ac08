"""With a database, every process of a deployment must share one hypervisor and one firewall."""

from __future__ import annotations

import os

import pytest

from entrypoints.cli import main
from entrypoints.config import ConfigError, load_settings
from entrypoints.preflight import check_shared_infrastructure

DATABASE = {
    "HOSTPROVIDER_DATABASE_URL": "postgresql://app@db.example/hostprovider",
    "HOSTPROVIDER_SECRET_KEY": "k" * 32,
    "HOSTPROVIDER_SMTP_HOST": "none",
}


def test_a_database_without_proxmox_and_pfsense_is_refused_naming_both() -> None:
    with pytest.raises(ConfigError) as refused:
        check_shared_infrastructure(load_settings(DATABASE, dotenv=None))
    message = str(refused.value)
    assert "HOSTPROVIDER_PROXMOX_URL and HOSTPROVIDER_PFSENSE_URL" in message
    assert "hostprovider simulate" in message


def test_the_sandbox_and_an_explicit_choice_need_neither() -> None:
    check_shared_infrastructure(load_settings({}, dotenv=None))
    on_purpose = {**DATABASE, "HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE": "1"}
    check_shared_infrastructure(load_settings(on_purpose, dotenv=None))


@pytest.mark.parametrize("command", [["serve"], ["scheduler"], ["realtime"]])
def test_the_services_stop_with_one_line_before_starting(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [k for k in os.environ if k.startswith("HOSTPROVIDER_")]:
        monkeypatch.delenv(key)
    for key, value in DATABASE.items():
        monkeypatch.setenv(key, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must share one hypervisor and one firewall" in err
