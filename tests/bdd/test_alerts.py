from pytest_bdd import scenarios

scenarios("alerts.feature")
