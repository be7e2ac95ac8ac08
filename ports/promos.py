"""Promo codes and the record of each use of one."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Protocol

import attrs

from domain.model.promo import PromoCode
from ports.paging import Page


@attrs.frozen
class Redemption:
    code_id: int
    customer_id: int
    reference: str  # "server:42" or "balance"
    at: dt.datetime


class PromoCodeRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, code: PromoCode) -> None:
        """Raises AlreadyExists for a code text already in use."""
        ...

    def get(self, code_id: int) -> PromoCode | None: ...
    def by_code(self, code: str) -> PromoCode | None: ...
    def update(self, code: PromoCode) -> None: ...
    def list(self, page: Page) -> tuple[builtins.list[PromoCode], int]: ...
    def uses_by(self, code_id: int, customer_id: int) -> int: ...
    def redeem(self, code_id: int, redemption: Redemption) -> PromoCode:
        """Record a use atomically: re-checks the total and per-customer limits against the stored
        code and raises PromoCodeRejected (exhausted / already_used) when either is reached."""
        ...

    def give_back(self, code_id: int, customer_id: int, reference: str) -> None:
        """Undo a redemption made for `reference` (a failed order); nothing if there was none."""
        ...
