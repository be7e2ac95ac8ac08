from pytest_bdd import scenarios

scenarios("resize_funds.feature")
