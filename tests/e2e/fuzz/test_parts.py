"""The three fuzzing modules between them take every operation of the document, each exactly
once."""

from __future__ import annotations

import re

from tests.http.api_support import SETTINGS, Api

from .conftest import PARTS


def test_every_path_is_fuzzed_by_exactly_one_module() -> None:
    paths = Api(SETTINGS).get("/api/openapi.json").json["paths"]
    assert len(paths) > 50  # the document, not an empty page
    takers = {path: [part for part, rx in PARTS.items() if re.search(rx, path)] for path in paths}
    assert {path: parts for path, parts in takers.items() if len(parts) != 1} == {}
    assert all(any(parts == [part] for parts in takers.values()) for part in PARTS)
