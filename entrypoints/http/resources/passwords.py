"""Changing the password, resetting a forgotten one by e-mail, and logging out everywhere."""

from __future__ import annotations

import falcon

from domain.model import commands
from domain.usecases import accounts, passwords
from entrypoints.http.client_address import client_of
from entrypoints.http.commands import command_from
from entrypoints.http.resources.auth import end_cookies, presented_secret
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.schemas import PASSWORD_CHANGE, RESET_CONFIRM, RESET_REQUEST

ENDED = {"type": "object", "required": ["endedSessions"]}
RESET_ASKED = {"type": "object", "required": ["status"]}


class PasswordChange(Resource):
    spec = {
        "post": Op(
            "Change my password: every other session and token of the account ends",
            "auth",
            PASSWORD_CHANGE,
            ENDED,
            200,
            (400, 401, 422, 429, 503),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        ended = passwords.change_password(
            self.rt,
            actor(req),
            command_from(req, PASSWORD_CHANGE, commands.PasswordChange),
            keep_secret=presented_secret(req),
            client=client_of(req),
        )
        set_json(resp, {"endedSessions": ended})


class PasswordReset(Resource):
    """The same 202 whether or not the address has an account."""

    auth = "public"
    spec = {
        "post": Op(
            "E-mail a password-reset link (valid 30 minutes, once) if the address has an account",
            "auth",
            RESET_REQUEST,
            RESET_ASKED,
            202,
            (400, 422, 429),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        asked = command_from(req, RESET_REQUEST, commands.ResetRequest)
        passwords.request_password_reset(self.rt, asked, client=client_of(req))
        set_json(
            resp,
            {"status": "if the address has an account, a reset link is on its way"},
            falcon.HTTP_202,
        )


class PasswordResetConfirm(Resource):
    auth = "public"
    spec = {
        "post": Op(
            "Set a new password with the link's token: every session and token of the account ends",
            "auth",
            RESET_CONFIRM,
            {"type": "object"},
            204,
            (400, 404, 422, 503),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        confirmed = command_from(req, RESET_CONFIRM, commands.ResetConfirmation)
        passwords.confirm_password_reset(self.rt, confirmed)
        resp.status = falcon.HTTP_204


class LogoutAll(Resource):
    spec = {
        "post": Op(
            "Log out everywhere: every session and token of the account ends, this one too",
            "auth",
            None,
            {"type": "object"},
            204,
            (401,),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.logout_everywhere(self.rt, actor(req))
        end_cookies(resp)
        resp.status = falcon.HTTP_204
