from pytest_bdd import scenarios

scenarios("snapshots.feature")
