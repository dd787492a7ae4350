"""Reading a /metrics answer (Prometheus's text format) with prometheus-client's own parser."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One /metrics answer: its families and samples."""

    text: str

    def families(self) -> set[str]:
        return {family.name for family in text_string_to_metric_families(self.text)}

    def value(self, sample: str, **labels: str) -> float:
        """The sum of the samples of that name whose labels include ``labels`` (0 when there is none)."""
        total = 0.0
        for family in text_string_to_metric_families(self.text):
            for found in family.samples:
                if found.name == sample and all(found.labels.get(k) == v for k, v in labels.items()):
                    total += found.value
        return total

    def series(self, sample: str) -> list[dict[str, str]]:
        """The label sets of every sample of that name."""
        return [
            dict(found.labels)
            for family in text_string_to_metric_families(self.text)
            for found in family.samples
            if found.name == sample
        ]
