"""`/api/docs` in a real browser (Debian's chromium, headless): Swagger UI loads from our own
origin, reads /api/openapi.json and shows every operation of it. Skipped where no chromium is."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from .sandbox import Sandbox

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
def test_the_docs_page_shows_every_operation_of_the_document(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    document = requests.get(f"{sandbox.base_url}/api/openapi.json", timeout=10).json()
    operations = {
        f"operations-{op['tags'][0]}-{op['operationId']}"
        for item in document["paths"].values()
        for op in item.values()
    }

    finished = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in a container
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=20000",  # let the scripts run and fetch the document
            "--dump-dom",
            f"{sandbox.base_url}/api/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]

    dom = finished.stdout
    shown = set(re.findall(r'id="(operations-(?!tag-)[^"]+)"', dom))
    assert shown == operations
    assert "Oxnack VPS API" in dom  # the document's title, rendered
    assert "version-pragma__message--missing" not in dom  # Swagger UI could read OpenAPI 3.1
    # The page's scripts came from our origin (and its CSP lets nothing come from elsewhere).
    log = sandbox.log.read_text()
    for asset in ("/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css"):
        assert f'"path": "{asset}"' in log
