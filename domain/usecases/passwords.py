"""Changing a password, and resetting a forgotten one by a link sent by e-mail.

Either way every other session and token of the account ends: whoever knew the old password, or
held a token made with it, is out. A reset link is a token of its own kind (TokenKind.RESET): only
its SHA-256 is stored, it lasts `password_reset_ttl` (30 minutes), a newer link replaces it, and
the confirmation removes it in the unit of work that sets the password (single use). Asking for a
link answers the same whether the address has an account or not.
"""

from __future__ import annotations

import datetime as dt

from domain.model import throttle as keys
from domain.model.accounts import (
    TOKEN_PREFIX,
    Account,
    TokenKind,
    check_password_policy,
    token_digest,
)
from domain.model.commands import PasswordChange, ResetConfirmation, ResetRequest
from domain.model.credentials import email_key
from domain.model.errors import LinkNotFound, RuleViolation
from domain.usecases import throttle
from domain.usecases.accounts import issue_token, revoke_all
from domain.usecases.actors import Actor, account_of
from domain.usecases.paper_trail import audit, notify
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork

# Links asked for per client address an hour (each may send a mail), and links mailed to one
# account an hour (past it the request is answered alike and nothing is sent).
RESETS_PER_ADDRESS = 10
RESETS_PER_ACCOUNT = 3
_HOUR = dt.timedelta(hours=1)


def change_password(
    rt: Runtime,
    actor: Actor,
    command: PasswordChange,
    *,
    keep_secret: str | None = None,
    client: str | None = None,
) -> int:
    """Set a new password, given the current one; every other session and token of the account
    ends (`keep_secret`'s stays: the caller's own). How many ended. Wrong current passwords count
    as failed logins: a stolen session cannot guess its way to the password."""
    secret = check_password_policy(
        command.new_password.text, rt.policy.common_passwords, field="newPassword"
    )
    with rt.uow() as uow:
        account = account_of(uow, actor.account_id)
    key = email_key(account.email)
    if client is not None:
        throttle.admit_login(rt, key, client)
    if not rt.hasher.verify(account.password_hash, command.current_password):
        if client is not None:
            throttle.login_failed(rt, key, client)
        # Well-formed, and refused by what is stored: a rule, not malformed input (422).
        raise RuleViolation("currentPassword", "is not the account's password")
    password_hash = rt.hasher.hash(secret)
    now = rt.clock.now()
    with rt.uow() as uow:
        stored = account_of(uow, actor.account_id, for_update=True)
        keep = token_digest(keep_secret) if keep_secret else None
        ended = _set_password(uow, stored, password_hash, now, keep_digest=keep)
        audit(uow, actor, "account.password_change", f"account:{stored.id}", now, ended=ended)
        uow.commit()
    return ended


def request_password_reset(rt: Runtime, command: ResetRequest, *, client: str) -> None:
    """Mail a reset link to the address if it has an account; the same (silent) outcome if not."""
    address = command.email.text
    now = rt.clock.now()
    throttle.admit(
        rt,
        keys.reset_address_key(client),
        _HOUR,
        RESETS_PER_ADDRESS,
        "too many reset requests from this address; wait and retry",
    )
    with rt.uow() as uow:
        account = uow.accounts.by_email(address)
    if account is None or account.disabled:
        return
    mailed = rt.counters.hit(keys.reset_account_key(email_key(account.email)), _HOUR, now)
    if mailed.hits > RESETS_PER_ACCOUNT:
        return  # the owner has links enough; a flood of mails would be the attack
    with rt.uow() as uow:
        for old in uow.tokens.for_account(account.id, TokenKind.RESET):
            uow.tokens.remove(old.id)
        issued = issue_token(
            rt,
            uow,
            account.id,
            TokenKind.RESET,
            "password reset",
            now + rt.policy.password_reset_ttl,
        )
        _sealed_notice(rt, uow, account, issued.secret, now)
        audit(uow, None, "account.password_reset_requested", f"account:{account.id}", now)
        uow.commit()


def confirm_password_reset(rt: Runtime, command: ResetConfirmation) -> None:
    """Set the password the link was for; the link is spent, and every session and token of the
    account ends."""
    invalid = LinkNotFound("password-reset")
    token = command.token
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise invalid
    secret = check_password_policy(command.password, rt.policy.common_passwords)
    digest = token_digest(token)
    now = rt.clock.now()
    with rt.uow() as uow:  # a cheap look first: a made-up link costs no hash
        found = uow.tokens.by_digest(digest)
    if found is None or found.kind is not TokenKind.RESET or not found.valid_at(now):
        raise invalid
    password_hash = rt.hasher.hash(secret)
    with rt.uow() as uow:
        account = account_of(uow, found.account_id, for_update=True)
        # Read again under the account's lock: of two confirmations racing, the second finds the
        # link gone.
        link = uow.tokens.by_digest(digest)
        if link is None or link.kind is not TokenKind.RESET or not link.valid_at(now):
            raise invalid
        ended = _set_password(uow, account, password_hash, now)
        audit(uow, None, "account.password_reset", f"account:{account.id}", now, ended=ended)
        uow.commit()


def _set_password(
    uow: UnitOfWork,
    account: Account,
    password_hash: str,
    now: dt.datetime,
    *,
    keep_digest: str | None = None,
) -> int:
    account.password_hash = password_hash
    uow.accounts.update(account)
    ended = revoke_all(uow, account.id, keep_digest=keep_digest)
    notify(uow, account, "password_changed", now, email=account.email)
    return ended


def _sealed_notice(
    rt: Runtime, uow: UnitOfWork, account: Account, secret: str, now: dt.datetime
) -> None:
    minutes = int(rt.policy.password_reset_ttl.total_seconds() // 60)
    notify(
        uow,
        account,
        "password_reset",
        now,
        seal=rt.secret_box.seal,  # the link is a secret: it rests in the outbox sealed
        email=account.email,
        link=f"{rt.policy.public_url}/reset-password?token={secret}",
        valid_for=f"{minutes} minutes, once",
    )
