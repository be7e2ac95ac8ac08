from __future__ import annotations

import pytest

from domain.model.catalogue import ServerConfig
from domain.model.errors import CapacityExhausted
from domain.model.placement import (
    NodeLoad,
    Overcommit,
    choose_node,
    fits,
    growth,
    load_permille,
)

DEFAULT = Overcommit()  # cores x4, memory x1, disk never


def node(
    name: str = "pve1", *, online: bool = True, used: tuple[int, int, int] = (0, 0, 0)
) -> NodeLoad:
    # 4 cores, 16 GiB, 1000 GiB of disk
    return NodeLoad(name, online, 4, 16384, 1000, *used)


class TestFits:
    def test_cores_overcommit_to_400_percent(self) -> None:
        assert fits(node(used=(15, 0, 0)), ServerConfig(1, 512, 10), DEFAULT)  # 16 <= 4 x 4
        assert not fits(node(used=(15, 0, 0)), ServerConfig(2, 512, 10), DEFAULT)

    def test_memory_up_to_the_last_mib(self) -> None:
        assert fits(node(used=(0, 15360, 0)), ServerConfig(1, 1024, 10), DEFAULT)
        assert not fits(node(used=(0, 15361, 0)), ServerConfig(1, 1024, 10), DEFAULT)

    def test_disk_never_overcommits(self) -> None:
        assert fits(node(used=(0, 0, 990)), ServerConfig(1, 512, 10), DEFAULT)
        assert not fits(node(used=(0, 0, 991)), ServerConfig(1, 512, 10), DEFAULT)
        assert not fits(node(used=(0, 0, 991)), ServerConfig(1, 512, 10), Overcommit(400, 400))

    def test_offline_nodes_take_nothing(self) -> None:
        assert not fits(node(online=False), ServerConfig(1, 512, 10), DEFAULT)

    def test_a_change_needs_room_only_for_what_grows(self) -> None:
        # The guest's own 2 cores are among the 15 used of the 16 a node may promise: one more fits.
        current = ServerConfig(2, 1024, 100)
        loaded = node(used=(15, 1024, 100))
        assert fits(loaded, growth(current, ServerConfig(3, 1024, 100)), DEFAULT)
        assert not fits(loaded, growth(current, ServerConfig(4, 1024, 100)), DEFAULT)
        # Less memory frees what more cores would not find otherwise.
        assert growth(current, ServerConfig(3, 512, 100)) == ServerConfig(1, -512, 0)
        assert not fits(
            node(used=(0, 0, 995)), growth(current, ServerConfig(2, 1024, 106)), DEFAULT
        )

    def test_a_change_that_grows_nothing_needs_no_room(self) -> None:
        assert growth(ServerConfig(4, 4096, 50), ServerConfig(2, 4096, 50)) is None
        assert growth(ServerConfig(4, 4096, 50), ServerConfig(4, 4096, 50)) is None

    def test_memory_overcommit_is_configurable(self) -> None:
        assert fits(
            node(used=(0, 16384, 0)), ServerConfig(1, 16384, 10), Overcommit(memory_percent=200)
        )


def test_load_is_the_scarcest_resource() -> None:
    # Against what the node may promise: cores 2/(4 x 400 %) = 125, memory 4096/16384 = 250,
    # disk 100/1000 = 100. Without overcommit cores would count 2/4 = 500.
    assert load_permille(node(used=(2, 4096, 100))) == 250
    assert load_permille(node(used=(2, 4096, 100)), Overcommit(100, 100)) == 500
    assert load_permille(node(used=(0, 0, 999))) == 999
    assert load_permille(NodeLoad("empty", True, 0, 0, 0, 0, 0, 0)) == 0


class TestChooseNode:
    def test_least_loaded_that_fits(self) -> None:
        nodes = [node("a", used=(2, 0, 0)), node("b", used=(1, 0, 0)), node("c", used=(0, 0, 995))]
        assert (
            choose_node(nodes, ServerConfig(1, 512, 10), DEFAULT) == "b"
        )  # c is emptier but has no disk

    def test_ties_go_by_name(self) -> None:
        assert (
            choose_node([node("pve2"), node("pve1")], ServerConfig(1, 512, 10), DEFAULT) == "pve1"
        )

    def test_offline_nodes_are_skipped(self) -> None:
        assert (
            choose_node(
                [node("a", online=False), node("b", used=(3, 0, 0))],
                ServerConfig(1, 512, 10),
                DEFAULT,
            )
            == "b"
        )

    @pytest.mark.parametrize("nodes", [[], [node(online=False)], [node(used=(0, 0, 1000))]])
    def test_no_room(self, nodes: list[NodeLoad]) -> None:
        with pytest.raises(CapacityExhausted):
            choose_node(nodes, ServerConfig(1, 512, 10), DEFAULT)

    def test_guests_coming_to_a_node_count_in_its_load(self) -> None:
        # Orders built side by side: pve1 was chosen a moment ago for a guest not made yet.
        small = ServerConfig(1, 1024, 20)
        nodes = [node("pve1"), node("pve2")]
        assert choose_node(nodes, small, DEFAULT, {"pve1": [small]}) == "pve2"
        assert choose_node(nodes, small, DEFAULT, {"pve1": [small], "pve2": [small]}) == "pve1"
        assert choose_node(nodes, small, DEFAULT, {"pve3": [small, small]}) == "pve1"

    def test_guests_coming_steer_but_never_refuse(self) -> None:
        # pve1 has room now but not once its coming guest is made: pve2, which has, is chosen;
        # with no node left that keeps room for both, the one with room now still takes it.
        big = ServerConfig(1, 8192, 10)
        nodes = [node("pve1"), node("pve2", used=(0, 4096, 0))]
        assert choose_node(nodes, big, DEFAULT, {"pve1": [big, big]}) == "pve2"
        assert choose_node([node("pve1")], big, DEFAULT, {"pve1": [big, big]}) == "pve1"
