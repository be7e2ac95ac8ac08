from pytest_bdd import scenarios

scenarios("account_suspension.feature")
