"""In-memory adapters: the fakes behind the sandbox, the BDD specs and the contract suites."""

from adapters.memory.clock import FakeClock
from adapters.memory.fabric import FakeNetworkFabric
from adapters.memory.hypervisor import FakeHypervisor
from adapters.memory.jobs import FailedJob, InlineJobQueue, Job
from adapters.memory.messaging import RecordingEventPublisher, RecordingMailer
from adapters.memory.store import InMemoryStore, InMemoryUnitOfWork

__all__ = [
    "FailedJob",
    "FakeClock",
    "FakeHypervisor",
    "FakeNetworkFabric",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InlineJobQueue",
    "Job",
    "RecordingEventPublisher",
    "RecordingMailer",
]
