from pytest_bdd import scenarios

scenarios("ledger.feature")
