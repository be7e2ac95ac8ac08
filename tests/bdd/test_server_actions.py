from pytest_bdd import scenarios

scenarios("server_actions.feature")
