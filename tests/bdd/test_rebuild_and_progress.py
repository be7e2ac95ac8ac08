from pytest_bdd import scenarios

scenarios("rebuild.feature")
scenarios("progress.feature")
