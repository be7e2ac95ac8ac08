"""The operator's catalogue: a document published whole as the next version, or refused with every
problem at once; templates checked on every node; a password reset refused up front when the
image has no guest agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from domain.model.catalogue_document import CatalogueRejected
from domain.model.catalogue_writer import write_catalogue
from domain.model.errors import Conflict, PermissionDenied
from domain.model.server_commands import OnServer
from domain.usecases import catalogue, server_commands
from domain.usecases.actors import Actor
from domain.usecases.catalogue_admin import check_catalogue, publish_catalogue, published_document
from entrypoints.catalogue_toml import dump_toml, parse_toml
from entrypoints.sandbox import sandbox_catalogue

from .support import World, refused

EXAMPLE = Path(__file__).parents[2] / "deploy" / "catalogue.example.toml"


def example() -> dict[str, Any]:
    return parse_toml(EXAMPLE.read_text(encoding="utf-8"))


def problems_of(world: World, document: object) -> list[str]:
    error = refused(world, CatalogueRejected, publish_catalogue, world.rt, world.admin, document)
    assert isinstance(error, CatalogueRejected)
    return error.problems


class TestTheExampleCatalogue:
    def test_is_the_sandbox_catalogue_and_publishes_as_the_next_version(self, world: World) -> None:
        published = publish_catalogue(world.rt, world.admin, example())

        assert published == attrs.evolve(sandbox_catalogue(), version=2)
        assert catalogue.current_catalogue(world.rt) == published

    def test_export_reads_back_into_the_same_catalogue(self, world: World) -> None:
        exported = dump_toml(published_document(world.rt, world.admin))

        published = publish_catalogue(world.rt, world.admin, parse_toml(exported))

        assert published == attrs.evolve(sandbox_catalogue(), version=2)

    def test_orders_work_on_a_published_catalogue(self, world: World, customer: Actor) -> None:
        publish_catalogue(world.rt, world.admin, example())

        server = world.running_server(customer)

        assert server.catalogue_version == 2


class TestABadDocument:
    def test_every_problem_is_listed_at_once_with_its_place(self, world: World) -> None:
        document = example()
        document["currency"] = "USD"
        document["locations"][1]["rates"]["per_core"] = 0.45  # a float is never money
        document["images"][4]["kind"] = "lxc"  # Windows in a container
        del document["images"][3]["guest_agent"]
        document["tariffs"][2]["cores"] = 64  # beyond [limits] cores.max = 32
        document["tariffs"][0]["locations"] = ["mars-1"]
        document["images"][1]["default_user"] = "debian"
        document["extra"] = True

        problems = problems_of(world, document)

        assert problems == [
            "extra: is not a known key",
            "currency: must be RUB, the currency of this installation",
            '[[locations]] #2 (ru-spb-1) rates.per_core: must be a decimal string such as "100.00"'
            " (money is never a float)",
            "[[images]] #2 (Debian 12) default_user: must be root for a container (its password"
            " is root's)",
            "[[images]] #4 (Ubuntu 22.04 (VM)) guest_agent: is missing",
            "[[images]] #5 (Windows Server 2022) kind: must be qemu for a Windows image",
            "[[tariffs]] #1 (Старт) locations: 'mars-1' is not the code of a location",
            "[[tariffs]] #3 (Про) cores: must be between 1 and 32 (the [limits])",
        ]
        assert catalogue.current_catalogue(world.rt).version == 1

    def test_duplicate_ids_and_missing_sections(self, world: World) -> None:
        document = example()
        document["images"][1]["id"] = 1
        del document["limits"]
        document["locations"] = []

        problems = problems_of(world, document)

        assert "[limits]: is missing" in problems
        assert "[[locations]]: at least one is needed" in problems
        assert "[[images]] #2 (Debian 12) id: 1 is used by another entry" in problems

    @pytest.mark.parametrize("document", [None, [], "currency = 'RUB'", 7])
    def test_not_a_table(self, world: World, document: object) -> None:
        assert problems_of(world, document) == [
            "the catalogue must be a table (a TOML file or a JSON object)"
        ]

    def test_syntax_errors_name_the_line(self) -> None:
        with pytest.raises(CatalogueRejected) as raised:
            parse_toml('currency = "RUB"\n[[locations]\n')
        assert raised.value.problems[0].startswith("not valid TOML:")
        assert "line 2" in raised.value.problems[0]

    def test_only_an_admin_publishes(self, world: World, customer: Actor) -> None:
        refused(world, PermissionDenied, publish_catalogue, world.rt, customer, example())


class TestTemplates:
    def test_a_template_missing_on_nodes_is_refused_naming_them(self, world: World) -> None:
        document = example()
        document["images"][0]["templates"] = {"nl-ams-1": "local:vztmpl/ubuntu-none.tar.zst"}

        problems = problems_of(world, document)

        assert problems == [
            "[[images]] id 1 (Ubuntu 24.04): template local:vztmpl/ubuntu-none.tar.zst is missing"
            " on pve-ams-1, pve-ams-2 (nl-ams-1)"
        ]

    def test_a_qemu_template_counts_by_its_node_local_copy(self, world: World) -> None:
        # Each node keeps a copy of template 9000 under the same name; one node loses its copy.
        [copy_on_spb2] = [
            t for t in world.hypervisor.templates("pve-spb-2") if t.name == "tpl-ubuntu-22.04"
        ]
        world.hypervisor.remove_guest(int(copy_on_spb2.ref))

        problems = problems_of(world, example())

        assert problems == [
            "[[images]] id 4 (Ubuntu 22.04 (VM)): template 9000 is missing on pve-spb-2 (ru-spb-1)"
        ]

    def test_template_problems_come_with_the_documents_own(self, world: World) -> None:
        document = example()
        document["images"][4]["template"] = "9999"
        document["tariffs"][0]["monthly"] = "free"

        problems = problems_of(world, document)

        assert problems[0].startswith("[[tariffs]] #1 (Старт) monthly: must be a decimal")
        assert problems[1:] == [
            f"[[images]] id 5 (Windows Server 2022): template 9999 is missing on {nodes}"
            for nodes in (
                "pve-msk-1, pve-msk-2 (ru-msk-1)",
                "pve-spb-1, pve-spb-2 (ru-spb-1)",
                "pve-ams-1, pve-ams-2 (nl-ams-1)",
            )
        ]

    def test_a_per_location_template_is_what_that_location_creates_from(
        self, world: World, customer: Actor
    ) -> None:
        world.hypervisor.add_ostemplate("pve-spb-1", "local:vztmpl/ubuntu-spb.tar.zst")
        world.hypervisor.add_ostemplate("pve-spb-2", "local:vztmpl/ubuntu-spb.tar.zst")
        document = example()
        document["images"][0]["templates"] = {"ru-spb-1": "local:vztmpl/ubuntu-spb.tar.zst"}

        published = publish_catalogue(world.rt, world.admin, document)

        assert published.image(1).template_at(2) == "local:vztmpl/ubuntu-spb.tar.zst"
        assert published.image(1).template_at(1) == published.image(1).template


class TestVersions:
    def test_an_edit_of_a_superseded_version_is_refused(self, world: World) -> None:
        edited = published_document(world.rt, world.admin)  # version 1
        publish_catalogue(world.rt, world.admin, example())  # someone else publishes 2

        error = refused(world, Conflict, publish_catalogue, world.rt, world.admin, edited)

        assert error.details["current"] == 2

    def test_an_edit_of_the_current_version_publishes_the_next(self, world: World) -> None:
        edited = published_document(world.rt, world.admin)
        edited["tariffs"][0]["monthly"] = "350.00"

        published = publish_catalogue(world.rt, world.admin, edited)

        assert (published.version, published.tariff(1).monthly_price.format()) == (2, "350.00")

    def test_check_publishes_nothing(self, world: World) -> None:
        checked = check_catalogue(world.rt, world.admin, example())

        assert checked.version == 2
        assert catalogue.current_catalogue(world.rt).version == 1

    def test_publishing_is_audited(self, world: World) -> None:
        publish_catalogue(world.rt, world.admin, example())

        with world.rt.uow() as uow:
            [entry] = uow.audit.recent(1)
        assert (entry.action, entry.target, entry.actor_id) == (
            "catalogue.publish",
            "catalogue:2",
            world.admin.account_id,
        )


class TestPasswordResetNeedsAGuestAgent:
    def test_refused_up_front_when_the_image_has_no_agent(
        self, world: World, customer: Actor
    ) -> None:
        document = example()
        document["images"][3]["guest_agent"] = False
        publish_catalogue(world.rt, world.admin, document)
        server = world.running_server(customer, os_id=4)

        error = refused(
            world,
            Conflict,
            lambda: server_commands.reset_password(world.rt, customer, OnServer(server.id)),
        )

        assert error.details["reason"] == "no_guest_agent"
        assert "Ubuntu 22.04 (VM)" in error.message

    def test_a_vm_with_the_agent_and_a_container_are_reset(
        self, world: World, customer: Actor
    ) -> None:
        for os_id, user in ((4, "root"), (1, "root"), (5, "Administrator")):
            server = world.running_server(customer, os_id=os_id)
            assert world.hypervisor.user_of(server.placement.vmid) == user  # type: ignore[arg-type]
            reset = server_commands.reset_password(world.rt, customer, OnServer(server.id))
            assert reset.user == user
            assert world.action(reset.action.id).status.value == "success"
            vmid = server.placement.vmid  # type: ignore[union-attr]
            assert world.hypervisor.password_of(vmid) == reset.password
            assert world.hypervisor.user_of(vmid) == user


def test_write_catalogue_keeps_every_field() -> None:
    document = write_catalogue(sandbox_catalogue())
    assert document["images"][4] == {
        "id": 5,
        "name": "Windows Server 2022",
        "family": "windows",
        "version": "2022",
        "os_type": "windows",
        "kind": "qemu",
        "licence_hourly": "1.50",
        "default_user": "Administrator",
        "guest_agent": True,
        "template": "9100",
    }
