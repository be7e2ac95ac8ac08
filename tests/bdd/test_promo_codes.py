from pytest_bdd import scenarios

scenarios("promo_codes.feature")
