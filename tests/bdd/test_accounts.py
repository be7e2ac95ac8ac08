from pytest_bdd import scenarios

scenarios("accounts.feature")
