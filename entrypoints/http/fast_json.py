"""JSON answers through orjson: Falcon's media handler for responses.

orjson writes what `json.dumps(ensure_ascii=False, separators=(",", ":"))` wrote, byte for byte,
for everything the API answers with (strings, whole numbers, lists, objects), several times
faster. What it refuses (an integer past 64 bits, echoed back in an error's details) goes
through json.dumps as before, never a 500. Request bodies are not read here: `body.parse` reads
them with its own rules (whole numbers spelled 2.0, no NaN, no lone surrogates)."""

from __future__ import annotations

import json
from typing import Any

import falcon.media
import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # {1: ...} becomes {"1": ...}, as json.dumps does


def dumps(media: Any) -> bytes:
    try:
        return orjson.dumps(media, option=_OPTIONS)
    except TypeError:
        return json.dumps(media, ensure_ascii=False, separators=(",", ":")).encode()


def response_handler() -> falcon.media.JSONHandler:
    return falcon.media.JSONHandler(dumps=dumps)
