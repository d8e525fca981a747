"""Fixtures for comparison tests: real scorecards from ``platebench run`` of planned vendors."""

from scorecard_factory import card_a, card_b, corpus12  # noqa: F401  (fixtures)
