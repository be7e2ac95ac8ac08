"""The PVE schema the simulator ships is the one `derive_schema.py` makes from the full apidata."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.proxmox.derive_schema import COMPACT_SCHEMA_PATH, compact, render
from simulators.proxmox.routes import ROUTES
from simulators.proxmox.schema import load_schema

# The research notes beside a checkout; CI has them, a lone clone does not.
FULL_SCHEMA = Path(__file__).resolve().parents[3] / "shared/reference/pve-8.4-api-schema.json"


@pytest.mark.skipif(not FULL_SCHEMA.exists(), reason="the full PVE schema is not beside the clone")
def test_the_checked_in_schema_is_derived_from_the_full_one() -> None:
    import json

    full = json.loads(FULL_SCHEMA.read_text(encoding="utf-8"))
    assert COMPACT_SCHEMA_PATH.read_text(encoding="utf-8") == render(compact(full))


def test_every_simulated_route_has_its_parameters() -> None:
    schema = load_schema(COMPACT_SCHEMA_PATH)
    for method, template in ROUTES:
        found = schema.method(template, method)
        assert found is not None, (method, template)
        if template.endswith("/lxc") and method == "POST":
            assert {"ostemplate", "vmid", "net[n]"} <= set(found.properties)


def test_an_unsimulated_method_still_exists_and_takes_any_parameter() -> None:
    schema = load_schema(COMPACT_SCHEMA_PATH)
    migrate = schema.method("/nodes/{node}/qemu/{vmid}/migrate", "POST")
    assert migrate is not None
    assert migrate.validate({"target": "pve2", "anything": "1"}) == {}
    assert schema.match("/nodes/pve1/qemu/100/no-such-thing") is None
