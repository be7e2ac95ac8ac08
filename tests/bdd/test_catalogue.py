from pytest_bdd import scenarios

from .steps.catalogue import *  # noqa: F403

scenarios("catalogue.feature")
