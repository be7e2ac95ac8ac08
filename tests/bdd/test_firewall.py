from pytest_bdd import scenarios

from .steps.firewall import *  # noqa: F403

scenarios("firewall.feature")
