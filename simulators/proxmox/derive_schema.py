"""Derive the compact PVE schema the simulator ships with from the full pve-docs apidata.

    python -m simulators.proxmox.derive_schema FULL_SCHEMA.json [OUT.json]

The full schema (1.5 MB, `../shared/reference/pve-8.4-api-schema.json` in the project's research
notes) is not part of the repository. What the simulator needs of it is kept here, derived by this
script and checked in beside it:

- every path and method, so a request to a method PVE has but we do not simulate still answers
  "not simulated" (501) rather than "no such method";
- for each method the simulator serves (`routes.ROUTES`), its parameters with everything validation
  reads (type, optional, format, enum, pattern, bounds, requires, property-string keys and aliases),
  and `proxyto`;
- no prose: descriptions, type texts, return schemas and permissions are dropped.

Run it again when the schema or the served routes change; `tests/simulators` checks the checked-in
file is what this script derives from the full schema when that is at hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from simulators.proxmox.routes import ROUTES

COMPACT_SCHEMA_PATH = Path(__file__).with_name("pve-8.4-schema.compact.json")

# Keys only people read; validation never looks at them.
_PROSE = frozenset(
    {
        "description",
        "verbose_description",
        "typetext",
        "format_description",
        "title",
        "renderer",
        "returns",
        "permissions",
        "allowtoken",
        "protected",
        "links",
    }
)


def _strip(node: Any) -> Any:
    """A schema node without its prose; the names under `properties` and a property string's
    `format` are parameter names (PVE has a parameter called `description`), so they stay."""
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key in _PROSE:
            continue
        if key == "properties" and isinstance(value, dict):
            kept[key] = {name: _strip(sub) for name, sub in value.items()}
        elif key == "format" and isinstance(value, dict):
            kept[key] = {name: _strip(sub) for name, sub in value.items()}
        elif key in ("items", "parameters") and isinstance(value, dict):
            kept[key] = _strip(value)
        else:
            kept[key] = value
    return kept


def compact(full: dict[str, Any]) -> dict[str, Any]:
    served = set(ROUTES)
    paths: dict[str, dict[str, Any]] = {}
    for template, methods in sorted(full["paths"].items()):
        kept: dict[str, Any] = {}
        for method, info in sorted(methods.items()):
            if (method, template) in served:
                kept[method] = _strip(info)
            else:
                # Accept any parameters: the simulator answers 501 for it after validation.
                kept[method] = {"parameters": {"additionalProperties": 1, "properties": {}}}
        paths[template] = kept
    return {
        "source": f"{full.get('source', 'pve-docs apidata')}; compacted by "
        "simulators/proxmox/derive_schema.py",
        "paths": paths,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=0, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    full = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(argv[1]) if len(argv) == 2 else COMPACT_SCHEMA_PATH
    out.write_text(render(compact(full)), encoding="utf-8")
    print(f"{out}: {len(full['paths'])} paths, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
