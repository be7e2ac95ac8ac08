"""Proof that the import contracts in pyproject.toml bite, not only that today's code keeps them.

Each test copies the four packages and pyproject.toml into a scratch directory, plants one forbidden
import, and runs the real `lint-imports` on the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "ports", "adapters", "entrypoints", "simulators")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

CORE_CONTRACT = "The core imports no framework or I/O library"
LAYERS_CONTRACT = "Hexagon: dependencies point inwards"
PROTECTED_CONTRACT = "Only the composition root touches adapters"
ADAPTERS_CONTRACT = "Adapters never reach into use cases"

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed in this environment"
)


def copy_project(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # The copy must shadow the editable install of the real packages, hence PYTHONPATH first.
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def plant(project: Path, module: str, source: str) -> None:
    (project / module).write_text(source, encoding="utf-8")


def test_a_clean_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (CORE_CONTRACT, LAYERS_CONTRACT, PROTECTED_CONTRACT, ADAPTERS_CONTRACT):
        assert f"{contract} KEPT" in result.stdout


def test_a_framework_import_in_the_model_is_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    plant(project, "domain/model/leak.py", "import falcon\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert f"{CORE_CONTRACT} BROKEN" in result.stdout
    assert "domain.model.leak -> falcon" in result.stdout


def test_adapters_importing_use_cases_is_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    plant(project, "adapters/leak.py", "import domain.usecases\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert f"{ADAPTERS_CONTRACT} BROKEN" in result.stdout
    assert "adapters.leak -> domain.usecases" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract", "chain"),
    [
        ("domain/model/leak.py", "import ports\n", LAYERS_CONTRACT, "domain.model.leak -> ports"),
        (
            "ports/leak.py",
            "import domain.usecases\n",
            LAYERS_CONTRACT,
            "ports.leak -> domain.usecases",
        ),
        (
            "domain/usecases/leak.py",
            "import adapters\n",
            PROTECTED_CONTRACT,
            "domain.usecases.leak -> adapters",
        ),
        ("ports/leak.py", "import requests\n", CORE_CONTRACT, "ports.leak -> requests"),
    ],
)
def test_other_leaks_are_caught(
    tmp_path: Path, module: str, source: str, contract: str, chain: str
) -> None:
    project = copy_project(tmp_path)
    plant(project, module, source)
    result = lint_imports(project)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert chain in result.stdout
