"""The house drawn from the imports has no circle: no module of domain/, ports/, adapters/ or
entrypoints/ reaches itself again through what it imports, imports made only for the type checker
included (a circle there is still two modules that cannot be understood one without the other).

grimp is the graph library import-linter is built on, so it is installed wherever the contracts
are checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

grimp = pytest.importorskip("grimp")

PACKAGES = ("domain", "ports", "adapters", "entrypoints")


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of modules that import one another round in a circle (the graph's strongly
    connected components of more than one module, and a module importing itself), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Tarjan's algorithm, iterative: the graph is deeper than Python's recursion allows.
        def imports_of(module: str) -> Iterator[str]:
            return iter(sorted(graph.find_modules_directly_imported_by(module)))

        work = [(start, imports_of(start))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, imports_of(other)))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    itself = module in graph.find_modules_directly_imported_by(module)
                    if len(component) > 1 or itself:
                        found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def test_the_product_imports_in_no_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    assert circles(graph) == []


def test_a_circle_is_found_however_long() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("shop.store", "shop.accounts"),
        ("shop.accounts", "shop.paging"),
        ("shop.ledger", "shop.store"),
        ("shop.accounts", "shop.ledger"),  # closes store -> accounts -> ledger -> store
        ("shop.cli", "shop.store"),
        ("shop.a", "shop.b"),
        ("shop.b", "shop.a"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert circles(graph) == [
        ["shop.a", "shop.b"],
        ["shop.accounts", "shop.ledger", "shop.store"],
    ]
