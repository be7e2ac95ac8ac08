"""The WSGI application factory: routes, middleware, error mapping. No work at import time."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import falcon
import falcon.media

from adapters.memory import FakeHypervisor
from adapters.payments.sandbox import SandboxGateway
from adapters.payments.yookassa import YooKassaGateway
from domain.usecases.password_hashing import dummy_hash
from domain.usecases.runtime import Runtime
from entrypoints.http import docs, errors, fast_json, openapi
from entrypoints.http import metrics as http_metrics
from entrypoints.http.client_address import ClientAddress
from entrypoints.http.headers import SecurityHeaders
from entrypoints.http.middleware import (
    Audit,
    Authentication,
    RateLimit,
    RequestContext,
    TokenBucket,
)
from entrypoints.http.resources import (
    account,
    actions,
    admin,
    admin_reads,
    auth,
    catalogue,
    checkout,
    firewall,
    meta,
    metrics_history,
    passwords,
    payments,
    rebuild,
    sandbox,
    servers,
    snapshots,
    ssh_keys,
    statements,
    tickets,
    two_factor,
    webhooks,
)
from entrypoints.http.resources.base import Resource
from entrypoints.http.route_scopes import SCOPES

Routes = list[tuple[str, Resource, str | None]]
# Routes for operators and browsers, not API operations: the document leaves them out.
OUTSIDE_THE_DOCUMENT = frozenset(
    {"/metrics", "/api/docs", "/api/docs/{name}", "/sandbox/checkout/{checkout_id}"}
)


def _routes(rt: Runtime, ready_checks: dict[str, Callable[[], None]] | None) -> Routes:
    s = servers
    power = s.ServerPower(rt)
    snapshot_list = snapshots.Snapshots(rt)
    quote = catalogue.Quote(rt)
    create = s.ServerCreate(rt)
    balance = account.Balance(rt)
    locations, images, parameters = (
        catalogue.Locations(rt),
        catalogue.OsImages(rt),
        catalogue.Parameters(rt),
    )
    adjust, suspension = admin.BalanceAdjustment(rt), admin.AccountSuspension(rt)
    routes: Routes = [
        ("/healthz", meta.Health(rt), None),
        ("/readyz", meta.Ready(rt, ready_checks), None),
        ("/api/auth/register", auth.Register(rt), None),
        ("/api/auth/login", auth.Login(rt), None),
        ("/api/auth/logout", auth.Logout(rt), None),
        ("/api/auth/me", auth.Me(rt), None),
        ("/api/auth/logout-all", passwords.LogoutAll(rt), None),
        ("/api/auth/password", passwords.PasswordChange(rt), None),
        ("/api/auth/password-reset", passwords.PasswordReset(rt), None),
        ("/api/auth/password-reset/confirm", passwords.PasswordResetConfirm(rt), None),
        ("/api/tokens", auth.Tokens(rt), None),
        ("/api/tokens/{token_id:int}", auth.TokenItem(rt), None),
        ("/api/auth/2fa", two_factor.TwoFactorState(rt), None),
        ("/api/auth/2fa/setup", two_factor.TwoFactorSetup(rt), None),
        ("/api/auth/2fa/enable", two_factor.enable_resource(rt), None),
        ("/api/auth/2fa/disable", two_factor.TwoFactorDisable(rt), None),
        ("/api/auth/2fa/recovery-codes", two_factor.renew_resource(rt), None),
        ("/api/ssh-keys", ssh_keys.SshKeys(rt), None),
        ("/api/ssh-keys/{key_id:int}", ssh_keys.SshKeyItem(rt), None),
        ("/api/webhooks", webhooks.Webhooks(rt), None),
        ("/api/webhooks/{webhook_id:int}", webhooks.WebhookItem(rt), None),
        ("/api/webhooks/{webhook_id:int}/deliveries", webhooks.WebhookDeliveries(rt), None),
        ("/api/locations", locations, None),
        ("/api/os", images, None),
        ("/api/tariffs", catalogue.Tariffs(rt), None),
        ("/api/parameters", parameters, None),
        ("/api/quote", quote, None),
        ("/api/balance", balance, None),
        ("/api/transactions", account.Transactions(rt), None),
        ("/api/promocodes/redeem", account.RedeemPromo(rt), None),
        ("/api/server", s.ServerList(rt), None),
        ("/api/server/create", create, None),
        ("/api/server/console", s.Console(rt), None),
        ("/api/server/{server_id:int}", s.ServerItem(rt), None),
        ("/api/server/{server_id:int}/status", s.ServerStatus(rt), None),
        ("/api/server/{server_id:int}/metrics", metrics_history.ServerMetrics(rt), None),
        ("/api/server/{server_id:int}/start", power, "start"),
        ("/api/server/{server_id:int}/stop", power, "stop"),
        ("/api/server/{server_id:int}/restart", power, "restart"),
        ("/api/server/{server_id:int}/password", s.ServerPassword(rt), None),
        ("/api/server/{server_id:int}/resize", s.ServerResize(rt), None),
        ("/api/server/{server_id:int}/rebuild", rebuild.ServerRebuild(rt), None),
        ("/api/server/{server_id:int}/snapshots", snapshot_list, None),
        ("/api/server/{server_id:int}/snapshots/rollback", snapshots.SnapshotRollback(rt), None),
        ("/api/server/{server_id:int}/actions", actions.ServerActions(rt), None),
        ("/api/server/{server_id:int}/firewall", firewall.ServerFirewall(rt), None),
        ("/api/actions/{action_id:int}", actions.ActionItem(rt), None),
        ("/api/admin/customers", admin.Customers(rt), None),
        ("/api/admin/customers/{customer_id:int}/balance", admin.CustomerBalance(rt), None),
        ("/api/admin/customers/{customer_id:int}/credit", adjust, "credit"),
        ("/api/admin/customers/{customer_id:int}/debit", adjust, "debit"),
        ("/api/admin/customers/{customer_id:int}/suspend", suspension, "suspend"),
        ("/api/admin/customers/{customer_id:int}/unsuspend", suspension, "unsuspend"),
        ("/api/admin/servers", admin.AllServers(rt), None),
        ("/api/admin/promocodes", admin.PromoCodes(rt), None),
        ("/api/admin/promocodes/{code_id:int}", admin.PromoCodeItem(rt), None),
        ("/api/admin/outbox", admin.Outbox(rt), None),
        ("/api/admin/catalogue", admin_reads.CatalogueDocument(rt), None),
        ("/api/admin/audit", admin_reads.AuditLog(rt), None),
        (
            "/api/admin/customers/{customer_id:int}/transactions",
            admin_reads.CustomerTransactions(rt),
            None,
        ),
        ("/api/admin/customers/{customer_id:int}/servers", admin_reads.CustomerServers(rt), None),
        # Monthly statements: the caller's own, and any customer's for an admin.
        ("/api/statements/{period}", statements.MyStatement(rt), None),
        (
            "/api/admin/customers/{customer_id:int}/statements/{period}",
            statements.CustomerStatement(rt),
            None,
        ),
        # Support tickets: the customer's own, and staff's view of all of them.
        ("/api/tickets", tickets.Tickets(rt), None),
        ("/api/tickets/{ticket_id:int}", tickets.TicketItem(rt), None),
        ("/api/tickets/{ticket_id:int}/messages", tickets.TicketMessages(rt), None),
        ("/api/tickets/{ticket_id:int}/close", tickets.TicketClose(rt), None),
        ("/api/admin/tickets", tickets.AdminTickets(rt), None),
        ("/api/admin/tickets/{ticket_id:int}", tickets.AdminTicketItem(rt), None),
        ("/api/admin/tickets/{ticket_id:int}/messages", tickets.AdminTicketMessages(rt), None),
        ("/api/admin/tickets/{ticket_id:int}/status", tickets.AdminTicketStatus(rt), None),
        # The Oxnack routes: thin aliases over the same resources.
        ("/create_machine", create, None),
        ("/get_balance", balance, None),
        ("/countries", locations, None),
        ("/osystems", images, None),
        ("/parametrs", parameters, None),
        ("/calc_price", quote, None),
    ]
    routes.extend(_payment_routes(rt))
    if isinstance(rt.hypervisor, FakeHypervisor):  # the sandbox's own simulated guests
        load = sandbox.SandboxLoad(rt, rt.hypervisor)
        routes.append(("/api/sandbox/servers/{server_id:int}/load", load, None))
    return routes


def _payment_routes(rt: Runtime) -> Routes:
    """Top-ups, and the notifications of YooKassa when it is the gateway."""
    p = payments
    routes: Routes = [
        ("/api/payments", p.Payments(rt), None),
        ("/api/payments/{payment_id:int}", p.PaymentItem(rt), None),
        ("/api/admin/payments", p.AdminPayments(rt), None),
        ("/api/admin/payments/{payment_id:int}/refund", p.AdminPaymentRefund(rt), None),
    ]
    if isinstance(rt.payments, YooKassaGateway):
        notify = p.YooKassaNotify(rt, rt.payments.notify_from)
        routes.append(("/api/payments/yookassa/notify", notify, None))
    return routes


def middleware_chain(
    runtime: Runtime,
    max_body_bytes: int = 64 * 1024,
    requests_per_minute: int = 600,
    trusted_proxies: tuple[str, ...] = (),
) -> list[Any]:
    """Every request's components, in order (bench/profile_read.py times each one)."""
    return [
        http_metrics.RequestMetrics(),
        RequestContext(max_body_bytes, ClientAddress(trusted_proxies)),
        RateLimit(TokenBucket(requests_per_minute, 60)),
        Authentication(runtime, SCOPES),
        Audit(runtime),
        SecurityHeaders(),
    ]


def create_app(
    runtime: Runtime,
    *,
    max_body_bytes: int = 64 * 1024,
    requests_per_minute: int = 600,
    ready_checks: dict[str, Callable[[], None]] | None = None,
    trusted_proxies: tuple[str, ...] = (),
) -> falcon.App:
    # Made now, not by the first login of an unknown address, which would otherwise cost a hash
    # more than any other login: the timing that tells which addresses have accounts.
    dummy_hash(runtime.hasher)
    app = falcon.App(
        middleware=middleware_chain(  # type: ignore[arg-type]  # falcon's protocols: no mixed list
            runtime, max_body_bytes, requests_per_minute, trusted_proxies
        ),
        cors_enable=False,
    )
    handler = falcon.media.JSONHandler(
        dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    )
    app.req_options.media_handlers[falcon.MEDIA_JSON] = handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = fast_json.response_handler()
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    # The document describes itself too: it is built from the full route table (below), once, when
    # first asked for; an app that never serves it (each HTTP test's) never pays for it.
    spec = meta.OpenApi(runtime, cache(lambda: openapi.build(routes, SCOPES)))
    routes = [*_routes(runtime, ready_checks), ("/api/openapi.json", spec, None)]
    for path, resource, suffix in routes:
        if suffix:
            app.add_route(path, resource, suffix=suffix)
        else:
            app.add_route(path, resource)
    if isinstance(runtime.payments, SandboxGateway):  # a page for people: outside the document
        page = checkout.SandboxCheckout(runtime, runtime.payments)
        app.add_route("/sandbox/checkout/{checkout_id}", page)
    http_metrics.install(app, runtime)
    docs.install(app)
    return app
