"""Schemathesis on every other operation: accounts, catalogue, money, tokens, keys, webhooks,
tickets, the seed's aliases; see conftest.py."""

from __future__ import annotations

import pytest

from .conftest import SANDBOX_SETTINGS, operations_test

pytestmark = pytest.mark.e2e
__all__ = ["SANDBOX_SETTINGS"]  # read by the sandbox fixture

test_every_operation_answers_as_documented = operations_test("rest")
