"""platebench's engine: corpus, runner, metrics, privacy checks, scorecards, pytest plugin, CLI."""

__version__ = "0.1.0"
