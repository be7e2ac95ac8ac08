"""The catalogue, monitoring state, the notification outbox, the audit log and idempotency keys."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb

from adapters.postgres.catalogue_cache import CatalogueCache, Stamp, stamp_of
from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, insert_new, next_id, paged, update_by_id
from domain.model.catalogue import Catalogue
from domain.model.errors import AlreadyExists, Conflict, NoCatalogue, NotFound
from domain.model.notices import Notice
from ports.audit import AuditQuery, AuditRecord
from ports.idempotency import IdempotencyRecord, StoredResponse
from ports.paging import Page


class PostgresCatalogueRepository:
    """Each version is one JSONB document: it is only ever read whole, and parsed once per
    process (`CatalogueCache`)."""

    def __init__(self, db: Db, cache: CatalogueCache | None = None) -> None:
        self._db = db
        self._cache = cache or CatalogueCache()

    def current(self) -> Catalogue:
        newest = self._db.row(
            "SELECT version, xmin::text AS stamp FROM catalogue_versions"
            " ORDER BY version DESC LIMIT 1"
        )
        if newest is None:
            raise NoCatalogue()
        stamp = stamp_of(newest)
        return self._cache.get(stamp, lambda: self._parse(stamp))

    def _parse(self, stamp: Stamp) -> Catalogue:
        document = self._db.scalar(
            "SELECT document FROM catalogue_versions WHERE version = %s AND xmin::text = %s",
            stamp,
        )
        if document is None:  # replaced since the stamp was read: read the newest again
            return self.current()
        data: dict[str, Any] = dict(document)
        data["rates"] = {location: rates for location, rates in data["rates"]}
        return structure(data, Catalogue)

    def publish(self, catalogue: Catalogue) -> None:
        # Publishing is rare; the table lock makes "higher than the current version" hold even
        # when two admins publish at once.
        self._db.run("LOCK TABLE catalogue_versions IN SHARE ROW EXCLUSIVE MODE")
        newest = self._db.scalar("SELECT max(version) FROM catalogue_versions")
        if newest is not None and catalogue.version <= newest:
            raise Conflict(
                f"catalogue version {catalogue.version} is not newer than {newest}",
                current=newest,
            )
        document = unstructure(catalogue)
        # JSON keys are strings; the rates keep their integer location ids as pairs.
        document["rates"] = sorted(document["rates"].items())
        self._db.run(
            "INSERT INTO catalogue_versions (version, document) VALUES (%s, %s)",
            (catalogue.version, Jsonb(document)),
        )


class PostgresOutboxRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "notices")

    def add(self, notice: Notice) -> None:
        if not insert_new(self._db, "notices", unstructure(notice)):
            raise AlreadyExists(f"notice {notice.id} exists", id=notice.id)

    def pending(self, limit: int) -> list[Notice]:
        rows = self._db.rows(
            "SELECT * FROM notices WHERE sent_at IS NULL ORDER BY id LIMIT %s", (max(limit, 0),)
        )
        return [structure(r, Notice) for r in rows]

    def claim_due(self, now: dt.datetime, limit: int) -> list[Notice]:
        rows = self._db.rows(
            "SELECT * FROM notices WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND claimed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
            " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, max(limit, 0)),
        )
        return [structure(r, Notice) for r in rows]

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Notice]:
        rows = self._db.rows(
            "SELECT * FROM notices WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND claimed_at <= %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (claimed_before, max(limit, 0)),
        )
        return [structure(r, Notice) for r in rows]

    def update(self, notice: Notice) -> None:
        if not update_by_id(self._db, "notices", unstructure(notice)):
            raise NotFound("notice", notice.id)

    def for_account(self, account_id: int) -> list[Notice]:
        rows = self._db.rows(
            "SELECT * FROM notices WHERE account_id = %s ORDER BY id", (account_id,)
        )
        return [structure(r, Notice) for r in rows]

    def list(self, page: Page) -> tuple[builtins.list[Notice], int]:
        rows, total = paged(self._db, "SELECT * FROM notices ORDER BY id DESC", (), page)
        return [structure(r, Notice) for r in rows], total


class PostgresAuditLog:
    def __init__(self, db: Db) -> None:
        self._db = db

    def record(self, entry: AuditRecord) -> None:
        data = unstructure(entry)
        data["details"] = Jsonb([list(pair) for pair in entry.details])
        self._db.run(
            "INSERT INTO audit_log (at, actor_id, action, target, result, details)"
            " VALUES (%(at)s, %(actor_id)s, %(action)s, %(target)s, %(result)s, %(details)s)",
            data,
        )

    def recent(self, limit: int) -> list[AuditRecord]:
        rows = self._db.rows(
            "SELECT at, actor_id, action, target, result, details FROM audit_log"
            " ORDER BY id DESC LIMIT %s",
            (max(limit, 0),),
        )
        return [structure(r, AuditRecord) for r in rows]

    def search(self, query: AuditQuery, page: Page) -> tuple[list[AuditRecord], int]:
        where: list[str] = ["TRUE"]
        params: list[object] = []
        if query.actor_id is not None:
            where.append("actor_id = %s")
            params.append(query.actor_id)
        if query.target is not None and query.target.endswith("*"):
            prefix = query.target[:-1]
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("target LIKE %s")
            params.append(escaped + "%")
        elif query.target is not None:
            where.append("target = %s")
            params.append(query.target)
        if query.since is not None:
            where.append("at >= %s")
            params.append(query.since)
        if query.until is not None:
            where.append("at < %s")
            params.append(query.until)
        rows, total = paged(
            self._db,
            "SELECT at, actor_id, action, target, result, details FROM audit_log"
            f" WHERE {' AND '.join(where)} ORDER BY id DESC",  # noqa: S608 - fixed fragments only
            tuple(params),
            page,
        )
        return [structure(r, AuditRecord) for r in rows], total


class PostgresIdempotencyStore:
    """Claimed with INSERT ... ON CONFLICT DO NOTHING: of two racing claims one inserts, and the
    other waits for it to commit and then gets the stored record back.

    A claim records its holder, the application_name of the claiming process's connections (one
    per process, see adapters/postgres/pool.py). A process that dies (SIGKILL, OOM, a machine
    lost) loses its connections at once, so a claim without a response whose holder has none
    left in pg_stat_activity is a request that will never answer: it is taken over, as is one
    whose lease ran out. Taking over is one UPDATE guarded by those conditions, so of two racing
    retries one wins and the other sees the winner's fresh claim. A claim whose request committed a
    change (`changed_at`, written in that change's transaction) is never taken over: its request
    ran, and running it again would do it twice."""

    _HOLDER = "NULLIF(current_setting('application_name'), '')"

    def __init__(self, db: Db) -> None:
        self._db = db

    def claim(
        self, record: IdempotencyRecord, *, stale_before: dt.datetime | None = None
    ) -> IdempotencyRecord | None:
        inserted = self._db.run(
            "INSERT INTO idempotency_keys (account_id, key, fingerprint, created_at, holder)"
            f" VALUES (%s, %s, %s, %s, {self._HOLDER}) ON CONFLICT DO NOTHING",
            (record.account_id, record.key, record.fingerprint, record.created_at),
        )
        if inserted:
            return None
        taken_over = self._db.run(
            "UPDATE idempotency_keys k"
            f" SET created_at = %(at)s, holder = {self._HOLDER}"
            " WHERE account_id = %(account)s AND key = %(key)s AND response_status IS NULL"
            " AND fingerprint = %(fingerprint)s AND changed_at IS NULL"
            " AND (created_at < %(stale_before)s OR (holder IS NOT NULL AND NOT EXISTS ("
            "     SELECT FROM pg_stat_activity a WHERE a.application_name = k.holder)))",
            {
                "at": record.created_at,
                "account": record.account_id,
                "key": record.key,
                "fingerprint": record.fingerprint,
                "stale_before": stale_before,
            },
        )
        if taken_over:
            return None
        row = self._db.row(
            "SELECT account_id, key, fingerprint, created_at, response_status, response_body,"
            " response_content_type, changed_at IS NOT NULL AS changed"
            " FROM idempotency_keys WHERE account_id = %s AND key = %s",
            (record.account_id, record.key),
        )
        if row is None:  # released by its owner between our insert and our read
            return self.claim(record, stale_before=stale_before)
        status = row.pop("response_status")
        body, content_type = row.pop("response_body"), row.pop("response_content_type")
        row["response"] = (
            None
            if status is None
            else {"status": status, "body": bytes(body), "content_type": content_type}
        )
        return structure(row, IdempotencyRecord)

    def mark_changed(self, account_id: int, key: str) -> None:
        """In the transaction of a change the claiming request commits (see REQUEST_CLAIM)."""
        self._db.run(
            "UPDATE idempotency_keys SET changed_at = now() WHERE account_id = %s AND key = %s"
            " AND response_status IS NULL AND changed_at IS NULL",
            (account_id, key),
        )

    def complete(self, account_id: int, key: str, response: StoredResponse) -> None:
        self._db.run(
            "UPDATE idempotency_keys SET response_status = %s, response_body = %s,"
            " response_content_type = %s WHERE account_id = %s AND key = %s",
            (response.status, response.body, response.content_type, account_id, key),
        )

    def release(self, account_id: int, key: str) -> None:
        self._db.run(
            "DELETE FROM idempotency_keys WHERE account_id = %s AND key = %s"
            " AND changed_at IS NULL",  # a committed change keeps its claim: never run again
            (account_id, key),
        )

    def purge_before(self, moment: dt.datetime) -> int:
        return self._db.run("DELETE FROM idempotency_keys WHERE created_at < %s", (moment,))
