"""The README's site example starts a back office on real adapters, and the start-up check of the
firewall stops a start whose API key pfSense refuses, saying how to fix it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from entrypoints.config import ConfigError, load_settings
from entrypoints.site import load_site
from simulators.pfsense import PfSenseSimulator
from tests.contract.pfsense_rig import KEY_AUTH

README = Path(__file__).resolve().parents[2] / "README.md"
PVE = {
    "HOSTPROVIDER_PROXMOX_URL": "https://pve.example.net:8006/",  # not contacted at start-up
    "HOSTPROVIDER_PROXMOX_TOKEN_ID": "hostprovider@pve!panel",
    "HOSTPROVIDER_PROXMOX_TOKEN_SECRET": "0000-secret",
}


def readme_site() -> str:
    """The TOML block of the README's section on Proxmox VE and pfSense."""
    section = README.read_text().split("## On Proxmox VE and pfSense", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section has one site example"
    return blocks[0]


def settings_for(sim: PfSenseSimulator, site: Path) -> object:
    return load_settings(
        {**PVE, "HOSTPROVIDER_SITE_FILE": str(site), "HOSTPROVIDER_PFSENSE_URL": sim.url,
         "HOSTPROVIDER_PFSENSE_API_KEY": sim.api_key},
        dotenv=None,
    )  # fmt: skip


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(readme_site())
    return path


@pytest.fixture
def firewall() -> Iterator[PfSenseSimulator]:
    with PfSenseSimulator(auth_methods=KEY_AUTH) as sim:
        yield sim
    sim.assert_no_violations()


def test_the_readme_site_example_starts_on_proxmox_and_pfsense(site_file, firewall):
    from adapters.locking import SerializedFabric
    from adapters.pfsense import PfSenseFabric
    from entrypoints.container import unbuilt
    from entrypoints.infrastructure import check_firewalls

    settings = settings_for(firewall, site_file)
    check_firewalls(settings)  # what a service does as it starts
    assert ("GET", "/api/v2/system/restapi/settings") in firewall.requests  # checked at start
    container = unbuilt(settings)
    fabric = container.fabric()
    assert isinstance(fabric, SerializedFabric) and isinstance(fabric.inner, PfSenseFabric)
    assert container.policy().customer_networks == load_site(site_file).customer_networks()
    fabric.ensure_vlan(1, 7, 3999)  # the last tag of the range has its subnet too
    fabric.apply(1)
    assert {v["tag"] for v in firewall.live_state()["vlans"]} == {3999}


def test_a_firewall_that_refuses_api_keys_stops_the_start_saying_how_to_fix_it(site_file):
    from entrypoints.container import unbuilt
    from entrypoints.infrastructure import check_firewalls

    with PfSenseSimulator() as default_box:  # the package's default: BasicAuth alone
        settings = settings_for(default_box, site_file)
        with pytest.raises(ConfigError) as refused:
            check_firewalls(settings)  # what a service does as it starts
        requests_before = len(default_box.requests)
        unbuilt(settings).fabric()  # building alone asks the firewall nothing
        assert len(default_box.requests) == requests_before
        url = default_box.url
    message = str(refused.value)
    assert "\n" not in message and url in message
    assert "KeyAuth" in message and "System > REST API > Settings" in message


def test_a_firewall_that_is_down_does_not_stop_the_start(site_file, tmp_path):
    from entrypoints.container import unbuilt
    from entrypoints.infrastructure import check_firewalls

    with PfSenseSimulator(auth_methods=KEY_AUTH) as gone:
        settings = settings_for(gone, site_file)
    check_firewalls(settings)  # the simulator has stopped: nothing answers, and it only warns
    container = unbuilt(settings)
    assert container.fabric() is not None
