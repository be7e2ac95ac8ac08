"""The operator's catalogue: publishing a new version from a document, reading the current one.

A document is published whole or not at all. Before anything is written it is read (every mistake
in it listed) and its templates are looked up on every node of every location it sells in, through
the hypervisor: a catalogue that names a template some node lacks would sell orders that fail
half-way through provisioning.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domain.model.catalogue import Catalogue, GuestKind, Location, OsImage
from domain.model.catalogue_document import CatalogueRejected, read_catalogue
from domain.model.catalogue_writer import write_catalogue
from domain.model.document_table import Document
from domain.model.errors import Conflict, DomainError, NoCatalogue
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.hypervisor import Hypervisor, TemplateInfo
from ports.repositories import CatalogueRepository


def published_document(rt: Runtime, actor: Actor) -> Document:
    """The current catalogue as a document (with its `version`); NoCatalogue when none is."""
    actor.require_admin()
    with rt.uow() as uow:
        return write_catalogue(uow.catalogue.current())


def check_catalogue(rt: Runtime, actor: Actor, document: Document) -> Catalogue:
    """What publishing `document` would publish (as the next version), or CatalogueRejected with
    every problem: those of the document, then the templates the hypervisor lacks."""
    actor.require_admin()
    with rt.uow() as uow:
        current = _current_version(uow.catalogue)
    try:
        catalogue = read_catalogue(document, currency=rt.policy.currency, version=current + 1)
    except CatalogueRejected as ex:
        # What was read soundly still has its templates checked: every problem at once.
        locations, images = ex.sound
        raise CatalogueRejected(
            ex.problems + missing_templates(locations, images, rt.hypervisor)
        ) from None
    missing = missing_templates(catalogue.locations, catalogue.images, rt.hypervisor)
    if missing:
        raise CatalogueRejected(missing)
    return catalogue


def publish_catalogue(rt: Runtime, actor: Actor, document: Document) -> Catalogue:
    """Publish `document` as the next version.

    A `version` in the document names the version it was edited from: when another was published
    since, the edit is refused (Conflict) rather than silently undoing the other one."""
    checked = check_catalogue(rt, actor, document)
    edited_from = document.get("version")
    now = rt.clock.now()
    with rt.uow() as uow:
        newest = _current_version(uow.catalogue)
        if edited_from is not None and edited_from != newest:
            raise Conflict(
                f"the document was edited from version {edited_from}, but the current version is "
                f"{newest}: export it again, or leave version out to replace it anyway",
                current=newest,
            )
        # Another publisher since our first look: publish as the version after theirs. The
        # repository refuses a version that is not newer, so two at once never both win.
        catalogue = attrs.evolve(checked, version=newest + 1)
        uow.catalogue.publish(catalogue)
        audit(
            uow,
            actor,
            "catalogue.publish",
            f"catalogue:{catalogue.version}",
            now,
            locations=len(catalogue.locations),
            images=len(catalogue.images),
            tariffs=len(catalogue.tariffs),
        )
        uow.commit()
    return catalogue


def _current_version(repository: CatalogueRepository) -> int:
    try:
        return repository.current().version
    except NoCatalogue:
        return 0


def missing_templates(
    locations: Sequence[Location], images: Sequence[OsImage], hypervisor: Hypervisor
) -> list[str]:
    """Every (image, location) whose template some node of the location lacks, one line each.

    A QEMU template counts as present on a node that has it or a template of the same name (the
    node-local copy the hypervisor clones instead, since a vmid names one guest cluster-wide)."""
    problems: list[str] = []
    listings: dict[int, dict[str, list[TemplateInfo]]] = {}
    for location in locations:
        where = f"[[locations]] ({location.code})"
        try:
            nodes = hypervisor.nodes(location.id)
        except DomainError as ex:
            problems.append(f"{where}: its nodes cannot be listed: {ex.message}")
            continue
        if not nodes:
            problems.append(f"{where}: the hypervisor has no node in this location")
        listings[location.id] = {}
        for node in nodes:
            try:
                listings[location.id][node.name] = hypervisor.templates(node.name)
            except DomainError as ex:
                problems.append(f"{where}: {node.name}'s templates cannot be read: {ex.message}")
    names = {
        t.ref: t.name
        for per_node in listings.values()
        for found in per_node.values()
        for t in found
        if t.kind is GuestKind.QEMU
    }
    for image in images:
        for location in locations:
            ref = image.template_at(location.id)
            name = (
                _template_name(hypervisor, names, ref)
                if image.guest_kind is GuestKind.QEMU
                else None
            )
            lacking = [
                node
                for node, found in sorted(listings.get(location.id, {}).items())
                if not _has(found, image, ref, name)
            ]
            if lacking:
                problems.append(
                    f"[[images]] id {image.id} ({image.name}): template {ref} is missing on "
                    f"{', '.join(lacking)} ({location.code})"
                )
    return problems


def _template_name(hypervisor: Hypervisor, names: dict[str, str], ref: str) -> str | None:
    """The name of QEMU template `ref`, which its node-local copies share: from the nodes listed,
    else from wherever in the cluster it is (a node of no location checked, say)."""
    if ref not in names and ref.isdigit():
        try:
            found = hypervisor.find_guest(int(ref))
        except DomainError:
            found = None
        if found is not None and found.template:
            names[ref] = found.name
    return names.get(ref)


def _has(found: list[TemplateInfo], image: OsImage, ref: str, name: str | None) -> bool:
    if image.guest_kind is GuestKind.LXC:
        return any(t.kind is GuestKind.LXC and t.ref == ref for t in found)
    return any(
        t.kind is GuestKind.QEMU and (t.ref == ref or (name is not None and t.name == name))
        for t in found
    )
