"""The edge's one converter: commands from JSON, strictly, with every refusal naming its field.

Only an int is an id, only a string is text: what the use cases once checked again (2.0 or True
finding account 2 or 1 by equality, a token that is no string) is refused here, once, as a 400.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.model import commands
from domain.model.errors import RuleViolation, ValidationError
from domain.model.values import Cores, Hostname, PromoCodeText
from entrypoints.http.commands import structure
from entrypoints.http.errors import ApiError


def refusal(data: dict[str, Any], command: type) -> ApiError | ValidationError:
    with pytest.raises((ApiError, ValidationError)) as refused:
        structure(data, command)
    return refused.value


def field_of(error: ApiError | ValidationError) -> str | None:
    return error.field if isinstance(error, ValidationError) else error.details.get("field")


def test_an_order_is_built_from_its_json_names() -> None:
    order = structure(
        {"osId": 1, "locationId": 2, "cores": 2, "memory": 2048, "disk": 40, "promoCode": " ab1 "},
        commands.OrderRequest,
    )
    assert order == commands.OrderRequest(
        os_id=1, location_id=2, cores=Cores(2), memory=2048, disk=40, promo_code="AB1"
    )
    assert order.promo_code == PromoCodeText("ab1")


def test_an_empty_promo_code_or_name_is_none() -> None:
    order = structure(
        {"osId": 1, "tariffId": 1, "promoCode": "", "name": ""}, commands.OrderRequest
    )
    assert (order.promo_code, order.name) == (None, None)
    named = structure({"osId": 1, "tariffId": 1, "name": "web-1"}, commands.OrderRequest)
    assert named.name == Hostname("web-1")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"osId": "1"}, "osId"),
        ({"osId": 1, "locationId": 1.0}, "locationId"),
        ({"osId": 1, "tariffId": True}, "tariffId"),
        ({"osId": None}, "osId"),
        ({"osId": "ubuntu"}, "osId"),
        ({"osId": 1, "cores": True}, "cores"),
        ({"osId": 1, "quoteId": 123}, "quoteId"),
        ({"osId": 1, "quoteId": None}, None),  # null is no quote
        ({}, "osId"),
        ({"osId": 1, "colour": "red"}, "colour"),
    ],
)
def test_only_an_int_is_an_id_and_only_a_string_is_text(
    data: dict[str, Any], field: str | None
) -> None:
    if field is None:
        assert structure(data, commands.OrderRequest).quote_id is None
        return
    error = refusal(data, commands.OrderRequest)
    assert isinstance(error, ApiError) or type(error) is ValidationError
    assert field_of(error) == field


def test_a_value_objects_refusal_is_named_as_the_client_sent_it() -> None:
    error = refusal(
        {"currentPassword": "x", "newPassword": "aaaaaaaaaaaa"}, commands.PasswordChange
    )
    assert type(error) is RuleViolation  # well-formed, refused by a rule: still a 422
    assert error.field == "newPassword"

    error = refusal(
        {"serverId": 1, "rules": [{"protocol": "tcp"}, {"protocol": "tcp", "fromPort": "22"}]},
        commands.ReplaceFirewall,
    )
    assert field_of(error) == "rules.1.fromPort"


@pytest.mark.parametrize("rules", ["tcp/22", None, {"protocol": "tcp"}])
def test_a_firewall_takes_a_list_of_rules(rules: object) -> None:
    assert field_of(refusal({"serverId": 1, "rules": rules}, commands.ReplaceFirewall)) == "rules"


@pytest.mark.parametrize("server_id", ["1", True, None, 1.0])
def test_a_server_id_is_an_int(server_id: object) -> None:
    error = refusal({"serverId": server_id, "rules": []}, commands.ReplaceFirewall)
    assert field_of(error) == "serverId"


def test_a_promo_draft_reads_times_and_lists() -> None:
    draft = structure(
        {
            "code": "spring",
            "kind": "percent",
            "percent": 10,
            "validFrom": "2026-03-01T00:00:00+03:00",
            "tariffIds": [1, 2],
        },
        commands.PromoDraft,
    )
    assert draft.code.text == "SPRING"
    assert draft.valid_from is not None and draft.valid_from.utcoffset() is not None
    assert draft.tariff_ids == (1, 2)
    assert field_of(refusal({"code": "x1y", "kind": "gift"}, commands.PromoDraft)) == "kind"
    assert field_of(
        refusal({"code": "x1y", "kind": "percent", "active": 1}, commands.PromoDraft)
    ) == ("active")


ADJUSTMENT = {"amount": "1.00", "reason": "ok!", "requestKey": "k"}


# Moved from the use cases' tests, where the types now say it: these never reach a use case.
@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        (commands.NewToken, {"name": "ci", "expiresInDays": "30"}, "expiresInDays"),
        (commands.NewToken, {"name": "ci", "expiresInDays": 1.5}, "expiresInDays"),
        (commands.NewToken, {"name": None}, "name"),
        *(
            (commands.PromoDraft, {"code": "SPRING", "kind": "percent", **fields}, field)
            for fields, field in (
                ({"percent": "20"}, "percent"),
                ({"maxUses": "10"}, "maxUses"),
                ({"active": "yes"}, "active"),
                ({"validUntil": "2026-03-01"}, "validUntil"),
            )
        ),
        *(
            (commands.BalanceAdjustment, {**ADJUSTMENT, "customerId": bad}, "customerId")
            for bad in (None, "2", 2.0, True)
        ),
        (commands.ReplaceFirewall, {"serverId": 1, "rules": "tcp/22"}, "rules"),
        (commands.ReplaceFirewall, {"serverId": 1, "rules": {"protocol": "tcp"}}, "rules"),
        (commands.ReplaceFirewall, {"serverId": 1, "rules": [5]}, "rules.0"),
        *(
            (commands.ReplaceFirewall, {"serverId": 1, "rules": [rule]}, f"rules.0.{field}")
            for rule, field in (
                ({"protocol": "tcp", "fromPort": True}, "fromPort"),
                ({"protocol": "tcp", "fromPort": "22"}, "fromPort"),
                ({"protocol": "tcp", "fromPort": 22.0}, "fromPort"),
                ({"protocol": "tcp", "fromPort": 22, "source": 24}, "source"),
                ({"protocol": "tcp", "fromPort": 22, "description": 7}, "description"),
            )
        ),
    ],
)
def test_a_wrong_type_never_reaches_a_use_case(
    command: type, data: dict[str, Any], field: str
) -> None:
    assert field_of(refusal(data, command)) == field


def test_a_query_names_its_window_as_the_api_does() -> None:
    query = structure(
        {"serverId": 1, "from": "2026-03-01T00:00:00Z", "to": None, "step": 60},
        commands.MetricsQuery,
    )
    assert (query.start is not None, query.end, query.step) == (True, None, 60)
    error = refusal({"serverId": 1, "from": "yesterday"}, commands.MetricsQuery)
    assert field_of(error) == "from"
    assert error.message.startswith("from must be an RFC 3339 time")
