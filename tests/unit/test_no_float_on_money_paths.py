"""A cheap guard that "no float anywhere on a money path" stays true (DESIGN §2).

Every module of domain/model (but the alerts, whose percentages are measurements, and any stats
records) must not call float(). The money modules must not hold a float literal, divide with `/`
(true division of ints is a float) or ask a timedelta for its float total_seconds().
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[2] / "domain" / "model"
MONEY_MODULES = ("money", "catalogue", "pricing", "promo", "ledger", "metering", "dunning")
EXEMPT = {"alerts"}


def float_uses(source: str, *, money: bool) -> list[str]:
    """What in `source` lets a float in, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
        ):
            found.append(f"{line}: float() call")
        if not money:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"{line}: float literal {node.value!r}")
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            found.append(f"{line}: true division")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "total_seconds"
        ):
            found.append(f"{line}: total_seconds()")
    return found


def checked_modules() -> list[Path]:
    return sorted(
        p
        for p in MODEL.glob("*.py")
        if p.stem not in EXEMPT and "stats" not in p.stem and p.stem != "__init__"
    )


def test_money_modules_exist() -> None:
    # A renamed module would silently leave the guard; make the rename touch this list.
    assert {p.stem for p in checked_modules()} >= set(MONEY_MODULES)


@pytest.mark.parametrize("path", checked_modules(), ids=lambda p: p.stem)
def test_no_float(path: Path) -> None:
    assert float_uses(path.read_text(encoding="utf-8"), money=path.stem in MONEY_MODULES) == []


@pytest.mark.parametrize(
    ("source", "money", "expected"),
    [
        ("x = float(y)", False, ["1: float() call"]),
        ("RATE = 1.5", True, ["1: float literal 1.5"]),
        ("RATE = 1.5", False, []),  # a literal is fine outside money modules
        ("half = a / 2", True, ["1: true division"]),
        ("a /= 2", True, ["1: true division"]),
        ("s = (b - a).total_seconds()", True, ["1: total_seconds()"]),
        ("q = a // b\nn = int(x)\nok = isinstance(v, float)", True, []),
    ],
)
def test_the_guard_itself_bites(source: str, money: bool, expected: list[str]) -> None:
    assert float_uses(source, money=money) == expected
