"""Decorators that serialise a port's writes under the Locks port."""

from adapters.locking.fabric import SerializedFabric

__all__ = ["SerializedFabric"]
