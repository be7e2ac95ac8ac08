"""The operator on a real database, through the `hostprovider` command: a database starts with no
catalogue (the API says so with 503s) until `catalog import` publishes one; `admin ...` makes
admins, credits customers, resets passwords and lifts a suspension. Failures are one line."""

from __future__ import annotations

import io
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from falcon import testing

from domain.model.accounts import Role
from domain.model.commands import Credentials, NewAccount
from domain.model.two_factor import OneTimeCode
from domain.usecases import accounts, admin, two_factor
from domain.usecases.actors import Actor
from domain.usecases.catalogue import published_version
from domain.usecases.money import get_balance
from entrypoints import cli
from entrypoints.config import load_settings
from entrypoints.container import Container, build
from entrypoints.http.app import create_app
from ports.audit import AuditQuery
from ports.paging import Page

from .postgres import PgDatabase

EXAMPLE = Path(__file__).parents[2] / "deploy" / "catalogue.example.toml"
PASSWORD = "correct horse battery"


@pytest.fixture
def operator_env(pg: PgDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator's shell: the database in the environment, a working folder without .env."""
    for name, value in {
        "DATABASE_URL": pg.url,
        "SECRET_KEY": "q" * 32,
        "DB_POOL_SIZE": "2",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
        "ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(f"HOSTPROVIDER_{name}", value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def container(operator_env: Path) -> Iterator[Container]:
    """What an API worker builds on the same database."""
    built = build(load_settings())
    yield built
    built.pool().close()


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        status = cli.main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return status, out, err


def test_a_database_sells_nothing_until_the_operator_imports_a_catalogue(
    container: Container, capsys: pytest.CaptureFixture[str], operator_env: Path
) -> None:
    rt = container.runtime()
    client = testing.TestClient(create_app(rt))
    assert published_version(rt) is None

    for path in ("/api/os", "/api/locations", "/api/tariffs", "/api/parameters"):
        refused = client.simulate_get(path)
        assert refused.status_code == 503, path
        assert refused.json["code"] == "no_catalogue"
        assert "hostprovider catalog import" in refused.json["error"]
    quote = client.simulate_post("/api/quote", json={"osId": 1, "tariffId": 1})
    assert (quote.status_code, quote.json["code"]) == (503, "no_catalogue")
    assert client.simulate_get("/readyz").status_code == 200  # the store answers
    paths = client.simulate_get("/api/openapi.json").json["paths"]
    for path, method in (
        ("/api/os", "get"),
        ("/api/quote", "post"),
        ("/api/server/create", "post"),
    ):
        assert "503" in paths[path][method]["responses"], path

    bad = operator_env / "bad.toml"
    bad.write_text(
        EXAMPLE.read_text("utf-8")
        .replace('per_core = "0.45"', "per_core = 0.45")
        .replace('template = "9100"', 'template = "9999"')
    )
    status, out, err = run(capsys, "catalog", "import", str(bad))
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        f"{bad}: [[locations]] #2 (ru-spb-1) rates.per_core: must be a decimal string such as"
        ' "100.00" (money is never a float)',
        f"{bad}: [[images]] id 5 (Windows Server 2022): template 9999 is missing on pve-msk-1,"
        " pve-msk-2 (ru-msk-1)",
        f"{bad}: [[images]] id 5 (Windows Server 2022): template 9999 is missing on pve-ams-1,"
        " pve-ams-2 (nl-ams-1)",
        f"{bad}: refused, 3 problem(s); nothing was published",
    ]
    assert published_version(rt) is None

    status, out, err = run(capsys, "catalog", "import", str(EXAMPLE))
    assert (status, err) == (0, "")
    assert out == "published catalogue version 1 (3 locations, 5 images, 3 tariffs)\n"
    with rt.uow() as uow:
        [published] = uow.audit.search(AuditQuery(target="catalogue:*"), Page())[0]
    assert (published.action, published.target, published.actor_id) == (
        "catalogue.publish",
        "catalogue:1",
        0,  # the operator's CLI
    )

    assert len(client.simulate_get("/api/os").json) == 5
    quote = client.simulate_post("/api/quote", json={"osId": 1, "tariffId": 1})
    assert quote.status_code == 200 and quote.json["catalogueVersion"] == 1
    status, out, _ = run(capsys, "catalog", "export")
    assert status == 0
    assert tomllib.loads(out) == {"version": 1, **tomllib.loads(EXAMPLE.read_text("utf-8"))}


def test_admin_commands(
    container: Container, capsys: pytest.CaptureFixture[str], operator_env: Path
) -> None:
    rt = container.runtime()
    ann = accounts.register(rt, NewAccount("ann@example.com", PASSWORD))

    status, out, _ = run(capsys, "admin", "create", "--email", "boss@example.com", stdin=PASSWORD)
    assert status == 0 and out.startswith("admin boss@example.com created (account ")
    assert accounts.login(rt, Credentials("boss@example.com", PASSWORD))

    status, out, _ = run(capsys, "admin", "list")
    assert [line.split("\t")[1:] for line in out.splitlines()] == [["boss@example.com", "active"]]

    credit = ("admin", "credit", "--email", "ann@example.com", "--amount", "250.00")
    status, out, _ = run(capsys, *credit, "--reason", "welcome", "--key", "welcome-ann")
    assert status == 0 and out.endswith("balance 250.00\n")
    run(capsys, *credit, "--reason", "welcome", "--key", "welcome-ann")  # a retry posts once
    balance = get_balance(rt, Actor(ann.id, Role.CUSTOMER)).balance
    assert balance.format() == "250.00"

    status, out, _ = run(capsys, "admin", "reset-password", "--email", "ann@example.com")
    new_password = out.rsplit(": ", 1)[1].strip()
    assert status == 0 and new_password != PASSWORD
    assert accounts.login(rt, Credentials("ann@example.com", new_password))

    boss = accounts.login(rt, Credentials("boss@example.com", PASSWORD))
    admin.set_account_disabled(rt, Actor(ann.id, Role.ADMIN), boss.token.account_id, disabled=True)
    status, out, _ = run(capsys, "admin", "unsuspend", "--email", "boss@example.com")
    assert (status, out) == (0, "boss@example.com may log in again; 0 server(s) starting\n")
    assert accounts.login(rt, Credentials("boss@example.com", PASSWORD))
    with rt.uow() as uow:
        console = [e for e in uow.audit.recent(20) if e.actor_id == 0]
    assert {e.action for e in console} == {
        "account.enable",
        "account.reset_password",
        "balance.adjust",
    }


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (
            ("admin", "create", "--email", "ann@example.com", "--password", PASSWORD),
            "",
            "error (already_exists): an account with this e-mail already exists",
        ),
        (
            ("admin", "create", "--email", "new@example.com"),
            "short",
            "error (invalid): password must be at least",
        ),
        (
            ("admin", "credit", "--email", "who@example.com", "--amount", "1", "--reason", "x1"),
            "",
            "error (not_found): account who@example.com not found",
        ),
        (
            (
                "admin",
                "credit",
                "--email",
                "ann@example.com",
                "--amount",
                "1.5e3",
                "--reason",
                "abc",
            ),
            "",
            'error (invalid): amount must be a decimal string such as "100.00"',
        ),
        (
            ("admin", "reset-password", "--email", "not-an-email"),
            "",
            "error (invalid): email",
        ),
        (("catalog", "import", "missing.toml"), "", "configuration error: cannot read missing"),
    ],
)
def test_failures_are_one_line(
    container: Container,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    accounts.register(container.runtime(), NewAccount("ann@example.com", PASSWORD))

    status, out, err = run(capsys, *argv, stdin=stdin)

    assert status in (1, 2) and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(message), err


def test_without_a_database_the_commands_say_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOSTPROVIDER_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    for argv in (("admin", "list"), ("catalog", "import", str(EXAMPLE))):
        status, _, err = run(capsys, *argv)
        assert status == 2
        assert err.startswith("configuration error: HOSTPROVIDER_DATABASE_URL is not set")


def test_the_operator_removes_a_lost_second_factor(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = container.runtime()
    account = accounts.register(rt, NewAccount("lost@example.com", PASSWORD))
    actor = Actor(account.id, Role.CUSTOMER)
    secret = two_factor.set_up(rt, actor, two_factor.SetUpTwoFactor()).secret
    code = OneTimeCode(pyotp.TOTP(secret).at(rt.clock.now()))
    two_factor.enable(rt, actor, two_factor.EnableTwoFactor(code))

    status, out, _ = run(capsys, "admin", "remove-2fa", "--email", "lost@example.com")
    again, out_again, _ = run(capsys, "admin", "remove-2fa", "--email", "lost@example.com")

    assert (status, out.strip()) == (
        0,
        "two-factor login of lost@example.com turned off; the password alone logs in",
    )
    assert (again, "was not on" in out_again) == (0, True)
    accounts.login(rt, Credentials("lost@example.com", PASSWORD))  # no code asked
