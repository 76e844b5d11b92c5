"""Prometheus metrics of one running process, served at GET /metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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

        self.queue_depth = Gauge(
            "vbsp_queue_depth",
            "Outbound messages not yet sent, by channel and state (due, later, sending)",
            ["channel", "state"],
            registry=self.registry,
        )

        self.zalo_oa_token_ok = Gauge(
            "vbsp_zalo_oa_token_ok",
            "1 while the Zalo OA access token is usable, 0 after a failed refresh (alert on 0); "
            "absent when the OA channel is off",
            ["app_id"],
            registry=self.registry,
        )
        self.zalo_oa_token_failures = Counter(
            "vbsp_zalo_oa_token_refresh_failures",
            "Failed refreshes of the Zalo OA tokens, by kind (token, network, server, ...)",
            ["kind"],
            registry=self.registry,
        )
        self.zalo_oa_token_expiry = Gauge(
            "vbsp_zalo_oa_token_expiry_timestamp_seconds",
            "When the Zalo OA access token in use expires (Unix time)",
            ["app_id"],
            registry=self.registry,
        )

    def set_queue_depth(self, depth: dict[tuple[str, str], int], channels: list[str]) -> None:
        """Every state of every channel gets a value (0 too), so a drained queue shows as 0."""
        for channel in sorted({*channels, *(c for c, _ in depth)}):
            for state in ("due", "later", "sending"):
                self.queue_depth.labels(channel, state).set(depth.get((channel, state), 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
