"""`hostprovider admin`: the operator's accounts work from the machine's shell, on the database.

    admin create --email E [--password P]    (without --password: read from stdin, or asked)
    admin credit --email E --amount A --reason R [--key K]
    admin reset-password --email E           (prints the new password once; logins end)
    admin unsuspend --email E                (the way back in for a suspended account)
    admin remove-2fa --email E               (the way back in without the authenticator app)
    admin list

The operator acts as actor 0 in the audit log (see domain/usecases/operator.py). Every failure is
one line on stderr: a domain error exits 1, a configuration problem 2."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
import uuid
from collections.abc import Iterator
from typing import Any

from domain.model.accounts import Role
from domain.model.commands import BalanceAdjustment, NewAccount
from domain.model.credentials import EmailAddress
from domain.usecases import admin, operator, two_factor
from domain.usecases.accounts import register
from domain.usecases.actors import Actor
from domain.usecases.money import adjust_balance, get_balance
from entrypoints.config import ConfigError, load_settings


@contextlib.contextmanager
def database_runtime() -> Iterator[Any]:
    """The runtime on the configured database, which must be reachable and migrated (accounts in
    the sandbox's memory would vanish with the command); its pool is closed afterwards."""
    from entrypoints.container import build
    from entrypoints.database import check_database

    settings = load_settings()
    if settings.database_url is None:
        raise ConfigError(
            "HOSTPROVIDER_DATABASE_URL is not set: name the database (the sandbox keeps its "
            "accounts and catalogue in the memory of `make run`)"
        )
    check_database(settings)
    container = build(settings)
    try:
        yield container.runtime()
    finally:
        container.pool().close()


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass("password for the new admin: ")
    return sys.stdin.readline().rstrip("\r\n")


def _create(args: argparse.Namespace) -> int:
    password = _password(args.password)
    with database_runtime() as rt:
        account = register(rt, NewAccount(args.email, password, role=Role.ADMIN))
    print(f"admin {account.email} created (account {account.id})")
    return 0


def _credit(args: argparse.Namespace) -> int:
    with database_runtime() as rt:
        account = operator.account_by_email(rt, EmailAddress(args.email))
        amount: str = args.amount
        credit = BalanceAdjustment(
            customer_id=account.id,
            amount=amount.removeprefix("-"),
            reason=args.reason,
            # A retried command with the same --key posts once; without one every run posts.
            request_key=args.key or f"cli-{uuid.uuid4()}",
            debit=amount.startswith("-"),  # a negative credit takes money off, as it always did
        )
        tx = adjust_balance(rt, operator.CONSOLE, credit)
        balance = get_balance(rt, Actor(account.id, account.role)).balance
    print(f"credited {account.email}: transaction {tx.key}, balance {balance.format()}")
    return 0


def _reset_password(args: argparse.Namespace) -> int:
    with database_runtime() as rt:
        password = operator.reset_account_password(rt, operator.CONSOLE, EmailAddress(args.email))
    print(f"new password for {args.email.strip()}: {password}")
    return 0


def _unsuspend(args: argparse.Namespace) -> int:
    with database_runtime() as rt:
        account = operator.account_by_email(rt, EmailAddress(args.email))
        lifted = admin.reinstate_account(rt, operator.CONSOLE, account.id)
    restarted = len(lifted.actions)
    print(f"{lifted.account.email} may log in again; {restarted} server(s) starting")
    return 0


def _remove_two_factor(args: argparse.Namespace) -> int:
    with database_runtime() as rt:
        account = operator.account_by_email(rt, EmailAddress(args.email))
        command = two_factor.RemoveSecondFactor(account.id)
        was_on = two_factor.remove(rt, operator.CONSOLE, command)
    state = "turned off" if was_on else "was not on"
    print(f"two-factor login of {account.email} {state}; the password alone logs in")
    return 0


def _list(args: argparse.Namespace) -> int:
    with database_runtime() as rt:
        admins = operator.list_admins(rt, operator.CONSOLE)
    for account in admins:
        state = "suspended" if account.disabled else "active"
        print(f"{account.id}\t{account.email}\t{state}")
    if not admins:
        print("no admin accounts: make one with `hostprovider admin create`", file=sys.stderr)
    return 0


def register_commands(commands: Any) -> None:
    group = commands.add_parser("admin", help="admin accounts and balance corrections")
    actions = group.add_subparsers(dest="admin_command", required=True)
    create = actions.add_parser("create", help="make an admin account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="default: a line read from stdin (asked on a terminal)")
    create.set_defaults(run=_create)
    credit = actions.add_parser("credit", help="credit (or, negative, debit) a customer")
    credit.add_argument("--email", required=True)
    credit.add_argument("--amount", required=True, help='a decimal such as "100.00"')
    credit.add_argument("--reason", required=True)
    credit.add_argument("--key", help="makes a retried credit post once")
    credit.set_defaults(run=_credit)
    reset = actions.add_parser("reset-password", help="give an account a new random password")
    reset.add_argument("--email", required=True)
    reset.set_defaults(run=_reset_password)
    unsuspend = actions.add_parser("unsuspend", help="let a suspended account log in again")
    unsuspend.add_argument("--email", required=True)
    unsuspend.set_defaults(run=_unsuspend)
    remove_2fa = actions.add_parser("remove-2fa", help="turn an account's two-factor login off")
    remove_2fa.add_argument("--email", required=True)
    remove_2fa.set_defaults(run=_remove_two_factor)
    actions.add_parser("list", help="the admin accounts").set_defaults(run=_list)
