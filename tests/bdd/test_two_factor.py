from pytest_bdd import scenarios

scenarios("two_factor.feature")
