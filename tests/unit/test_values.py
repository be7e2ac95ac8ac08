"""The values a request carries check themselves once, and the API's schemas state their rules."""

from __future__ import annotations

import re

import pytest

from domain.model import values as v
from domain.model.credentials import EMAIL_PATTERN, EmailAddress, NewPassword
from domain.model.errors import RuleViolation, ValidationError
from domain.model.money import Money
from entrypoints.http import schemas


@pytest.mark.parametrize(
    ("make", "raw", "field"),
    [
        (v.Cores, 0, "cores"),
        (v.Cores, 1025, "cores"),
        (v.Cores, True, "cores"),
        (v.MemoryMiB, 16_777_217, "memory"),
        (v.DiskGiB, 2.0, "disk"),
        (v.Hostname, "Web", "name"),
        (v.Hostname, "a" * 64, "name"),
        (v.Hostname, "-web", "name"),
        (v.SnapshotName, "1st", "snapname"),
        (v.SnapshotName, "a" * 41, "snapname"),
        (v.PromoCodeText, "ab", "promoCode"),
        (v.PromoCodeText, "spring 2026", "promoCode"),
        (v.PromoCodeText, 7, "promoCode"),
        (v.Amount, "0", "amount"),
        (v.Amount, "-1.00", "amount"),
        (v.Amount, "1000000000000.01", "amount"),
        (v.Amount, "1.0000001", "amount"),
        (v.Reason, "  ab  ", "reason"),
        (v.Reason, "x" * 501, "reason"),
        (v.TokenName, "   ", "name"),
        (EmailAddress, "no-at-sign", "email"),
        (EmailAddress, "ann\u200b@example.com", "email"),
        (NewPassword, "short", "password"),
        (NewPassword, "x" * 257, "password"),
    ],
)
def test_a_value_refuses_what_breaks_its_rule_naming_its_field(make, raw, field):
    with pytest.raises(ValidationError) as refused:
        make(raw)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("make", "raw", "field"),
    [
        (EmailAddress, "p\u0430ypal@example.com", "email"),  # a Cyrillic а among Latin letters
        (NewPassword, "aaaaaaaaaaaa", "password"),
    ],
)
def test_a_well_formed_value_a_rule_refuses_is_a_rule_violation(make, raw, field):
    with pytest.raises(RuleViolation) as refused:
        make(raw)
    assert refused.value.field == field


def test_values_keep_the_form_they_are_used_in():
    assert v.PromoCodeText("  spring-2026\t").text == "SPRING-2026"
    assert v.Reason("  a refund  ").text == "a refund"
    assert v.TokenName(" ci ").text == "ci"
    assert EmailAddress("Ann@Example.COM").text == "Ann@example.com"
    assert v.Amount("0.000001").money("RUB") == Money(1, "RUB")
    assert v.Amount("1000000000000").money("RUB") == Money.of(10**12, "RUB")


def test_one_key_makes_two_spellings_of_an_address_one_account():
    assert EmailAddress("ANN@example.com").key == EmailAddress("ann@EXAMPLE.com").key
    assert EmailAddress("straße@example.com").key != EmailAddress("strasse@example.com").key


def test_a_new_password_never_shows_in_a_repr():
    assert "correct horse" not in repr(NewPassword("correct horse battery"))


def test_a_renamed_refusal_keeps_its_kind_and_problem():
    with pytest.raises(RuleViolation) as refused:
        NewPassword("aaaaaaaaaaaa")
    renamed = refused.value.at("newPassword")
    assert type(renamed) is RuleViolation
    assert renamed.field == "newPassword"
    assert renamed.message == "newPassword must not be one character repeated"


def test_the_request_schemas_state_the_values_rules():
    order = schemas.ORDER["properties"]
    assert order["cores"]["maximum"] == v.CORES_MAX
    assert order["memory"]["maximum"] == v.MEMORY_MIB_MAX
    assert order["disk"]["maximum"] == v.DISK_GIB_MAX
    assert order["name"]["pattern"] == v.HOSTNAME_PATTERN
    assert order["promoCode"]["pattern"].endswith(v.PROMO_CODE_PATTERN)
    assert schemas.SNAPNAME["pattern"] == v.SNAPSHOT_NAME_PATTERN
    assert schemas.PROMO_CODE["pattern"] == v.PROMO_CODE_PATTERN
    assert schemas.AMOUNT["pattern"] == v.AMOUNT_PATTERN
    assert schemas.EMAIL["pattern"] == EMAIL_PATTERN
    assert schemas.ID["maximum"] == v.ID_MAX


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (v.AMOUNT_PATTERN, ["0.000001", "1", "999999999999.999999", "1000000000000.0"], ["0.0"]),
        (v.PROMO_CODE_PATTERN, [" ab1 ", "A-B_C"], ["a", "a b c"]),
        (v.trimmed_pattern(3), [" abc ", "a\nbc"], ["  ab ", "a\x00c"]),
    ],
)
def test_each_pattern_reads_the_same_in_python_as_the_schema_says(pattern, good, bad):
    # The schema validator runs Python's re on the document's pattern: one pattern, one meaning.
    for text in good:
        assert re.fullmatch(pattern, text), text
    for text in bad:
        assert not re.fullmatch(pattern, text), text
