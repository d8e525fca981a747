"""Running one adapter over one corpus: calls with bounded concurrency, the journal, resume, rescore.

The entry points live in :mod:`harness.runner.run` (``prepare``, ``execute``, ``rescore``). This
package imports nothing heavy on its own. The calls themselves are made by :mod:`harness.calls`
(process-pool workers import only that, not the metrics stack).
"""

from harness.run_options import DEFAULT_SCORECARD_DIR, MIN_FREE_BYTES, RunError

__all__ = ["DEFAULT_SCORECARD_DIR", "MIN_FREE_BYTES", "RunError"]
