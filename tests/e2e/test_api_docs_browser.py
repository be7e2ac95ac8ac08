"""`/api/docs` in a real browser (Debian's chromium through playwright-core): Swagger UI loads from
our own origin, reads /api/openapi.json and shows every operation of it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.browser import run_scenario

from .sandbox import Sandbox

pytestmark = pytest.mark.e2e


def test_the_docs_page_shows_every_operation_of_the_document(sandbox: Sandbox) -> None:
    document = requests.get(f"{sandbox.base_url}/api/openapi.json", timeout=10).json()
    operations = {
        f"operations-{op['tags'][0]}-{op['operationId']}"
        for item in document["paths"].values()
        for op in item.values()
    }

    page = run_scenario(
        Path(__file__).with_name("api_docs.mjs"),
        url=f"{sandbox.base_url}/api/docs",
        operations=len(operations),
    )

    assert set(page["shown"]) == operations
    assert "Oxnack VPS API" in page["title"]  # the document's title, rendered
    assert not page["missingVersion"]  # Swagger UI could read OpenAPI 3.1
    # The page's scripts came from our origin (and its CSP lets nothing come from elsewhere).
    log = sandbox.log.read_text()
    for asset in ("/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css"):
        assert f'"path": "{asset}"' in log
