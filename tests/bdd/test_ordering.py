from pytest_bdd import scenarios

scenarios("ordering.feature")
