"""The scope each route needs, declared once for the whole route table (entrypoints/http/app.py):
a test holds the two to each other, and the OpenAPI document shows each operation's scope."""

from __future__ import annotations

from domain.model.scopes import Scope
from entrypoints.http.scopes import BILLING, PUBLIC, SERVERS, RouteScope, ScopeTable

# The one scope each route's operations need from a personal access token (entrypoints/http/
# scopes.py); sessions and tokens from before scopes have them all. Every route is here: a test
# walks the table above against this one.
ROUTE_SCOPES: dict[str, RouteScope] = {
    "/healthz": PUBLIC,
    "/readyz": PUBLIC,
    "/api/openapi.json": PUBLIC,
    "/api/auth/register": PUBLIC,
    "/api/auth/login": PUBLIC,
    "/api/auth/password-reset": PUBLIC,
    "/api/auth/password-reset/confirm": PUBLIC,
    "/api/locations": PUBLIC,
    "/api/os": PUBLIC,
    "/api/tariffs": PUBLIC,
    "/api/parameters": PUBLIC,
    "/countries": PUBLIC,
    "/osystems": PUBLIC,
    "/parametrs": PUBLIC,
    **dict.fromkeys(
        (
            "/api/auth/logout",
            "/api/auth/me",
            "/api/auth/logout-all",
            "/api/auth/password",
            "/api/tokens",
            "/api/tokens/{token_id:int}",
            "/api/auth/2fa",
            "/api/auth/2fa/setup",
            "/api/auth/2fa/enable",
            "/api/auth/2fa/disable",
            "/api/auth/2fa/recovery-codes",
            # Where the account's events are sent: the account's settings, not a server's.
            "/api/webhooks",
            "/api/webhooks/{webhook_id:int}",
            "/api/webhooks/{webhook_id:int}/deliveries",
        ),
        Scope.ACCOUNT,
    ),
    # A quote prices an order and changes nothing: a POST that reads.
    "/api/quote": Scope.SERVERS_READ,
    "/calc_price": Scope.SERVERS_READ,
    **dict.fromkeys(
        ("/api/balance", "/api/transactions", "/api/promocodes/redeem", "/get_balance"), BILLING
    ),
    **dict.fromkeys(
        (
            "/api/server",
            "/api/server/create",
            "/api/server/console",
            "/api/server/{server_id:int}",
            "/api/server/{server_id:int}/status",
            "/api/server/{server_id:int}/metrics",
            "/api/server/{server_id:int}/start",
            "/api/server/{server_id:int}/stop",
            "/api/server/{server_id:int}/restart",
            "/api/server/{server_id:int}/password",
            "/api/server/{server_id:int}/resize",
            "/api/server/{server_id:int}/rebuild",
            "/api/server/{server_id:int}/snapshots",
            "/api/server/{server_id:int}/snapshots/rollback",
            "/api/server/{server_id:int}/actions",
            "/api/server/{server_id:int}/firewall",
            "/api/actions/{action_id:int}",
            "/create_machine",
            "/api/ssh-keys",  # the keys servers are created and rebuilt with
            "/api/ssh-keys/{key_id:int}",
        ),
        SERVERS,
    ),
    **dict.fromkeys(
        (
            "/api/admin/customers",
            "/api/admin/customers/{customer_id:int}/balance",
            "/api/admin/customers/{customer_id:int}/credit",
            "/api/admin/customers/{customer_id:int}/debit",
            "/api/admin/customers/{customer_id:int}/suspend",
            "/api/admin/customers/{customer_id:int}/unsuspend",
            "/api/admin/servers",
            "/api/admin/promocodes",
            "/api/admin/promocodes/{code_id:int}",
            "/api/admin/outbox",
            "/api/admin/catalogue",
            "/api/admin/audit",
            "/api/admin/customers/{customer_id:int}/transactions",
            "/api/admin/customers/{customer_id:int}/servers",
            "/api/sandbox/servers/{server_id:int}/load",
            "/api/admin/customers/{customer_id:int}/statements/{period}",
            "/api/admin/tickets",
            "/api/admin/tickets/{ticket_id:int}",
            "/api/admin/tickets/{ticket_id:int}/messages",
            "/api/admin/tickets/{ticket_id:int}/status",
        ),
        Scope.ADMIN,
    ),
    # A statement reads the customer's money; tickets are their own scope.
    "/api/statements/{period}": BILLING,
    **dict.fromkeys(
        (
            "/api/tickets",
            "/api/tickets/{ticket_id:int}",
            "/api/tickets/{ticket_id:int}/messages",
            "/api/tickets/{ticket_id:int}/close",
        ),
        Scope.TICKETS,
    ),
    # Top-ups (the checkout page and YooKassa's notifications are public: no token, no scope).
    "/api/payments": BILLING,
    "/api/payments/{payment_id:int}": BILLING,
    "/api/admin/payments": Scope.ADMIN,
    "/api/admin/payments/{payment_id:int}/refund": Scope.ADMIN,
}
SCOPES = ScopeTable(ROUTE_SCOPES)
