from pytest_bdd import scenarios

from .steps.warm_pool import *  # noqa: F403

scenarios("warm_pool.feature")
