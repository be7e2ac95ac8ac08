"""Password hashing and secret generation on vetted libraries."""

from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.randomness import SystemSecretGenerator

__all__ = ["Argon2PasswordHasher", "SystemSecretGenerator"]
