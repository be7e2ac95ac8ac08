"""Password hashing and secret generation on vetted libraries."""

from adapters.security.passwords import Argon2PasswordHasher, BoundedPasswordHasher
from adapters.security.randomness import SystemSecretGenerator
from adapters.security.secret_box import FernetSecretBox

__all__ = [
    "Argon2PasswordHasher",
    "BoundedPasswordHasher",
    "FernetSecretBox",
    "SystemSecretGenerator",
]
