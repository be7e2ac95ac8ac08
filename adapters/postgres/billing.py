"""Batch billing in PostgreSQL: a page of due meters in one query, its results in two statements.

Reading: `SELECT ... FOR UPDATE SKIP LOCKED` over the partial index `servers_billable`
(billed_until, id), keyset-paged on that pair. A server another unit of work holds (a concurrent
billing run, or a customer's action) is skipped, never waited for, so two runs at once split the
servers between them and each server is charged once. Only the meter's columns are read, and a
page's meters share their Money and discount values (they are immutable), which keeps building
them cheap.

Writing a page, whatever its size:
1. create the page's missing ledger accounts (`INSERT ... ON CONFLICT DO NOTHING`, of those a
   plain read does not find);
2. one statement whose CTEs insert the transactions and their postings and advance the meters,
   the rows passed as binary arrays (`unnest`). The postings go in as one statement, so the
   posting trigger (migration 0004) locks the page's balance rows in key order, as
   `PostgresLedger.post` does, and moves each balance once per page rather than once per posting.
The database re-checks what the ledger promises (postings sum to zero, the wallet floor for
customer-initiated debits, unique keys), so a bad page fails whole and rolls back. A page checks its
sums at the end of its write rather than at COMMIT, as other writers do: the posting trigger locks
the page's wallets and REVENUE at the very end of that statement, so checked first (three checks a
charge) those rows are held only from the trigger to COMMIT, and a customer ordering meanwhile, or
the other page loop, waits for that much and not for the checks too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.postgres.session import Db, translated
from domain.model.errors import Conflict, NotFound
from domain.model.ledger import TxKind
from domain.model.metering import Meter, PendingRate
from domain.model.money import Money
from domain.model.promo import DiscountTerms
from domain.model.server_status import BILLABLE
from ports.billing import BilledMeter, DueMeter

# Literal rather than a parameter, so the planner can match the partial index's predicate.
_BILLABLE = ", ".join(f"'{state.value}'" for state in BILLABLE)
_DUE = f"""
SELECT id, owner_id, name, catalogue_version, currency, hourly_micro, monthly_cap_micro,
       discount_percent, discount_until, first_charge_off_micro, billed_until, meter_month,
       month_seconds, month_list_micro, month_carried_micro, month_discounted_list_micro,
       month_discount_micro, pending_hourly_micro, pending_monthly_cap_micro, pending_starts
  FROM servers
 WHERE status IN ({_BILLABLE}) AND NOT suspended_by_admin
   AND billed_until <= %(due_by)s
   AND (billed_until, id) > (%(after_watermark)s, %(after_id)s)
 ORDER BY billed_until, id
 LIMIT %(limit)s
   FOR UPDATE SKIP LOCKED
"""

# Migration 0001's deferred balance checks, made immediate for this page's transaction only.
_CHECK_AT_THE_WRITE = "SET CONSTRAINTS postings_sum_to_zero, transaction_has_postings IMMEDIATE"

# Only the accounts not there yet: ON CONFLICT alone would wait on a balance row that another
# page has moved and not yet committed (REVENUE, always), to see whether the row still conflicts.
_CREATE_ACCOUNTS = """
INSERT INTO account_balances (account_key, kind, currency, customer_id)
SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::bigint[])
       AS new (account_key, kind, currency, customer_id)
 WHERE NOT EXISTS (SELECT FROM account_balances a WHERE a.account_key = new.account_key)
 ORDER BY 1
ON CONFLICT (account_key) DO NOTHING
"""

_WRITE = """
WITH txs AS (
    INSERT INTO ledger_transactions
           (key, kind, currency, created_at, memo, customer_initiated, server_id,
            catalogue_version)
    SELECT * FROM unnest(%(keys)b::text[], %(kinds)b::text[], %(currencies)b::text[],
                         %(created_at)b::timestamptz[], %(memos)b::text[], %(initiated)b::bool[],
                         %(server_ids)b::bigint[], %(catalogue_versions)b::int[])
    RETURNING id, key
), posted AS (
    INSERT INTO postings (tx_id, position, account_key, amount)
    SELECT txs.id, p.position, p.account_key, p.amount
      FROM unnest(%(p_keys)b::text[], %(p_positions)b::smallint[], %(p_accounts)b::text[],
                  %(p_amounts)b::bigint[]) AS p (key, position, account_key, amount)
      JOIN txs USING (key)
)
UPDATE servers s
   SET billed_until = m.billed_until, meter_month = m.month, month_seconds = m.seconds,
       month_list_micro = m.list, month_carried_micro = m.carried,
       month_discounted_list_micro = m.discounted_list, month_discount_micro = m.discount,
       hourly_micro = m.hourly, monthly_cap_micro = m.cap, pending_hourly_micro = m.pending_hourly,
       pending_monthly_cap_micro = m.pending_cap, pending_starts = m.pending_starts
  FROM unnest(%(m_ids)b::bigint[], %(m_billed_until)b::timestamptz[], %(m_months)b::timestamptz[],
              %(m_seconds)b::bigint[], %(m_list)b::bigint[], %(m_carried)b::bigint[],
              %(m_discounted_list)b::bigint[], %(m_discount)b::bigint[], %(m_hourly)b::bigint[],
              %(m_cap)b::bigint[], %(m_pending_hourly)b::bigint[], %(m_pending_cap)b::bigint[],
              %(m_pending_starts)b::timestamptz[])
       AS m (id, billed_until, month, seconds, list, carried, discounted_list, discount, hourly,
             cap, pending_hourly, pending_cap, pending_starts)
 WHERE s.id = m.id
"""

_BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)


class PostgresBillingBatches:
    def __init__(self, db: Db) -> None:
        self._db = db

    def due_meters(
        self, due_by: dt.datetime, limit: int, after: DueMeter | None = None
    ) -> list[DueMeter]:
        # Plain tuples rather than the repositories' dict rows: a page is thousands of them.
        with translated(), self._db.conn.cursor() as cur:
            cur.execute(
                _DUE,
                {
                    "due_by": due_by,
                    "after_watermark": after.meter.billed_until if after else _BEFORE_ALL,
                    "after_id": after.server_id if after else 0,
                    "limit": max(limit, 0),
                },
            )
            rows = cur.fetchall()
        return _MeterReader().read(rows)

    def record(self, billed: list[BilledMeter]) -> None:
        if not billed:
            return
        charges = [tx for result in billed for tx in result.charges]
        accounts = sorted({p.account for tx in charges for p in tx.postings}, key=lambda a: a.key)
        if accounts:
            self._db.run(
                _CREATE_ACCOUNTS,
                (
                    [a.key for a in accounts],
                    [a.kind.value for a in accounts],
                    [a.currency for a in accounts],
                    [a.customer_id for a in accounts],
                ),
            )
        # Immediate constraint triggers fire at the end of the write, before its statement-level
        # posting trigger, which is queued after them (see the module's docstring).
        self._db.run(_CHECK_AT_THE_WRITE)
        updated = self._db.run(_WRITE, _write_params(billed))
        if updated != len(billed):
            raise NotFound("server", "one of the page's servers is gone")


def _write_params(billed: list[BilledMeter]) -> dict[str, Any]:
    txs = [tx for result in billed for tx in result.charges]
    for tx in txs:
        # Holds, settlements and reversals keep state beside the postings (ledger_holds, the
        # reversed key); only PostgresLedger.post writes those.
        if tx.kind is not TxKind.USAGE or tx.hold_key is not None or tx.reverses is not None:
            raise Conflict("a billing page posts only usage charges", key=tx.key)
    postings = [(tx.key, n, p) for tx in txs for n, p in enumerate(tx.postings)]
    meters = [(result.server_id, result.meter) for result in billed]
    return {
        "keys": [tx.key for tx in txs],
        "kinds": [tx.kind.value for tx in txs],
        "currencies": [tx.currency for tx in txs],
        "created_at": [tx.created_at for tx in txs],
        "memos": [tx.memo for tx in txs],
        "initiated": [tx.customer_initiated for tx in txs],
        "server_ids": [tx.server_id for tx in txs],
        "catalogue_versions": [tx.catalogue_version for tx in txs],
        "p_keys": [key for key, _, _ in postings],
        "p_positions": [n for _, n, _ in postings],
        "p_accounts": [p.account.key for _, _, p in postings],
        "p_amounts": [p.amount for _, _, p in postings],
        "m_ids": [server_id for server_id, _ in meters],
        "m_billed_until": [m.billed_until for _, m in meters],
        "m_months": [m.month for _, m in meters],
        "m_seconds": [m.month_seconds for _, m in meters],
        "m_list": [m.month_list_micro for _, m in meters],
        "m_carried": [m.month_carried_micro for _, m in meters],
        "m_discounted_list": [m.month_discounted_list_micro for _, m in meters],
        "m_discount": [m.month_discount_micro for _, m in meters],
        # A run may have taken up a pending rate (a licence change whose month has come).
        "m_hourly": [m.hourly.micro for _, m in meters],
        "m_cap": [m.monthly_cap.micro for _, m in meters],
        "m_pending_hourly": [m.pending.hourly.micro if m.pending else None for _, m in meters],
        "m_pending_cap": [m.pending.monthly_cap.micro if m.pending else None for _, m in meters],
        "m_pending_starts": [m.pending.starts if m.pending else None for _, m in meters],
    }


class _MeterReader:
    """Builds a page's meters from rows, sharing equal Money and discount values between them."""

    def __init__(self) -> None:
        self._money: dict[tuple[int, str], Money] = {}
        self._terms: dict[tuple[int, dt.datetime | None, int | None, str], DiscountTerms] = {}

    def read(self, rows: list[tuple[Any, ...]]) -> list[DueMeter]:
        return [self._due(row) for row in rows]

    def _due(self, row: tuple[Any, ...]) -> DueMeter:
        (
            server_id,
            owner_id,
            name,
            catalogue_version,
            currency,
            hourly,
            cap,
            percent,
            until,
            first_off,
            billed_until,
            month,
            seconds,
            list_micro,
            carried,
            discounted_list,
            discount,
            pending_hourly,
            pending_cap,
            pending_starts,
        ) = row
        pending = (
            None
            if pending_hourly is None
            else PendingRate(
                self._amount(pending_hourly, currency),
                self._amount(pending_cap, currency),
                _utc(pending_starts),
            )
        )
        meter = Meter(
            self._amount(hourly, currency),
            self._amount(cap, currency),
            self._discount(percent, until, first_off, currency),
            _utc(billed_until),
            _utc(month),
            seconds,
            list_micro,
            carried,
            discounted_list,
            discount,
            pending,
        )
        return DueMeter(server_id, owner_id, name, catalogue_version, meter)

    def _amount(self, micro: int, currency: str) -> Money:
        found = self._money.get((micro, currency))
        if found is None:
            found = self._money[(micro, currency)] = Money(micro, currency)
        return found

    def _discount(
        self, percent: int, until: dt.datetime | None, first_off: int | None, currency: str
    ) -> DiscountTerms:
        key = (percent, until, first_off, currency)
        found = self._terms.get(key)
        if found is None:
            off = None if first_off is None else self._amount(first_off, currency)
            found = DiscountTerms(percent, None if until is None else _utc(until), off)
            self._terms[key] = found
        return found


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is dt.UTC else moment.astimezone(dt.UTC)
