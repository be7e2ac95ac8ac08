"""The catalogue document's reader: whatever a document holds, the answer is a catalogue or the
list of its problems, never a crash; and the example file is the sandbox's catalogue."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.catalogue_document import CatalogueRejected, read_catalogue
from domain.model.catalogue_writer import write_catalogue
from entrypoints.catalogue_toml import dump_toml, parse_toml
from entrypoints.sandbox import sandbox_catalogue

EXAMPLE = tomllib.loads(
    (Path(__file__).parents[2] / "deploy" / "catalogue.example.toml").read_text("utf-8")
)

# What TOML (and JSON) can put in a place: scalars, lists and tables of them.
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _places(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _places(value, (*path, key))
    elif isinstance(document, list):
        for n, value in enumerate(document):
            found += _places(value, (*path, n))
    return found


PLACES = _places(EXAMPLE)


def test_the_example_is_the_sandbox_catalogue() -> None:
    assert read_catalogue(EXAMPLE, currency="RUB", version=1) == sandbox_catalogue()
    assert {k: v for k, v in write_catalogue(sandbox_catalogue()).items() if k != "version"} == (
        EXAMPLE
    )


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES[1:]), value=VALUES, drop=st.booleans())
def test_any_change_is_read_or_refused_with_its_problems(
    place: tuple[Any, ...], value: Any, drop: bool
) -> None:
    document = copy.deepcopy(EXAMPLE)
    parent = document
    for step in place[:-1]:
        parent = parent[step]
    if drop:
        del parent[place[-1]]
    else:
        parent[place[-1]] = value
    try:
        catalogue = read_catalogue(document, currency="RUB", version=2)
    except CatalogueRejected as ex:
        assert ex.problems and all(isinstance(p, str) and p for p in ex.problems)
    else:  # still a sound document: what it reads as is written back the same
        assert read_catalogue(write_catalogue(catalogue), currency="RUB", version=2) == catalogue


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
        str.strip
    ),
    code=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)
def test_the_toml_written_reads_back_whatever_the_text(name: str, code: str) -> None:
    document = copy.deepcopy(EXAMPLE)
    document["images"][0]["name"] = name
    document["tariffs"][0]["name"] = name
    document["locations"][2]["city"] = name
    document["images"][0]["templates"] = {"nl-ams-1": f"local:vztmpl/{code or 'x'}.tar.zst"}
    catalogue = read_catalogue(document, currency="RUB", version=1)

    written = dump_toml(write_catalogue(catalogue))

    assert read_catalogue(parse_toml(written), currency="RUB", version=1) == catalogue


def test_text_with_control_characters_is_refused() -> None:
    document = copy.deepcopy(EXAMPLE)
    document["images"][0]["name"] = "Ubuntu\x00 24.04"
    document["locations"][0]["city"] = "Mos\ncow"

    try:
        read_catalogue(document, currency="RUB", version=1)
    except CatalogueRejected as ex:
        problems = ex.problems
    assert problems == [
        "[[locations]] #1 (ru-msk-1) city: must not hold control characters",
        "[[images]] #1 (Ubuntu\\x00 24.04) name: must not hold control characters",
    ]


def test_numbers_and_text_fit_what_the_database_holds() -> None:
    document = copy.deepcopy(EXAMPLE)
    document["tariffs"][1]["id"] = 2**31
    document["locations"][1]["name"] = "x" * 256

    try:
        read_catalogue(document, currency="RUB", version=1)
    except CatalogueRejected as ex:
        problems = ex.problems
    assert problems == [
        "[[locations]] #2 (ru-spb-1) name: must be at most 255 characters",
        "[[tariffs]] #2 (Базовый) id: must be within 1..2147483647",
    ]
