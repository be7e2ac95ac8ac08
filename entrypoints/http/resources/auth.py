"""Registration, login and logout, the caller's identity, and personal access tokens."""

from __future__ import annotations

import falcon

from domain.model.commands import Credentials, NewAccount
from domain.model.scopes import Scopes
from domain.model.two_factor import OneTimeCode
from domain.model.values import TokenName
from domain.usecases import accounts
from domain.usecases.scoped_tokens import CreateToken, ValidDays, create_token
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.client_address import client_of
from entrypoints.http.commands import command_from, structure
from entrypoints.http.middleware import CSRF_COOKIE, SESSION_COOKIE, csrf_token
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import PAGE
from entrypoints.http.schemas import CREDENTIALS, REGISTRATION, TOKEN_CREATE

ACCOUNT = {"type": "object", "required": ["id", "email", "role"]}
SIGNED_UP = {"type": "object", "required": ["email", "status"]}


class Register(Resource):
    """Answers 201 alike for a new address and for one that has an account (whose owner gets an
    e-mail instead): registration cannot be used to find out who is a customer."""

    auth = "public"
    spec = {
        "post": Op(
            "Create a customer account (then log in)",
            "auth",
            REGISTRATION,
            SIGNED_UP,
            201,
            (400, 422, 429, 503),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        account = command_from(req, REGISTRATION, NewAccount)
        email = accounts.sign_up(self.rt, account, client=client_of(req))
        set_json(resp, {"email": email, "status": "registered"}, falcon.HTTP_201)


class Login(Resource):
    """Throttled by client address, by (account, address) and, under a sustained attack, by
    account (domain/usecases/throttle.py): only failures count, so nobody can lock a user out."""

    auth = "public"
    spec = {
        "post": Op(
            "Log in: a bearer token and a session cookie",
            "auth",
            CREDENTIALS,
            {
                "type": "object",
                "required": ["accessToken", "tokenType", "expiresIn", "access_token"],
            },
            200,
            (400, 401, 422, 429, 503),
        )
    }
    # 401 `totp_required`: the password was right and the account has two-factor login; send the
    # app's code (or a recovery code) as `totp` with it. `totp_invalid`: that code was refused.

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, CREDENTIALS)
        code = body.pop("totp", None)
        credentials = structure(body, Credentials)
        issued = accounts.login(
            self.rt,
            credentials,
            client=client_of(req),
            totp=OneTimeCode(code) if code is not None else None,
        )
        expires_in = (
            int((issued.token.expires_at - issued.token.created_at).total_seconds())
            if issued.token.expires_at
            else None
        )
        csrf = csrf_token(issued.secret, self.rt.policy.csrf_key)
        resp.set_cookie(
            SESSION_COOKIE,
            issued.secret,
            max_age=expires_in,
            path="/",
            secure=True,
            http_only=True,
            same_site="Lax",
        )
        # Readable by the page's script (not HttpOnly): it sends it back as the X-CSRF-Token header.
        resp.set_cookie(
            CSRF_COOKIE,
            csrf,
            max_age=expires_in,
            path="/",
            secure=True,
            http_only=False,
            same_site="Lax",
        )
        with self.rt.uow() as uow:
            account = uow.accounts.get(issued.token.account_id)
        set_json(
            resp,
            {
                "accessToken": issued.secret,
                "tokenType": "Bearer",
                "expiresIn": expires_in,
                "csrfToken": csrf,
                "user": codec.account(account) if account else None,
                # The names the seed's clients read, kept as they were.
                "access_token": issued.secret,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "csrf_token": csrf,
            },
        )


def presented_secret(req: falcon.Request) -> str:
    """The bearer token or session cookie this request was authenticated with."""
    header = req.get_header("Authorization") or ""
    return header.partition(" ")[2].strip() or (req.get_cookie_values(SESSION_COOKIE) or [""])[0]


def end_cookies(resp: falcon.Response) -> None:
    resp.unset_cookie(SESSION_COOKIE, path="/")
    resp.unset_cookie(CSRF_COOKIE, path="/")


class Logout(Resource):
    spec = {"post": Op("End this session", "auth", None, {"type": "object"}, 204, (401,))}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.logout(self.rt, presented_secret(req))
        end_cookies(resp)
        resp.status = falcon.HTTP_204


class Me(Resource):
    spec = {"get": Op("Who am I", "auth", None, ACCOUNT, 200, (401,))}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.rt.uow() as uow:
            account = uow.accounts.get(actor(req).account_id)
        assert account is not None
        set_json(resp, codec.account(account))


class Tokens(Resource):
    spec = {
        "get": Op(
            "My personal access tokens", "auth", None, PAGE, 200, (400, 401), params=PAGE_PARAMS
        ),
        "post": Op(
            "Create a personal access token (its secret is shown once)",
            "auth",
            TOKEN_CREATE,
            {"type": "object", "required": ["id", "token"]},
            201,
            (400, 401, 403, 422),
            idempotent_key=False,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        found, total = page.cut(accounts.list_tokens(self.rt, actor(req)))
        set_json(resp, codec.page([codec.token(t) for t in found], page, total))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, TOKEN_CREATE)
        command = CreateToken(
            TokenName(body["name"]),
            ValidDays(body["expiresInDays"]) if "expiresInDays" in body else None,
            Scopes.named(body.get("scopes", ["*"])),
        )
        issued = create_token(self.rt, actor(req), command)
        set_json(resp, {**codec.token(issued.token), "token": issued.secret}, falcon.HTTP_201)


class TokenItem(Resource):
    spec = {
        "delete": Op(
            "Revoke a personal access token", "auth", None, {"type": "object"}, 204, (401, 404)
        )
    }

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: int) -> None:
        accounts.revoke_token(self.rt, actor(req), token_id)
        resp.status = falcon.HTTP_204
