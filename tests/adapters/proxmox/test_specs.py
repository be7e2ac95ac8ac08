"""Property strings and sizes as PVE writes and reads them."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from adapters.proxmox import specs
from domain.model.catalogue import GuestKind
from ports.hypervisor import GuestSpec

SPEC = GuestSpec(
    kind=GuestKind.LXC,
    vmid=100,
    hostname="srv-100",
    template="local:vztmpl/debian-12.tar.zst",
    cores=1,
    memory_mib=1024,
    disk_gib=10,
    mac_address="02:48:50:0a:0b:0c",
    vlan=0,
    ip_address="10.20.0.5/24",
    gateway="10.20.0.1",
    root_password="x",
)


def test_vlan_zero_is_an_untagged_nic():
    assert specs.lxc_net0(SPEC, "vmbr1") == (
        "name=eth0,bridge=vmbr1,hwaddr=02:48:50:0A:0B:0C,ip=10.20.0.5/24,gw=10.20.0.1"
    )
    assert specs.qemu_net0(SPEC, "vmbr1") == "virtio=02:48:50:0A:0B:0C,bridge=vmbr1"


def test_cloud_init_keys_are_percent_encoded_entirely():
    keys = ("ssh-ed25519 AAAA+/= a@b", "ssh-rsa BBBB c")
    encoded = specs.qemu_ssh_keys(keys)
    assert encoded is not None and all(c not in encoded for c in " +/=@\n")
    assert unquote(encoded) == "ssh-ed25519 AAAA+/= a@b\nssh-rsa BBBB c"
    assert specs.qemu_ssh_keys(()) is None


@pytest.mark.parametrize(
    ("volume", "gib"),
    [
        ("local-lvm:vm-101-disk-0,size=8G", 8),
        ("local-lvm:vm-101-disk-0,size=10240M", 10),
        ("local-lvm:vm-101-disk-0,discard=on,size=1T,ssd=1", 1024),
        ("local-lvm:vm-101-disk-0", 0),
        (None, 0),
    ],
)
def test_disk_sizes_are_read_from_the_size_option(volume, gib):
    assert specs.disk_gib(volume) == gib


def test_tags_are_semicolon_lists_both_ways():
    assert specs.tags(("hostprovider", "server-1")) == "hostprovider;server-1"
    assert specs.parse_tags("hostprovider;server-1") == ("hostprovider", "server-1")
    assert specs.parse_tags(None) == ()
