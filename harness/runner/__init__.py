"""Running one adapter over one corpus: calls with bounded concurrency, the journal, resume, rescore.

The entry points live in :mod:`harness.runner.run` (``prepare``, ``execute``, ``rescore``). This
package imports nothing heavy on its own. The calls themselves are made by :mod:`harness.calls`
(process-pool workers import only that, not the metrics stack).
"""

from pathlib import Path

from harness.errors import UserError

DEFAULT_SCORECARD_DIR = Path("scorecards")
"""Where runs are written unless ``--scorecard-dir`` says otherwise: ``DIR/<vendor>/<run_id>/``."""

MIN_FREE_BYTES = 50 * 1024 * 1024
"""Free space the scorecard folder needs before a run starts (journal, scorecard, evidence), at least."""


class RunError(UserError):
    """A run cannot start or continue because of something the user can fix; says what."""
