"""Browser tests in a real browser: Debian's chromium, driven by the npm `playwright-core` that the
Makefile installs into tests/js. A test writes its scenario as a small JavaScript module (the page
steps, in the language the browser speaks) and gets back what the scenario returned:

    result = run_scenario(Path(__file__).with_name("checkout.mjs"), url=..., screenshot=str(path))

Where there is no chromium the browser tests are skipped, except under CI, where a missing browser
fails them: `make test` installs it, so its absence there is a broken build, not a reason to skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).with_name("js")
RUNNER = JS / "browser" / "run.mjs"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """The chromium binary, or the test is skipped (failed under CI) with what to install."""
    path = chromium_path()
    missing = []
    if path is None:
        missing.append("chromium (apt-get install chromium)")
    if not (JS / "node_modules" / "playwright-core").is_dir() or shutil.which("node") is None:
        missing.append("playwright-core (make tests/js/node_modules/.installed)")
    if missing:
        message = "no browser: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    assert path is not None
    return path


def run_scenario(scenario: Path, *, timeout: float = 120, **params: Any) -> Any:
    """Run `scenario` (a module exporting `default async (page, params, context) => result`) in a
    fresh headless chromium; return its result, or fail the test with its error and the page's
    console."""
    chromium = require_browser()
    finished = subprocess.run(
        ["node", str(RUNNER), str(scenario), json.dumps(params)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "CHROMIUM": chromium},
    )
    lines = finished.stdout.strip().splitlines()
    if not lines:
        pytest.fail(f"the browser printed nothing:\n{finished.stderr[-3000:]}", pytrace=False)
    outcome = json.loads(lines[-1])
    if "error" in outcome:
        console = "\n".join(outcome.get("console", []))
        pytest.fail(f"{outcome['error']}\n--- page console ---\n{console}", pytrace=False)
    return outcome["result"]
