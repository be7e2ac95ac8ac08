"""Fixtures: a fresh back office per test, built by the composition root with a FakeClock."""

from __future__ import annotations

import pytest

from domain.usecases.actors import Actor

from .support import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def customer(world: World) -> Actor:
    """A customer with 1000.00 on the balance."""
    return world.customer()


@pytest.fixture
def stranger(world: World) -> Actor:
    """Another customer, with money of their own."""
    return world.customer()
