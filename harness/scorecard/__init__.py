"""Scorecards: the versioned JSON result of a run, its integrity, renderings and storage."""
