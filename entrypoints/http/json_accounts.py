"""JSON views of accounts and what the books and the admin keep of them: tokens, transactions,
promo codes, notices, audit entries."""

from __future__ import annotations

from domain.model.accounts import Account, ApiToken
from domain.model.ledger import LedgerAccount, Transaction
from domain.model.money import Money
from domain.model.notices import Notice
from domain.model.promo import PromoCode
from entrypoints.http.json_values import Json, money, when
from ports.audit import AuditRecord


def account(a: Account) -> Json:
    return {
        "id": a.id,
        "email": a.email,
        "role": a.role.value,
        "standing": a.standing.value,
        "disabled": a.disabled,
        "currency": a.currency,
        "createdAt": when(a.created_at),
    }


def token(t: ApiToken) -> Json:
    return {
        "id": t.id,
        "name": t.name,
        "createdAt": when(t.created_at),
        "expiresAt": when(t.expires_at),
        "lastUsedAt": when(t.last_used_at),
        "scopes": sorted(t.scopes),
    }


def transaction(tx: Transaction, customer_id: int) -> Json:
    """A transaction from the customer's side: what it did to their balance (and holds)."""
    wallet = tx.change_for(LedgerAccount.wallet(customer_id, tx.currency))
    held = tx.change_for(LedgerAccount.holds(customer_id, tx.currency))
    return {
        "id": tx.key,
        "type": tx.kind.value,
        "amount": money(Money(wallet, tx.currency), 6),
        "held": money(Money(held, tx.currency), 6),
        "description": tx.memo,
        "serverId": tx.server_id,
        "createdAt": when(tx.created_at),
    }


def promo(p: PromoCode) -> Json:
    return {
        "id": p.id,
        "code": p.code,
        "kind": p.kind.value,
        "percent": p.percent,
        "amount": money(p.amount) if p.amount else None,
        "duration": p.duration.value,
        "durationDays": p.duration_days,
        "validFrom": when(p.valid_from),
        "validUntil": when(p.valid_until),
        "maxUses": p.max_uses,
        "maxUsesPerCustomer": p.max_uses_per_customer,
        "tariffIds": sorted(p.tariff_ids),
        "locationIds": sorted(p.location_ids),
        "uses": p.uses,
        "active": p.active,
    }


def notice(n: Notice) -> Json:
    """An outbox entry as the admin reads it: what was (or would be) sent, and how it went."""
    return {
        "id": n.id,
        "userId": n.account_id,
        "to": n.to,
        "kind": n.template,
        "subject": n.subject,
        "text": n.body,
        "html": n.html,
        "status": n.status.value,
        "attempts": n.attempts,
        "lastError": n.last_error,
        "createdAt": when(n.created_at),
        "nextAttemptAt": when(n.next_attempt_at),
        "sentAt": when(n.sent_at),
        "failedAt": when(n.failed_at),
    }


def audit_entry(entry: AuditRecord) -> Json:
    return {
        "at": when(entry.at),
        "actorId": entry.actor_id,  # None: the system (a tick); 0: the operator's CLI
        "action": entry.action,
        "target": entry.target,
        "result": entry.result,
        "details": dict(entry.details),
    }
