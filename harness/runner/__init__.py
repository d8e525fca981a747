"""Running one adapter over one corpus: calls with bounded concurrency, the journal, resume, rescore."""

from harness.runner.run import RunError, RunRequest, RunResult, prepare, execute, rescore, run

__all__ = ["RunError", "RunRequest", "RunResult", "execute", "prepare", "rescore", "run"]
