"""Second factors in memory. A unit of work holds the store's lock for its whole life, so the
check-and-set of `claim_step` and `spend_recovery_code` cannot interleave with another."""

from __future__ import annotations

import attrs

from adapters.memory.tables import Tables
from domain.model.two_factor import SecondFactor


class InMemorySecondFactorRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def get(self, account_id: int) -> SecondFactor | None:
        found: SecondFactor | None = self._uow.read("second_factors").get(account_id)
        return found

    def save(self, factor: SecondFactor) -> None:
        self._uow.write("second_factors")[factor.account_id] = factor

    def remove(self, account_id: int) -> None:
        if account_id in self._uow.read("second_factors"):
            del self._uow.write("second_factors")[account_id]

    def claim_step(self, account_id: int, step: int) -> bool:
        factor = self.get(account_id)
        if factor is None or (factor.last_step is not None and factor.last_step >= step):
            return False
        self.save(attrs.evolve(factor, last_step=step))
        return True

    def spend_recovery_code(self, account_id: int, digest: str) -> bool:
        factor = self.get(account_id)
        if factor is None or digest not in factor.recovery_digests:
            return False
        left = tuple(d for d in factor.recovery_digests if d != digest)
        self.save(attrs.evolve(factor, recovery_digests=left))
        return True
