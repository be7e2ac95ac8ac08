"""One page of a long list, as every listing repository takes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen
class Page:
    page: int = 1
    per_page: int = 25

    def __attrs_post_init__(self) -> None:
        if self.page < 1 or not 1 <= self.per_page <= 100:
            raise ValueError("page starts at 1 and per_page is within 1..100")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def cut(self, items: Sequence[T]) -> tuple[list[T], int]:
        """This page of `items` (in their order), and how many there are in all."""
        return list(items[self.offset : self.offset + self.per_page]), len(items)
