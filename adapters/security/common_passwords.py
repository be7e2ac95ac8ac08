"""The 10,000 most common passwords, which the password policy refuses (lower-cased).

The list is data derived by `derive_common_passwords.py` beside it and checked in, so nothing is
fetched at run time."""

from __future__ import annotations

import functools
from pathlib import Path

LIST = Path(__file__).with_name("common-passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    return frozenset(LIST.read_text(encoding="utf-8").splitlines())
