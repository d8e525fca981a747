"""Renderings of scorecards and comparisons for people: plots, self-contained HTML, PDF (see docs/reports.md)."""
