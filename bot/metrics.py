"""Prometheus metrics of one running process, served at GET /metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


@dataclass
class Metrics:
    # One registry per process object, so tests can build several apps side by side.
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.updates = Counter(
            "vbsp_updates_handled",
            "Updates received per channel",
            ["channel"],
            registry=self.registry,
        )
        self.replies = Counter(
            "vbsp_replies_sent", "Messages sent per channel", ["channel"], registry=self.registry
        )
        self.send_errors = Counter(
            "vbsp_send_errors",
            "Failed sends by channel and kind (blocked, rate_limited, bad_request, network)",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "vbsp_handler_seconds",
            "Time to handle one update, database included",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
