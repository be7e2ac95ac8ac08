from pytest_bdd import scenarios

scenarios("scoped_tokens.feature")
