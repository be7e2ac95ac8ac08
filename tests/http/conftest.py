"""Fixtures: a fresh API per test over a fresh in-memory back office, and the people who use it."""

from __future__ import annotations

import pytest
from api_support import Api, User


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def customer(api: Api) -> User:
    """A logged-in customer with 1000.00 on the balance."""
    return api.customer()


@pytest.fixture
def stranger(api: Api) -> User:
    """Another customer, with money of their own."""
    return api.customer()


@pytest.fixture
def admin(api: Api) -> User:
    return api.admin
