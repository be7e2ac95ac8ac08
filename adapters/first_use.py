"""A unit of work's repository, made on first use.

A unit of work lends two dozen repositories and a request touches two or three of them; making
them all up front cost some 15-18 us a unit of work, on every request, on both stores. Declared on
the class (`accounts = on_first_use(AccountRepository)`), a repository is made from the unit of
work the first time it is asked for and then kept in that unit of work's own attributes, so every
later use is a plain attribute read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

U = TypeVar("U")
R = TypeVar("R")


class on_first_use(Generic[U, R]):  # noqa: N801  # used like `property`
    def __init__(self, make: Callable[[U], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> on_first_use[U, R]: ...
    @overload
    def __get__(self, uow: U, owner: type) -> R: ...
    def __get__(self, uow: U | None, owner: type) -> Any:
        if uow is None:
            return self
        # No __set__: this is a non-data descriptor, so once the instance holds the name, Python
        # reads it from there and never calls this again.
        made = uow.__dict__[self._name] = self._make(uow)
        return made
