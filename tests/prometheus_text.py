"""Reading a `/metrics` answer in tests: samples by (name, labels), and one value out of them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(content_type: str, text: str) -> Samples:
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value, 0 when absent (a labelled counter appears on its first increment)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
