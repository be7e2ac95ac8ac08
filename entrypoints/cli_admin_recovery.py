"""`hostprovider admin unsuspend --email ADDRESS`: the operator's way back in.

An admin can no longer suspend their own account over the API, but an account may still be locked
out (suspended before that rule, or by another admin). Whoever runs the product's processes can lift
the suspension from the machine itself, without logging in: the shell on the provider's own host is
the authority here, as it is for `migrate`.
"""

from __future__ import annotations

import argparse
import json

from domain.usecases.admin import reinstate_by_email
from entrypoints.config import load_settings


def _unsuspend(args: argparse.Namespace) -> int:
    from entrypoints.container import build

    done = reinstate_by_email(build(load_settings()).runtime(), args.email)
    account = done.account
    shown = {"id": account.id, "email": account.email, "role": account.role.value}
    shown |= {"disabled": account.disabled, "taskIds": [a.id for a in done.actions]}
    print(json.dumps(shown))
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `admin unsuspend` under the `admin` command, made here unless another module made it."""
    admin = commands.choices.get("admin") or commands.add_parser(
        "admin", help="operator commands on accounts"
    )
    subcommands = next(
        (a for a in admin._actions if isinstance(a, argparse._SubParsersAction)), None
    ) or admin.add_subparsers(dest="admin_command", required=True)
    unsuspend = subcommands.add_parser(
        "unsuspend", help="lift the suspension of an account (an admin's too), by e-mail"
    )
    unsuspend.add_argument("--email", required=True)
    unsuspend.set_defaults(run=_unsuspend)
