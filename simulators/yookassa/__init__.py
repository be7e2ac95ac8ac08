"""A YooKassa API v3 simulator, built from the public API reference (payments, refunds,
idempotence keys, errors, notifications); it imports nothing of the product."""

from .model import Shop, YooKassaError
from .server import YooKassaSimulator

__all__ = ["Shop", "YooKassaError", "YooKassaSimulator"]
