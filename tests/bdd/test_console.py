from pytest_bdd import scenarios

scenarios("console.feature")
