"""The camera bench's figures ("At the roadside"): their keys and titles, in display order.

Defined here, below the bench that computes them and the renderers and rubric that read them, so
that none of those has to import another to agree on the names.
"""

from __future__ import annotations

ROUTE_COLUMNS = (
    ("capture_rate", "Capture rate"),
    ("exact_read_rate", "Exact read per pass"),
    ("duplicates_per_pass", "Duplicates per pass"),
    ("phantoms_per_hour", "Phantoms per hour"),
    ("latency_p50_s", "Latency p50 (s)"),
    ("latency_p95_s", "Latency p95 (s)"),
    ("latency_p99_s", "Latency p99 (s)"),
    ("clock_offset_s", "Clock offset (s)"),
    ("clock_spread_s", "Clock spread, IQR (s)"),
)
"""(figure key, title) of every figure per camera and route."""

SUMMARY_FIGURES = tuple(key for key, _ in ROUTE_COLUMNS)
"""Figures the section also gives for the bench as a whole (the worst camera and route): what a
rubric's ``roadside.<figure>`` requirement judges."""
