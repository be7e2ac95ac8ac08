"""The pfSense adapter on simulated firewalls (see tests/contract/pfsense_rig.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.pfsense_rig import PfSenseRig

LOC = 1


@pytest.fixture
def rig() -> Iterator[PfSenseRig]:
    with PfSenseRig(locations=(LOC,)) as started:
        yield started
