"""The site file and the settings that switch to real Proxmox and pfSense."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.model.network import CustomerNetworks
from entrypoints.config import ConfigError, load_settings
from entrypoints.site import FirewallLayout, load_site, parse_site

GOOD = """
[[location]]
id = 1
nodes = ["pve-msk-1", "pve-msk-2"]
storage = "local-lvm"
bridge = "vmbr1"
nameservers = ["1.1.1.1", "8.8.8.8"]
supernet = "10.20.0.0/16"
subnet_prefix = 26

[location.firewall]
url = "https://fw-msk.example.net"
trunk = "igb1"
public_mode = "one_to_one_nat"
public_ips = ["203.0.113.10"]

[[location]]
id = 2
nodes = ["pve-spb-1"]
storage = "zfs"
bridge = "vmbr0"
supernet = "10.30.0.0/16"
"""


def test_a_site_file_lays_out_every_location(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(GOOD)
    site = load_site(path)
    msk, spb = site.locations[1], site.locations[2]
    assert (msk.nodes, msk.storage, msk.bridge) == (
        ("pve-msk-1", "pve-msk-2"),
        "local-lvm",
        "vmbr1",
    )
    assert msk.nameservers == ("1.1.1.1", "8.8.8.8")
    assert msk.networks == CustomerNetworks("10.20.0.0/16", prefix=26, dynamic_hosts=8)
    assert msk.firewall == FirewallLayout(
        "https://fw-msk.example.net", "igb1", "wan", "one_to_one_nat", ("203.0.113.10",)
    )
    assert spb.firewall == FirewallLayout() and spb.networks.prefix == 24
    assert site.customer_networks() == {1: msk.networks, 2: spb.networks}


@pytest.mark.parametrize(
    "broken, complaint",
    [
        ("", "at least one [[location]]"),
        (GOOD.replace('storage = "zfs"\n', ""), "location #2 (id 2): storage is required"),
        (GOOD.replace("id = 2", "id = 1"), "appears twice"),
        (GOOD.replace('"pve-spb-1"', '"pve-msk-1"'), "one location only"),
        (GOOD.replace("id = 2", 'id = "2"'), "id must be a int"),
        (GOOD.replace("id = 2", "id = true"), "id must be a int"),
        (GOOD.replace('nodes = ["pve-spb-1"]', "nodes = []"), "at least one node"),
        (GOOD.replace('nodes = ["pve-spb-1"]', 'nodes = "pve-spb-1"'), "list of names"),
        (GOOD.replace("subnet_prefix = 26", "subnet_prefix = 8"), "does not fit"),
        (GOOD.replace('"one_to_one_nat"', '"bridged"'), "public_mode must be one of"),
        (GOOD.replace('public_ips = ["203.0.113.10"]', ""), "needs public_ips"),
        ("[[location]\nid=1", "not valid TOML"),
    ],
)
def test_a_broken_site_file_names_what_to_fix(tmp_path: Path, broken: str, complaint: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text(broken)
    with pytest.raises(ConfigError, match=re.escape(complaint)):
        load_site(path)


def test_a_missing_site_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_site(tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match="must be a table"):
        parse_site({"location": ["not a table"]})


PVE = {
    "HOSTPROVIDER_PROXMOX_URL": "https://pve.example.net:8006/",
    "HOSTPROVIDER_PROXMOX_TOKEN_ID": "hostprovider@pve!panel",
    "HOSTPROVIDER_PROXMOX_TOKEN_SECRET": "0000-secret",
    "HOSTPROVIDER_SITE_FILE": "/etc/hostprovider/site.toml",
}


def test_real_infrastructure_settings() -> None:
    settings = load_settings(
        {**PVE, "HOSTPROVIDER_PFSENSE_URL": "https://fw", "HOSTPROVIDER_PFSENSE_API_KEY": "k"},
        dotenv=None,
    )
    assert settings.proxmox is not None and settings.pfsense is not None
    assert settings.proxmox.url == "https://pve.example.net:8006"
    assert (settings.proxmox.user, settings.proxmox.secret) == (
        "hostprovider@pve!panel",
        "0000-secret",
    )
    assert "0000-secret" not in repr(settings)
    assert (
        settings.pfsense.secret == "k" and str(settings.site_file) == PVE["HOSTPROVIDER_SITE_FILE"]
    )
    plain = load_settings({}, dotenv=None)
    assert plain.proxmox is None and plain.pfsense is None and plain.site_file is None


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"HOSTPROVIDER_PROXMOX_TOKEN_SECRET": ""}, "PROXMOX_TOKEN_SECRET must be set"),
        ({"HOSTPROVIDER_PROXMOX_TOKEN_ID": ""}, "PROXMOX_TOKEN_ID must be set"),
        ({"HOSTPROVIDER_PROXMOX_URL": "pve:8006"}, "http"),
        ({"HOSTPROVIDER_SITE_FILE": ""}, "SITE_FILE must name"),
        (
            {"HOSTPROVIDER_PROXMOX_CA_FILE": "/ca.pem", "HOSTPROVIDER_PROXMOX_FINGERPRINT": "AA"},
            "not both",
        ),
        ({"HOSTPROVIDER_PFSENSE_URL": "https://fw"}, "PFSENSE_API_KEY must be set"),
    ],
)
def test_incomplete_infrastructure_settings_are_refused(
    change: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings({**PVE, **change}, dotenv=None)


def test_the_composition_root_picks_the_real_adapters_from_the_settings(tmp_path: Path) -> None:
    from adapters.locking import SerializedFabric
    from adapters.pfsense import PfSenseFabric
    from adapters.proxmox.hypervisor import ProxmoxHypervisor
    from entrypoints.container import unbuilt
    from simulators.pfsense import PfSenseSimulator
    from tests.contract.pfsense_rig import KEY_AUTH

    site = tmp_path / "site.toml"
    # pfSense needs a subnet for every tag of the VLAN range (100..3999) in each supernet.
    site.write_text(
        GOOD.replace(
            '"10.20.0.0/16"\nsubnet_prefix = 26', '"10.0.0.0/8"\nsubnet_prefix = 20'
        ).replace('"10.30.0.0/16"', '"172.16.0.0/12"')
    )
    with PfSenseSimulator(auth_methods=KEY_AUTH) as firewall:  # its settings are read at start
        settings = load_settings(
            {
                **PVE,
                "HOSTPROVIDER_SITE_FILE": str(site),
                "HOSTPROVIDER_PFSENSE_URL": firewall.url,
                "HOSTPROVIDER_PFSENSE_API_KEY": firewall.api_key,
            },
            dotenv=None,
        )
        container = unbuilt(settings)
        assert isinstance(container.hypervisor(), ProxmoxHypervisor)
        fabric = container.fabric()  # its writes take turns with other processes
    assert isinstance(fabric, SerializedFabric) and isinstance(fabric.inner, PfSenseFabric)
    # Addresses are handed out from the same per-VLAN subnets the firewall is configured with.
    assert container.policy().customer_networks == load_site(site).customer_networks()


def test_a_site_too_small_for_the_firewall_is_a_config_error(tmp_path: Path) -> None:
    from entrypoints.container import unbuilt

    site = tmp_path / "site.toml"
    site.write_text(GOOD)  # a /16 cut in /26s holds fewer subnets than the VLAN range has tags
    settings = load_settings(
        {"HOSTPROVIDER_PFSENSE_URL": "https://fw", "HOSTPROVIDER_PFSENSE_API_KEY": "k"}
        | {"HOSTPROVIDER_SITE_FILE": str(site)},
        dotenv=None,
    )
    with pytest.raises(ConfigError, match=r"3900 tags .* use a /14 supernet or larger"):
        unbuilt(settings).fabric()
