"""HOSTPROVIDER_SMTP_*: the relay, mail off on purpose, and what the container wires for each."""

from __future__ import annotations

import pytest

from adapters.smtp import LogMailer, SmtpMailer, SmtpSettings, TlsMode
from entrypoints.cli import main
from entrypoints.config import ConfigError, Settings, load_settings
from entrypoints.container import build
from entrypoints.mail import require_mail_decision

DATABASE = {
    "HOSTPROVIDER_DATABASE_URL": "postgresql://app@db.example/hostprovider",
    "HOSTPROVIDER_SECRET_KEY": "k" * 32,
}
RELAY = {
    "HOSTPROVIDER_SMTP_HOST": "smtp.example.net",
    "HOSTPROVIDER_SMTP_FROM": "Oxnack <noreply@oxnack.example>",
}


def smtp(**env: str) -> SmtpSettings | None:
    return load_settings(env, dotenv=None).smtp


def test_the_sandbox_has_mail_off_by_default() -> None:
    assert smtp() is None


def test_a_database_without_smtp_settings_refuses_to_start() -> None:
    settings = load_settings(DATABASE, dotenv=None)
    with pytest.raises(ConfigError, match="HOSTPROVIDER_SMTP_HOST must be set with a database"):
        require_mail_decision(settings)
    # serve and the scheduler make that decision before anything starts
    for command in ("serve", "scheduler"):
        with pytest.MonkeyPatch.context() as patch:
            for key, value in DATABASE.items():
                patch.setenv(key, value)
            patch.setenv("HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE", "1")  # only mail is missing
            patch.delenv("HOSTPROVIDER_SMTP_HOST", raising=False)
            assert main([command]) == 2


def test_one_off_commands_need_no_mail_decision() -> None:
    """migrate and the admin tools send nothing themselves: they start without SMTP settings."""
    require_mail_decision(
        load_settings({**DATABASE, "HOSTPROVIDER_SMTP_HOST": "none"}, dotenv=None)
    )
    assert load_settings(DATABASE, dotenv=None).smtp is None


def test_none_turns_mail_off_on_purpose() -> None:
    assert smtp(**DATABASE, HOSTPROVIDER_SMTP_HOST="none") is None


def test_a_relay_is_read_with_starttls_on_587_by_default() -> None:
    settings = smtp(
        **DATABASE, **RELAY, HOSTPROVIDER_SMTP_USER="mailer", HOSTPROVIDER_SMTP_PASSWORD="s3cret"
    )
    assert settings == SmtpSettings(
        "smtp.example.net",
        587,
        "Oxnack <noreply@oxnack.example>",
        TlsMode.STARTTLS,
        "mailer",
        "s3cret",
    )
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(("tls", "port"), [("none", 25), ("starttls", 587), ("tls", 465)])
def test_each_tls_mode_has_its_port(tls: str, port: int) -> None:
    settings = smtp(**RELAY, HOSTPROVIDER_SMTP_TLS=tls)
    assert settings is not None and (settings.tls.value, settings.port) == (tls, port)
    chosen = smtp(**RELAY, HOSTPROVIDER_SMTP_TLS=tls, HOSTPROVIDER_SMTP_PORT="2525")
    assert chosen is not None and chosen.port == 2525


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"HOSTPROVIDER_SMTP_TLS": "ssl"}, "HOSTPROVIDER_SMTP_TLS must be one of none, starttls"),
        ({"HOSTPROVIDER_SMTP_PORT": "70000"}, "HOSTPROVIDER_SMTP_PORT"),
        ({"HOSTPROVIDER_SMTP_PORT": "smtp"}, "HOSTPROVIDER_SMTP_PORT"),
        ({"HOSTPROVIDER_SMTP_FROM": ""}, "HOSTPROVIDER_SMTP_FROM"),
        ({"HOSTPROVIDER_SMTP_FROM": "noreply"}, "HOSTPROVIDER_SMTP_FROM"),
        ({"HOSTPROVIDER_SMTP_USER": "mailer"}, "go together"),
        ({"HOSTPROVIDER_SMTP_PASSWORD": "s3cret"}, "go together"),
        (
            {
                "HOSTPROVIDER_SMTP_TLS": "none",
                "HOSTPROVIDER_SMTP_USER": "mailer",
                "HOSTPROVIDER_SMTP_PASSWORD": "s3cret",
            },
            "in clear",
        ),
        ({"HOSTPROVIDER_SMTP_CA_FILE": "/no/such/ca.pem"}, "HOSTPROVIDER_SMTP_CA_FILE"),
        ({"HOSTPROVIDER_SMTP_HOST": ""}, "HOSTPROVIDER_SMTP_FROM is set, but"),
        ({"HOSTPROVIDER_SMTP_HOST": "none"}, "HOSTPROVIDER_SMTP_FROM is set, but"),
    ],
)
def test_a_bad_relay_setting_is_named(change: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        smtp(**{**RELAY, **change})


def test_the_refusal_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key, value in DATABASE.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HOSTPROVIDER_SMTP_HOST", raising=False)
    monkeypatch.setenv("HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE", "1")  # only mail is missing

    assert main(["scheduler"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("configuration error: HOSTPROVIDER_SMTP_HOST must be set")


def test_the_container_wires_the_relay_or_the_log_never_a_fake() -> None:
    plain = Settings(secret_key=b"k" * 32, sandbox_task_seconds=0)
    assert type(build(plain).mailer()) is LogMailer
    relay = SmtpSettings("smtp.example.net", 587, "noreply@oxnack.example")
    assert type(build(Settings(secret_key=b"k" * 32, smtp=relay)).mailer()) is SmtpMailer
