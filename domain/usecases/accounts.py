"""Register, log in, log out, authenticate, and personal access tokens."""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.accounts import (
    TOKEN_PREFIX,
    Account,
    ApiToken,
    Role,
    TokenKind,
    check_password_policy,
    normalize_email,
    token_digest,
)
from domain.model.dunning import Standing
from domain.model.errors import (
    AlreadyExists,
    AuthenticationFailed,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.usecases.common import Actor, audit, notify
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork

# A login for an unknown e-mail still verifies against this, so timing does not reveal which
# addresses have accounts.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"


@attrs.frozen
class IssuedToken:
    """A token secret, shown exactly once."""

    token: ApiToken
    secret: str


def register(
    rt: Runtime, *, email: object, password: object, role: Role = Role.CUSTOMER
) -> Account:
    address = normalize_email(email)
    secret = check_password_policy(password)
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


def login(rt: Runtime, *, email: object, password: object) -> IssuedToken:
    """A session token for the right e-mail and password; the same error for every wrong pair."""
    failure = AuthenticationFailed("wrong e-mail or password")
    if not isinstance(email, str) or not isinstance(password, str) or not password:
        raise failure
    try:
        address = normalize_email(email)
    except ValidationError:
        raise failure from None
    with rt.uow() as uow:
        account = uow.accounts.by_email(address)
    if account is None:
        rt.hasher.verify(rt.hasher.hash(_DUMMY_PASSWORD), password[:256])
        raise failure
    if not rt.hasher.verify(account.password_hash, password):
        raise failure
    if account.disabled:
        raise AuthenticationFailed("this account is disabled; contact support")
    rehash = rt.hasher.hash(password) if rt.hasher.needs_rehash(account.password_hash) else None
    now = rt.clock.now()
    with rt.uow() as uow:
        if rehash is not None:
            stored = uow.accounts.get(account.id)
            if stored is not None:
                stored.password_hash = rehash
                uow.accounts.update(stored)
        issued = _issue(
            rt, uow, account.id, TokenKind.SESSION, "session", now + rt.policy.session_ttl
        )
        audit(uow, Actor(account.id, account.role), "account.login", f"account:{account.id}", now)
        uow.commit()
    return issued


def authenticate(rt: Runtime, secret: object) -> Actor:
    """The actor a bearer token or session cookie belongs to."""
    if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise AuthenticationFailed("missing or invalid token")
    now = rt.clock.now()
    with rt.uow() as uow:
        token = uow.tokens.by_digest(token_digest(secret))
        if token is None or not token.valid_at(now):
            raise AuthenticationFailed("missing or invalid token")
        account = uow.accounts.get(token.account_id)
        if account is None or account.disabled:
            raise AuthenticationFailed("missing or invalid token")
        # Touching at most once a minute keeps reads from turning every request into a write.
        if token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1):
            uow.tokens.touch(token.id, now)
            uow.commit()
        return Actor(account.id, account.role)


def logout(rt: Runtime, secret: object) -> None:
    """End the session the secret belongs to; an unknown secret is already logged out."""
    if not isinstance(secret, str):
        return
    with rt.uow() as uow:
        token = uow.tokens.by_digest(token_digest(secret))
        if token is not None:
            uow.tokens.remove(token.id)
            uow.commit()


def create_token(
    rt: Runtime, actor: Actor, *, name: object, expires_in_days: object = None
) -> IssuedToken:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise ValidationError("name", "must be 1-100 characters")
    if expires_in_days is not None and (
        type(expires_in_days) is not int or not 1 <= expires_in_days <= 3650
    ):
        raise ValidationError("expiresInDays", "must be a whole number of days within 1..3650")
    now = rt.clock.now()
    with rt.uow() as uow:
        if (
            len(uow.tokens.for_account(actor.account_id, TokenKind.PERSONAL))
            >= rt.policy.max_tokens_per_customer
        ):
            raise RuleViolation("name", "too many tokens; revoke one first")
        expires = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
        issued = _issue(rt, uow, actor.account_id, TokenKind.PERSONAL, name.strip(), expires)
        audit(uow, actor, "token.create", f"token:{issued.token.id}", now)
        uow.commit()
    return issued


def list_tokens(rt: Runtime, actor: Actor) -> list[ApiToken]:
    with rt.uow() as uow:
        return uow.tokens.for_account(actor.account_id, TokenKind.PERSONAL)


def revoke_token(rt: Runtime, actor: Actor, token_id: object) -> None:
    with rt.uow() as uow:
        token = uow.tokens.get(token_id) if type(token_id) is int else None
        if (
            token is None
            or token.account_id != actor.account_id
            or token.kind is not TokenKind.PERSONAL
        ):
            raise NotFound("token", token_id)
        uow.tokens.remove(token.id)
        audit(uow, actor, "token.revoke", f"token:{token.id}", rt.clock.now())
        uow.commit()


def _issue(
    rt: Runtime,
    uow: UnitOfWork,
    account_id: int,
    kind: TokenKind,
    name: str,
    expires_at: dt.datetime | None,
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
    )
    uow.tokens.add(token)
    return IssuedToken(token, secret)
