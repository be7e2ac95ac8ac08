from pytest_bdd import scenarios

scenarios("dunning.feature")
