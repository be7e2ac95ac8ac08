"""The caller's money: balance, transactions, and redeeming a bonus code."""

from __future__ import annotations

import falcon

from domain.model.values import PromoCodeText
from domain.usecases.money import get_balance, list_transactions
from domain.usecases.promos import redeem_bonus
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.idempotency import run_once
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import MONEY, PAGE
from entrypoints.http.schemas import REDEEM

BALANCE = {
    "type": "object",
    "required": ["balance"],
    "properties": {"balance": MONEY, "held": MONEY},
}


class Balance(Resource):
    spec = {"get": Op("My balance", "account", None, BALANCE, 200, (401,))}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        view = get_balance(self.rt, actor(req))
        set_json(
            resp,
            {
                "balance": codec.money(view.balance),
                "held": codec.money(view.held),
                "hourlyBurn": codec.rate(view.hourly_burn),
                "standing": view.standing.value,
                "exact": codec.money(view.balance, 6),
            },
        )


class Transactions(Resource):
    spec = {
        "get": Op(
            "My transactions, newest first",
            "account",
            None,
            PAGE,
            200,
            (400, 401),
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        who = actor(req)
        items, total = list_transactions(self.rt, who, page)
        set_json(
            resp,
            codec.page(
                [codec.transaction(t, who.account_id) for t in items],
                page,
                total,
            ),
        )


class RedeemPromo(Resource):
    spec = {
        "post": Op(
            "Redeem a balance bonus code",
            "account",
            REDEEM,
            BALANCE,
            200,
            (400, 401, 404, 422),
            idempotent_key=True,
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        code = PromoCodeText(parse(req, REDEEM)["code"])
        who = actor(req)

        def handler() -> tuple[str, object]:
            tx = redeem_bonus(self.rt, who, code)
            view = get_balance(self.rt, who)
            return falcon.HTTP_200, {
                "transaction": codec.transaction(tx, who.account_id),
                "balance": codec.money(view.balance),
            }

        run_once(self.rt, req, resp, who, handler)
