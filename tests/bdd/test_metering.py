from pytest_bdd import scenarios

scenarios("metering.feature")
