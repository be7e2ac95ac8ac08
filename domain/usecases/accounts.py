"""Register, log in, log out, authenticate, and personal access tokens."""

from __future__ import annotations

import datetime as dt
import threading
import weakref

import attrs

from domain.model.accounts import (
    TOKEN_PREFIX,
    Account,
    ApiToken,
    TokenKind,
    check_password_policy,
    token_digest,
)
from domain.model.commands import Credentials, NewAccount, NewToken
from domain.model.credentials import PASSWORD_MAX, EmailAddress
from domain.model.dunning import Standing
from domain.model.errors import (
    AlreadyExists,
    AuthenticationFailed,
    Busy,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.model.scopes import FULL_ACCESS, Scope
from domain.model.two_factor import OneTimeCode
from domain.usecases import throttle, two_factor
from domain.usecases.actors import Actor, account_of
from domain.usecases.paper_trail import audit, notify
from domain.usecases.runtime import Runtime
from ports.security import PasswordHasher
from ports.unit_of_work import UnitOfWork

# Tokens a bearer header or a session cookie may carry (a reset link's token may not).
_AUTHENTICATING = (TokenKind.SESSION, TokenKind.PERSONAL)


@attrs.frozen
class IssuedToken:
    """A token secret, shown exactly once."""

    token: ApiToken
    secret: str


def register(rt: Runtime, command: NewAccount) -> Account:
    """Raises AlreadyExists for an address that has an account (the operator's and the tests'
    door; the public one is `sign_up`)."""
    address = command.email.text
    role = command.role
    secret = check_password_policy(command.password.text, rt.policy.common_passwords)
    password_hash = rt.hasher.hash(secret)  # slow: outside the unit of work on purpose
    now = rt.clock.now()
    with rt.uow() as uow:
        if uow.accounts.by_email(address) is not None:
            raise AlreadyExists("an account with this e-mail already exists", field="email")
        account = Account(
            id=uow.accounts.next_id(),
            email=address,
            password_hash=password_hash,
            role=role,
            currency=rt.policy.currency,
            created_at=now,
            standing=Standing.ACTIVE,
            standing_since=now,
        )
        uow.accounts.add(account)
        notify(uow, account, "welcome", now, email=address)
        audit(uow, Actor(account.id, role), "account.register", f"account:{account.id}", now)
        uow.commit()
    return account


def sign_up(rt: Runtime, command: NewAccount, *, client: str) -> str:
    """The public registration: throttled per client address, and answered alike whether the
    address was new or not (the address, as it will be known), so that it cannot be used to find
    out who has an account. The owner of an address that had one is told by e-mail instead."""
    throttle.admit_registration(rt, client)
    try:
        return register(rt, command).email
    except AlreadyExists:
        address = command.email.text
    now = rt.clock.now()
    with rt.uow() as uow:
        owner = uow.accounts.by_email(address)
        if owner is not None:
            notify(uow, owner, "signup_existing", now, email=owner.email)
            audit(uow, None, "account.register_existing", f"account:{owner.id}", now)
            uow.commit()
    return address


def login(
    rt: Runtime,
    credentials: Credentials,
    *,
    client: str | None = None,
    totp: OneTimeCode | None = None,
) -> IssuedToken:
    """A session token for the right e-mail and password; the same error for every wrong pair.

    With a `client` address, the login throttles apply (domain/usecases/throttle.py). Every
    attempt that reaches a password costs exactly one verify, against the account's hash or a
    dummy one, so an unknown e-mail takes as long as a known one. An account with two-factor
    login also needs `totp` (domain/usecases/two_factor.py)."""
    failure = AuthenticationFailed("wrong e-mail or password")
    password = credentials.password
    if not password:
        raise failure
    try:
        address: EmailAddress | None = EmailAddress(credentials.email)
    except ValidationError:
        address = None
    key = address.key if address is not None else None
    if client is not None:
        throttle.admit_login(rt, key, client)
    account = None
    if address is not None:
        with rt.uow() as uow:
            account = uow.accounts.by_email(address.text)
    if account is None or len(password) > PASSWORD_MAX:
        rt.hasher.verify(dummy_hash(rt.hasher), password[:PASSWORD_MAX])
        verified = False
    else:
        verified = rt.hasher.verify(account.password_hash, password)
    if not verified or account is None or key is None:
        if client is not None:
            throttle.login_failed(rt, key, client)
        raise failure
    if account.disabled:
        raise AuthenticationFailed("this account is disabled; contact support")
    two_factor.pass_login(rt, account.id, totp, email_key=key, client=client)
    if client is not None:
        throttle.login_succeeded(rt, key, client)
    rehash = _rehash(rt.hasher, account.password_hash, password)
    now = rt.clock.now()
    with rt.uow() as uow:
        # One login at a time per account: the session cap below counts what it sees.
        stored = uow.accounts.get_for_update(account.id)
        if rehash is not None and stored is not None:
            stored.password_hash = rehash
            uow.accounts.update(stored)
        sessions = uow.tokens.for_account(account.id, TokenKind.SESSION)
        for oldest in sessions[: max(0, len(sessions) - rt.policy.max_sessions_per_account + 1)]:
            uow.tokens.remove(oldest.id)
        issued = issue_token(
            rt, uow, account.id, TokenKind.SESSION, "session", now + rt.policy.session_ttl
        )
        audit(uow, Actor(account.id, account.role), "account.login", f"account:{account.id}", now)
        uow.commit()
    return issued


def _rehash(hasher: PasswordHasher, password_hash: str, password: str) -> str | None:
    """A fresh hash when the stored one has old parameters; skipped when the process is busy
    hashing (the next login will do it), rather than failing a login that succeeded."""
    if not hasher.needs_rehash(password_hash):
        return None
    try:
        return hasher.hash(password)
    except Busy:
        return None


_dummies: weakref.WeakKeyDictionary[PasswordHasher, str] = weakref.WeakKeyDictionary()
_dummies_lock = threading.Lock()


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a password nobody has, made once per hasher with its own parameters, so that
    verifying against it costs what verifying a real one does."""
    with _dummies_lock:
        found = _dummies.get(hasher)
    if found is None:
        found = hasher.hash(TOKEN_PREFIX + "dummy-password-that-no-account-has")
        with _dummies_lock:
            _dummies.setdefault(hasher, found)
    return found


def authenticate(rt: Runtime, secret: str) -> Actor:
    """The actor a bearer token or session cookie belongs to."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise AuthenticationFailed("missing or invalid token")
    now = rt.clock.now()
    with rt.uow() as uow:
        token = uow.tokens.by_digest(token_digest(secret))
        if token is None or token.kind not in _AUTHENTICATING or not token.valid_at(now):
            raise AuthenticationFailed("missing or invalid token")
        account = uow.accounts.get(token.account_id)
        if account is None or account.disabled:
            raise AuthenticationFailed("missing or invalid token")
        # Touching at most once a minute keeps reads from turning every request into a write.
        if token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1):
            uow.tokens.touch(token.id, now)
            uow.commit()
        return Actor(account.id, account.role, token.scopes)


def logout(rt: Runtime, secret: str) -> None:
    """End the session the secret belongs to; an unknown secret is already logged out."""
    with rt.uow() as uow:
        token = uow.tokens.by_digest(token_digest(secret))
        if token is not None and token.kind in _AUTHENTICATING:
            uow.tokens.remove(token.id)
            uow.commit()


def logout_everywhere(rt: Runtime, actor: Actor) -> int:
    """End every session and revoke every token of the account, this one included."""
    now = rt.clock.now()
    with rt.uow() as uow:
        account_of(uow, actor.account_id, for_update=True)
        ended = revoke_all(uow, actor.account_id)
        audit(uow, actor, "account.logout_all", f"account:{actor.account_id}", now, ended=ended)
        uow.commit()
    return ended


def revoke_all(uow: UnitOfWork, account_id: int, *, keep_digest: str | None = None) -> int:
    """Remove every token of the account (sessions, personal tokens, reset links) but the one
    with `keep_digest`; how many went."""
    gone = [t for t in uow.tokens.for_account(account_id) if t.digest != keep_digest]
    for token in gone:
        uow.tokens.remove(token.id)
    return len(gone)


def purge_expired(rt: Runtime) -> int:
    """The tick: expired sessions, tokens and reset links, and closed throttle windows, go."""
    now = rt.clock.now()
    with rt.uow() as uow:
        removed = uow.tokens.remove_expired(now)
        uow.commit()
    return removed + rt.counters.purge(now)


def create_token(
    rt: Runtime, actor: Actor, command: NewToken, *, scopes: frozenset[Scope] = FULL_ACCESS
) -> IssuedToken:
    """A personal access token; `scopes` limits it (domain/usecases/scoped_tokens.py checks that
    the caller holds them)."""
    now = rt.clock.now()
    with rt.uow() as uow:
        # Held until commit: racing creations count one after another and cannot pass the cap.
        account_of(uow, actor.account_id, for_update=True)
        if (
            len(uow.tokens.for_account(actor.account_id, TokenKind.PERSONAL))
            >= rt.policy.max_tokens_per_customer
        ):
            raise RuleViolation("name", "too many tokens; revoke one first")
        days = command.expires_in_days
        expires = now + dt.timedelta(days=days) if days else None
        issued = issue_token(
            rt, uow, actor.account_id, TokenKind.PERSONAL, command.name.text, expires, scopes
        )
        audit(uow, actor, "token.create", f"token:{issued.token.id}", now)
        uow.commit()
    return issued


def list_tokens(rt: Runtime, actor: Actor) -> list[ApiToken]:
    with rt.uow() as uow:
        return uow.tokens.for_account(actor.account_id, TokenKind.PERSONAL)


def revoke_token(rt: Runtime, actor: Actor, token_id: int) -> None:
    with rt.uow() as uow:
        token = uow.tokens.get(token_id)
        if (
            token is None
            or token.account_id != actor.account_id
            or token.kind is not TokenKind.PERSONAL
        ):
            raise NotFound("token", token_id)
        uow.tokens.remove(token.id)
        audit(uow, actor, "token.revoke", f"token:{token.id}", rt.clock.now())
        uow.commit()


def issue_token(
    rt: Runtime,
    uow: UnitOfWork,
    account_id: int,
    kind: TokenKind,
    name: str,
    expires_at: dt.datetime | None,
    scopes: frozenset[Scope] = FULL_ACCESS,
) -> IssuedToken:
    secret = TOKEN_PREFIX + rt.secrets.token()
    token = ApiToken(
        id=uow.tokens.next_id(),
        account_id=account_id,
        kind=kind,
        name=name,
        digest=token_digest(secret),
        created_at=rt.clock.now(),
        expires_at=expires_at,
        scopes=scopes,
    )
    uow.tokens.add(token)
    return IssuedToken(token, secret)
