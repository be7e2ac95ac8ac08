"""Two-factor login for the caller: set it up, enable it, disable it."""

from __future__ import annotations

from collections.abc import Callable

import falcon
import segno

from domain.model.two_factor import OneTimeCode
from domain.usecases import two_factor
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.schemas import TWO_FACTOR_CODE

SETUP = {
    "type": "object",
    "required": ["secret", "otpauthUri", "qrCode"],
    "properties": {
        "secret": {"type": "string", "description": "base32, for typing into the app by hand"},
        "otpauthUri": {"type": "string", "pattern": "^otpauth://totp/"},
        "qrCode": {"type": "string", "pattern": "^data:image/png;base64,"},
    },
}
RECOVERY = {
    "type": "object",
    "required": ["enabled", "recoveryCodes"],
    "properties": {"recoveryCodes": {"type": "array", "items": {"type": "string"}}},
}


STATUS = {
    "type": "object",
    "required": ["enabled", "pending", "enabledAt", "recoveryCodesLeft"],
    "properties": {
        "enabled": {"type": "boolean"},
        "pending": {"type": "boolean", "description": "set up, waiting for /enable"},
        "enabledAt": {"type": ["string", "null"], "format": "date-time"},
        "recoveryCodesLeft": {"type": "integer", "minimum": 0},
    },
}


class TwoFactorState(Resource):
    spec = {"get": Op("Whether my two-factor login is on", "auth", None, STATUS, 200, (401,))}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        found = two_factor.status(self.rt, actor(req))
        set_json(
            resp,
            {
                "enabled": found.enabled,
                "pending": found.pending,
                "enabledAt": codec.when(found.enabled_at),
                "recoveryCodesLeft": found.recovery_codes_left,
            },
        )


class TwoFactorSetup(Resource):
    spec = {
        "post": Op(
            "Start two-factor login: a new TOTP secret, its otpauth:// URI and QR code (PNG)",
            "auth",
            None,
            SETUP,
            200,
            (401, 409),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        made = two_factor.set_up(self.rt, actor(req), two_factor.SetUpTwoFactor())
        qr = segno.make(made.uri, error="m").png_data_uri(scale=5, border=2)
        resp.set_header("Cache-Control", "no-store")  # a secret: no cache keeps it
        set_json(resp, {"secret": made.secret, "otpauthUri": made.uri, "qrCode": qr})


class RecoveryCodesForCode(Resource):
    """A code of the app in, ten recovery codes out, shown once: enabling, and renewing."""

    def __init__(
        self, runtime: Runtime, summary: str, issue: Callable[[Actor, OneTimeCode], list[str]]
    ) -> None:
        super().__init__(runtime)
        self.spec = {
            "post": Op(summary, "auth", TWO_FACTOR_CODE, RECOVERY, 200, (401, 409, 422, 429))
        }
        self.issue = issue

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        code = OneTimeCode(parse(req, TWO_FACTOR_CODE)["code"])
        codes = self.issue(actor(req), code)
        resp.set_header("Cache-Control", "no-store")  # shown once: no cache keeps them
        set_json(resp, {"enabled": True, "recoveryCodes": codes})


def enable_resource(rt: Runtime) -> RecoveryCodesForCode:
    return RecoveryCodesForCode(
        rt,
        "Turn two-factor login on with the app's current code; ten recovery codes, shown once",
        lambda who, code: two_factor.enable(rt, who, two_factor.EnableTwoFactor(code)),
    )


def renew_resource(rt: Runtime) -> RecoveryCodesForCode:
    return RecoveryCodesForCode(
        rt,
        "Ten new recovery codes for a current code of the app; the old ones stop working",
        lambda who, code: two_factor.renew_recovery_codes(
            rt, who, two_factor.RenewRecoveryCodes(code)
        ),
    )


class TwoFactorDisable(Resource):
    spec = {
        "post": Op(
            "Turn two-factor login off, with a current code (or a recovery code)",
            "auth",
            TWO_FACTOR_CODE,
            {"type": "object"},
            204,
            (401, 409, 422, 429),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, TWO_FACTOR_CODE)
        command = two_factor.DisableTwoFactor(OneTimeCode(body["code"]))
        two_factor.disable(self.rt, actor(req), command)
        resp.status = falcon.HTTP_204
