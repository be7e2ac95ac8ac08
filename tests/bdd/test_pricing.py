from pytest_bdd import scenarios

scenarios("pricing.feature")
