"""The root of the errors a user can fix (a bad option, file, corpus, rubric or vendor configuration).

Every such error derives from :class:`UserError` (the journal, policy, phrasing, scorecard, comparison and
signing-key errors among them), except the adapters' own
:class:`vendor_adapters.errors.ConfigurationError` (adapters do not import the harness); both are
listed in :data:`USER_ERRORS`, the one tuple the command line (``harness.cli.main``) and the pytest
plugin catch to print a one-paragraph message and exit with status 2, never a traceback.
"""

from __future__ import annotations

from vendor_adapters.errors import ConfigurationError


class UserError(Exception):
    """A problem the user can fix; its message says what and, where it helps, how."""


USER_ERRORS: tuple[type[Exception], ...] = (UserError, ConfigurationError)
"""What ``platebench`` and ``pytest --vendor`` report as a usage error (exit status 2)."""

USAGE_EXIT = 2
"""Exit status of a user error (as argparse and pytest use for usage errors)."""
