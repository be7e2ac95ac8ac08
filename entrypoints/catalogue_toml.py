"""The catalogue document as a TOML file: read with tomllib, written by the small emitter below
(the standard library reads TOML but does not write it, and the document's shape is fixed: scalars,
tables, arrays of tables and lists of strings)."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from domain.model.catalogue_document import CatalogueRejected
from domain.model.document_table import Document

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
HEADER = (
    "# The Oxnack catalogue: what is sold, where, and at what hourly rate.\n"
    "# Publish with `hostprovider catalog import FILE`; money is always a decimal string.\n"
)


def parse_toml(text: str) -> Document:
    """The document in `text`; a syntax error is a CatalogueRejected naming line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as ex:
        raise CatalogueRejected([f"not valid TOML: {ex}"]) from None


def dump_toml(document: Document) -> str:
    lines: list[str] = []
    _table(document, (), lines)
    return HEADER + "\n".join(lines).strip("\n") + "\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string: the same escapes, \\uXXXX for control characters
        # (DEL too, which JSON leaves bare and TOML does not allow).
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(table: Document, path: tuple[str, ...], lines: list[str]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict) and not _is_tables(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        name = ".".join(_key(k) for k in (*path, key))
        if isinstance(value, dict):
            if any(not isinstance(v, dict) for v in value.values()):  # else it goes unsaid
                lines += ["", f"[{name}]"]
            _table(value, (*path, key), lines)
        elif _is_tables(value):
            for item in value:
                lines += ["", f"[[{name}]]"]
                _table(item, (*path, key), lines)
