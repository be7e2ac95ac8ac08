from pytest_bdd import scenarios

scenarios("top_ups.feature")
