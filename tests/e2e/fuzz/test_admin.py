"""Schemathesis on the admin's operations (/api/admin/...); see conftest.py."""

from __future__ import annotations

import pytest
import schemathesis

from .conftest import Cast, answers_as_documented, fuzzed, fuzzing

pytestmark = pytest.mark.e2e

# Thousands of requests from one address in well under a minute: the default limit (600 a minute)
# would answer most of them with 429 and test nothing behind it.
SANDBOX_SETTINGS = {"HOSTPROVIDER_REQUESTS_PER_MINUTE": "1000000"}

schema = fuzzed("admin")


@schema.parametrize()
@fuzzing
def test_every_operation_answers_as_documented(case: schemathesis.Case, cast: Cast) -> None:
    answers_as_documented(case, cast)
