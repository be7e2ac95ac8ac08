"""The API's JSON answers, written by orjson: the same bytes json.dumps wrote."""

from __future__ import annotations

import json

from entrypoints.http.fast_json import dumps


def as_before(media: object) -> bytes:
    return json.dumps(media, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_same_bytes_as_json_dumps_for_what_the_api_answers() -> None:
    media = {
        "id": 7,
        "name": 'srv-7 «Москва» \u2028 "quoted" \\ /',
        "balance": "12.345678",
        "items": [1, None, True, False, {"nested": []}],
        "emoji": "\U0001f600",
        "control": "\x01\n\t",
    }
    assert dumps(media) == as_before(media)


def test_integer_keys_become_strings_as_before() -> None:
    assert dumps({1: "a", 2: "b"}) == as_before({1: "a", 2: "b"})


def test_an_integer_past_64_bits_is_still_written() -> None:
    huge = {"id": 10**30}
    assert dumps(huge) == as_before(huge)
