"""Administration: customers, balance corrections, account suspension, all servers, promo codes."""

from __future__ import annotations

import falcon

from domain.model import commands
from domain.model.accounts import Role
from domain.model.server import Server
from domain.usecases import admin, notices, promos
from domain.usecases.actors import Actor
from domain.usecases.catalogue import current_catalogue
from domain.usecases.money import adjust_balance, get_balance
from domain.usecases.runtime import Runtime
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.commands import command_from, structure
from entrypoints.http.errors import ApiError
from entrypoints.http.idempotency import request_key, run_once
from entrypoints.http.resources.base import (
    PAGE_PARAMS,
    Op,
    Resource,
    actor,
    page_of,
    set_json,
)
from entrypoints.http.response_schemas import ANY_OBJECT, PAGE
from entrypoints.http.rule_schemas import PROMO
from entrypoints.http.schemas import ADJUST
from ports.paging import Page

ADMIN_ERRORS = (401, 403)


class Customers(Resource):
    auth = "admin"
    spec = {"get": Op("Customers", "admin", None, PAGE, 200, ADMIN_ERRORS, params=PAGE_PARAMS)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = admin.list_customers(self.rt, actor(req), page)
        set_json(resp, codec.page([codec.account(a) for a in items], page, total))


class BalanceAdjustment(Resource):
    """POST /api/admin/customers/{id}/credit and /debit with {amount, reason}.

    An Idempotency-Key is required: a correction retried by a nervous admin must post once."""

    auth = "admin"
    spec = {
        f"post_{kind}": Op(
            f"{kind.capitalize()} a customer's balance with a reason",
            "admin",
            ADJUST,
            ANY_OBJECT,
            200,
            (400, *ADMIN_ERRORS, 402, 404, 409),
            idempotent_key=True,
            key_required=True,
        )
        for kind in ("credit", "debit")
    }

    def _adjust(
        self, req: falcon.Request, resp: falcon.Response, customer_id: int, sign: int
    ) -> None:
        body = parse(req, ADJUST)
        key = request_key(req)
        if key is None:
            raise ApiError(
                falcon.HTTP_400,
                "invalid",
                "an Idempotency-Key header is required",
                field="Idempotency-Key",
            )
        command = structure(
            {**body, "customerId": customer_id, "requestKey": key, "debit": sign < 0},
            commands.BalanceAdjustment,
        )
        who = actor(req)

        def handler() -> tuple[str, object]:
            tx = adjust_balance(self.rt, who, command)
            return falcon.HTTP_200, {"transaction": codec.transaction(tx, customer_id)}

        run_once(self.rt, req, resp, who, handler)

    def on_post_credit(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        self._adjust(req, resp, customer_id, +1)

    def on_post_debit(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        self._adjust(req, resp, customer_id, -1)


class AccountSuspension(Resource):
    """Suspending an account disables its logins and tokens and stops its servers (not billed while
    stopped, data kept); `taskIds` are the actions doing it. Unsuspending undoes both."""

    auth = "admin"
    spec = {
        "post_suspend": Op(
            "Suspend a customer: logins off, servers stopped and not billed, data kept",
            "admin",
            None,
            ANY_OBJECT,
            200,
            (*ADMIN_ERRORS, 404, 409),
        ),
        "post_unsuspend": Op(
            "Reinstate a customer: logins on, servers billed and started again",
            "admin",
            None,
            ANY_OBJECT,
            200,
            (*ADMIN_ERRORS, 404),
        ),
    }

    def on_post_suspend(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        _suspension(resp, admin.suspend_account(self.rt, actor(req), customer_id))

    def on_post_unsuspend(
        self, req: falcon.Request, resp: falcon.Response, customer_id: int
    ) -> None:
        _suspension(resp, admin.reinstate_account(self.rt, actor(req), customer_id))


def _suspension(resp: falcon.Response, done: admin.Suspension) -> None:
    set_json(resp, {**codec.account(done.account), "taskIds": [a.id for a in done.actions]})


class CustomerBalance(Resource):
    auth = "admin"
    spec = {"get": Op("A customer's balance", "admin", None, ANY_OBJECT, 200, (*ADMIN_ERRORS, 404))}

    def on_get(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        actor(req)  # an admin, checked by the auth level
        view = get_balance(self.rt, Actor(customer_id, Role.CUSTOMER))
        set_json(
            resp,
            {
                "balance": codec.money(view.balance),
                "held": codec.money(view.held),
                "standing": view.standing.value,
            },
        )


class AllServers(Resource):
    auth = "admin"
    spec = {"get": Op("Every server", "admin", None, PAGE, 200, ADMIN_ERRORS, params=PAGE_PARAMS)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = admin.list_all_servers(self.rt, actor(req), page)
        set_json(resp, server_page(self.rt, items, page, total))


def server_page(rt: Runtime, items: list[Server], page: Page, total: int) -> codec.Json:
    """A page of servers as an admin reads them. An empty page needs no catalogue to say so (a
    database with none published yet still lists nothing)."""
    catalogue = current_catalogue(rt) if items else None
    shown = [codec.server(s, catalogue) for s in items] if catalogue else []
    return codec.page(shown, page, total)


class Outbox(Resource):
    """Every notice, newest first: where an admin reads the mail of a sandbox (or of a deployment
    whose mail is off), and sees what a relay refused."""

    auth = "admin"
    spec = {
        "get": Op(
            "The outbox: notices and their delivery",
            "admin",
            None,
            PAGE,
            200,
            ADMIN_ERRORS,
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = notices.list_outbox(self.rt, actor(req), page)
        set_json(resp, codec.page([codec.notice(n) for n in items], page, total))


class PromoCodes(Resource):
    auth = "admin"
    spec = {
        "get": Op("Promo codes", "admin", None, PAGE, 200, ADMIN_ERRORS, params=PAGE_PARAMS),
        "post": Op(
            "Create a promo code",
            "admin",
            PROMO,
            ANY_OBJECT,
            201,
            (400, *ADMIN_ERRORS, 409, 422),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = promos.list_promos(self.rt, actor(req), page)
        set_json(resp, codec.page([codec.promo(p) for p in items], page, total))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        draft = command_from(req, PROMO, commands.PromoDraft)
        set_json(
            resp, codec.promo(promos.create_promo(self.rt, actor(req), draft)), falcon.HTTP_201
        )


class PromoCodeItem(Resource):
    auth = "admin"
    spec = {
        "get": Op("A promo code", "admin", None, ANY_OBJECT, 200, (*ADMIN_ERRORS, 404)),
        "put": Op(
            "Replace a promo code's terms",
            "admin",
            PROMO,
            ANY_OBJECT,
            200,
            (400, *ADMIN_ERRORS, 404, 422),
        ),
        "delete": Op(
            "Deactivate a promo code (codes are never deleted)",
            "admin",
            None,
            ANY_OBJECT,
            200,
            (*ADMIN_ERRORS, 404),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, code_id: int) -> None:
        set_json(resp, codec.promo(promos.get_promo(self.rt, actor(req), code_id)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, code_id: int) -> None:
        draft = command_from(req, PROMO, commands.PromoDraft)
        set_json(resp, codec.promo(promos.update_promo(self.rt, actor(req), code_id, draft)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, code_id: int) -> None:
        set_json(resp, codec.promo(promos.deactivate_promo(self.rt, actor(req), code_id)))
