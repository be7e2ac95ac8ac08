"""The operator publishing catalogue documents (the example file, edited by a step)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, then, when

from domain.usecases.catalogue_admin import publish_catalogue

from .common import NAME, Outcome, Shop, attempt
from .servers import SERVER, SIZE, custom_order, place_order

EXAMPLE = Path(__file__).parents[3] / "deploy" / "catalogue.example.toml"


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def _image(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(i for i in document["images"] if i["name"] == name)


def _location(document: dict[str, Any], city: str) -> dict[str, Any]:
    return next(loc for loc in document["locations"] if loc["city"] == city)


@given(
    parsers.re(
        r"^the operator has published the example catalogue with a core in (?P<city>\w+) "
        r"at (?P<rate>[\d.]+) an hour$"
    )
)
def _published_with_rate(shop: Shop, city: str, rate: str) -> None:
    document = example()
    _location(document, city)["rates"]["per_core"] = rate
    publish_catalogue(shop.rt, shop.admin, document)


@given(
    parsers.re(
        r"^the operator has published the example catalogue saying (?P<image>.+) "
        r"has no guest agent$"
    )
)
def _published_without_agent(shop: Shop, image: str) -> None:
    document = example()
    _image(document, image)["guest_agent"] = False
    publish_catalogue(shop.rt, shop.admin, document)


@when(
    parsers.re(
        r"^the operator publishes the example catalogue with a core in (?P<city>\w+) at "
        r"(?P<rate>[\d.]+) as a number and (?P<image>.+) from template (?P<template>\d+)$"
    ),
    target_fixture="outcome",
)
def _publishes_mistakes(shop: Shop, city: str, rate: str, image: str, template: str) -> Outcome:
    document = example()
    _location(document, city)["rates"]["per_core"] = float(rate)
    _image(document, image)["template"] = template
    return attempt(lambda: publish_catalogue(shop.rt, shop.admin, document))


@then("the catalogue is refused with these problems:")
def _refused_with(outcome: Outcome, datatable: list[list[str]]) -> None:
    assert outcome.error is not None, f"expected a refusal, got {outcome.value!r}"
    assert outcome.error.details["problems"] == [row[0] for row in datatable[1:]]


@then(parsers.parse("the current catalogue is still version {version:d}"))
def _still(shop: Shop, version: int) -> None:
    assert shop.catalogue.version == version


@then(parsers.parse("the quote names catalogue version {version:d}"))
def _quote_version(outcome: Outcome, version: int) -> None:
    assert outcome.result().quote.catalogue_version == version


@given(
    parsers.re(
        rf"^{NAME} has ordered a server {SERVER} with {SIZE} with (?P<os>.+?) in (?P<city>\w+)$"
    )
)
def _has_ordered_custom(
    shop: Shop, name: str, server: str, cores: str, memory: str, disk: str, os: str, city: str
) -> None:
    place_order(shop, name, custom_order(shop, server, cores, memory, disk, os, city)).result()
