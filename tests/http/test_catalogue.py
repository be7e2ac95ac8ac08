"""The catalogue and quotes, on the /api routes and on the Oxnack aliases."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import RFC3339_UTC, Api, User, assert_error, is_money

ALIASES = [
    ("/api/locations", "/countries"),
    ("/api/os", "/osystems"),
    ("/api/parameters", "/parametrs"),
]


def test_locations(api: Api) -> None:
    result = api.get("/api/locations")

    assert result.status_code == 200
    assert [loc["code"] for loc in result.json] == ["ru-msk-1", "ru-spb-1", "nl-ams-1"]
    assert result.json[0] == {
        "id": 1,
        "code": "ru-msk-1",
        "name": "Moscow",
        "country": "RU",
        "city": "Moscow",
        "datacenter": "MSK-DC1",
    }


def test_operating_systems(api: Api) -> None:
    result = api.get("/api/os")

    assert result.status_code == 200
    assert len(result.json) == 5
    windows = next(i for i in result.json if i["id"] == 5)
    assert windows == {
        "id": 5,
        "name": "Windows Server 2022",
        "type": "windows",
        "family": "windows",
        "version": "2022",
        "guestKind": "qemu",
        "licenceHourly": {"amount": "1.500000", "exact": "1.500000", "currency": "RUB"},
        "defaultUser": "Administrator",
        "passwordReset": True,
    }


def test_tariffs(api: Api) -> None:
    result = api.get("/api/tariffs")

    assert result.status_code == 200
    assert [(t["id"], t["name"], t["price"]["amount"]) for t in result.json] == [
        (1, "Старт", "300.00"),
        (2, "Базовый", "600.00"),
        (3, "Про", "1800.00"),
    ]
    assert result.json[0] == {
        "id": 1,
        "name": "Старт",
        "cores": 1,
        "memory": 1024,
        "disk": 20,
        "price": {"amount": "300.00", "exact": "300.000000", "currency": "RUB"},
        "locationIds": [],
    }
    assert "Старт" in result.content.decode("utf-8")  # sent as UTF-8, not \\u escapes


def test_parameters(api: Api) -> None:
    result = api.get("/api/parameters")

    assert result.status_code == 200
    body = result.json
    assert body["currency"] == "RUB" and body["hoursPerMonth"] == 730
    assert body["limits"]["memory"] == {"min": 512, "max": 131072, "step": 512, "unit": "MiB"}
    assert body["rates"][0] == {
        "locationId": 1,
        "perCoreHour": {"amount": "0.500000", "exact": "0.500000", "currency": "RUB"},
        "perGibMemoryHour": {"amount": "0.250000", "exact": "0.250000", "currency": "RUB"},
        "perGibDiskHour": {"amount": "0.010000", "exact": "0.010000", "currency": "RUB"},
    }


@pytest.mark.parametrize(("route", "alias"), ALIASES)
def test_the_oxnack_catalogue_aliases_answer_the_same(api: Api, route: str, alias: str) -> None:
    ours, theirs = api.get(route), api.get(alias)

    assert ours.status_code == theirs.status_code == 200
    assert theirs.json == ours.json


def test_the_catalogue_is_public_but_a_bad_token_is_still_refused_on_the_quote(api: Api) -> None:
    assert api.get("/api/tariffs", headers={"Authorization": "Bearer nonsense"}).status_code == 200
    result = api.post(
        "/api/quote", json={"osId": 1, "tariffId": 1}, headers={"Authorization": "Bearer nonsense"}
    )
    assert_error(result, 401, "unauthenticated")


# --- quotes ---------------------------------------------------------------------------------------


def _check_quote_shape(body: dict[str, Any]) -> None:
    assert {"quoteId", "expiresAt", "hourly", "monthly", "discount", "firstCharge"} <= set(body)
    for field in ("hourly", "monthly", "discount", "firstCharge"):
        assert is_money(body[field]), (field, body[field])
    assert RFC3339_UTC.match(body["expiresAt"])


@pytest.mark.parametrize("path", ["/api/quote", "/calc_price"])
def test_a_quote_for_a_tariff(api: Api, path: str) -> None:
    result = api.post(path, json={"osId": 1, "tariffId": 1})

    assert result.status_code == 200
    body = result.json
    _check_quote_shape(body)
    assert body["expiresAt"] == "2026-01-15T10:15:00Z"
    assert (
        body["hourly"]["amount"],
        body["monthly"]["amount"],
        body["firstCharge"]["amount"],
        body["discount"]["amount"],
    ) == ("0.950000", "300.00", "0.950000", "0.000000")
    assert (body["locationId"], body["cores"], body["memory"], body["disk"]) == (1, 1, 1024, 20)


def test_a_quote_for_a_custom_size(api: Api, customer: User) -> None:
    result = api.post(
        "/api/quote",
        user=customer,
        json={"osId": 5, "locationId": 3, "cores": 2, "memory": 4096, "disk": 50},
    )

    assert result.status_code == 200
    _check_quote_shape(result.json)
    # 2 x 0.60 + 4 x 0.30 + 50 x 0.012 + the 1.50 licence
    assert result.json["hourly"] == {"amount": "4.500000", "exact": "4.500000", "currency": "RUB"}
    assert result.json["tariffId"] is None


def test_a_quote_with_a_percent_promo_code(api: Api, admin: User, customer: User) -> None:
    api.post(
        "/api/admin/promocodes", user=admin, json={"code": "HALF", "kind": "percent", "percent": 50}
    )

    result = api.post(
        "/api/quote", user=customer, json={"osId": 1, "tariffId": 1, "promoCode": "half"}
    )

    assert result.status_code == 200
    assert result.json["discount"]["amount"] == "0.475000"
    assert result.json["firstCharge"]["amount"] == "0.475000"
    assert result.json["promoCode"] == "HALF"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"osId": 99, "tariffId": 1}, 404, "not_found", None),
        ({"osId": 1, "tariffId": 99}, 404, "not_found", None),
        (
            {"osId": 1, "locationId": 99, "cores": 1, "memory": 1024, "disk": 20},
            404,
            "not_found",
            None,
        ),
        ({"osId": 1, "tariffId": 1, "cores": 2}, 400, "invalid", "tariffId"),
        ({"osId": 1, "locationId": 1, "memory": 1024, "disk": 20}, 400, "invalid", "cores"),
        (
            {"osId": 1, "locationId": 1, "cores": 64, "memory": 1024, "disk": 20},
            422,
            "rule_violation",
            "cores",
        ),
        (
            {"osId": 1, "locationId": 1, "cores": 1, "memory": 1000, "disk": 20},
            422,
            "rule_violation",
            "memory",
        ),
        (
            {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 5},
            422,
            "rule_violation",
            "disk",
        ),
        (
            {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": -20},
            400,
            "invalid",
            "disk",
        ),
        ({"tariffId": 1}, 400, "invalid", "osId"),
        ({"osId": "1", "tariffId": 1}, 400, "invalid", "osId"),
        ({"osId": 1, "tariffId": 1, "quoteId": "x"}, 400, "invalid", "quoteId"),
        ({"osId": 1, "tariffId": 1, "promoCode": "NO-SUCH"}, 404, "not_found", None),
        ({"osId": 1, "tariffId": 1, "promoCode": "!!"}, 400, "invalid", "promoCode"),
    ],
)
def test_a_quote_refuses_bad_orders(
    api: Api, body: dict[str, object], status: int, code: str, field: str | None
) -> None:
    assert_error(api.post("/api/quote", json=body), status, code, field)


def test_a_quote_with_a_code_that_does_not_apply_is_422(api: Api, admin: User) -> None:
    api.post(
        "/api/admin/promocodes",
        user=admin,
        json={"code": "PROONLY", "kind": "percent", "percent": 10, "tariffIds": [3]},
    )

    result = api.post("/calc_price", json={"osId": 1, "tariffId": 1, "promoCode": "PROONLY"})

    body = assert_error(result, 422, "promo_code_rejected")
    assert body["details"] == {"reason": "wrong_tariff"}
