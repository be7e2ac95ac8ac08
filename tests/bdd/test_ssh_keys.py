from pytest_bdd import scenarios

scenarios("ssh_keys.feature")
