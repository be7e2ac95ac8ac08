"""A pfSense-compatible HTTP simulator (REST API package v2) for adapter and contract tests."""

from .handlers_common import Options
from .simulator import KINDS, PfSenseSimulator

__all__ = ["KINDS", "Options", "PfSenseSimulator"]
