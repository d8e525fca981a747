"""The scorecard's ``results.privacy``, converted from the privacy suite's own report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.scorecard.model import PrivacyResults

if TYPE_CHECKING:
    from harness.privacy.runner import PrivacyReport


def privacy_results(report: PrivacyReport) -> dict[str, Any]:
    """``results.privacy`` for ``report`` (validated by :class:`PrivacyResults`); write the report's
    evidence first, which fills in the digests this section carries."""
    return PrivacyResults.model_validate(report.scorecard_section()).model_dump(mode="json")
