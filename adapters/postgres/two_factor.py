"""Second factors in PostgreSQL, one row per account.

Using a code is one conditional UPDATE: under READ COMMITTED the second of two racing statements
waits for the first's row lock, then re-checks its WHERE against the committed row and finds the
step (or the recovery code) taken, so exactly one of them counts a row.
"""

from __future__ import annotations

from adapters.postgres.rows import structure
from adapters.postgres.session import Db
from domain.model.two_factor import SecondFactor

_COLUMNS = "account_id, sealed_secret, enabled_at, last_step, recovery_digests"


class PostgresSecondFactorRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, account_id: int) -> SecondFactor | None:
        row = self._db.row(
            f"SELECT {_COLUMNS} FROM second_factors WHERE account_id = %s", (account_id,)
        )
        return structure(row, SecondFactor) if row else None

    def save(self, factor: SecondFactor) -> None:
        self._db.run(
            f"INSERT INTO second_factors ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (account_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret,"
            " enabled_at = EXCLUDED.enabled_at, last_step = EXCLUDED.last_step,"
            " recovery_digests = EXCLUDED.recovery_digests",
            (
                factor.account_id,
                factor.sealed_secret,
                factor.enabled_at,
                factor.last_step,
                list(factor.recovery_digests),
            ),
        )

    def remove(self, account_id: int) -> None:
        self._db.run("DELETE FROM second_factors WHERE account_id = %s", (account_id,))

    def claim_step(self, account_id: int, step: int) -> bool:
        return (
            self._db.run(
                "UPDATE second_factors SET last_step = %(step)s WHERE account_id = %(id)s"
                " AND (last_step IS NULL OR last_step < %(step)s)",
                {"id": account_id, "step": step},
            )
            == 1
        )

    def spend_recovery_code(self, account_id: int, digest: str) -> bool:
        return (
            self._db.run(
                "UPDATE second_factors SET recovery_digests = array_remove(recovery_digests, %(d)s)"
                " WHERE account_id = %(id)s AND %(d)s = ANY (recovery_digests)",
                {"id": account_id, "d": digest},
            )
            == 1
        )
