"""The explorer against the real reference server: no divergence when clean, a shrunk reproducing
sequence when a flaw breaks the contract, seeded and bounded."""

from __future__ import annotations

import json
import re

import pytest

from harness.privacy.explorer import Budget, Explorer, Step
from harness.reference_server.launcher import running_reference_server


def _explore(flaws: tuple[str, ...], budget: Budget, seed: int = 7):
    with running_reference_server(flaws=flaws) as server:
        return Explorer(server.base_url, server.admin_token, seed=seed, budget=budget).run()


@pytest.mark.parametrize(("text", "budget"), [
    ("300", Budget(300, Budget.seconds)), ("45s", Budget(Budget.actions, 45.0)), ("120, 30s", Budget(120, 30.0)),
    ("0", Budget(0, Budget.seconds)),
])
def test_budget_parses_actions_seconds_or_both(text: str, budget: Budget) -> None:
    assert Budget.parse(text) == budget


@pytest.mark.parametrize("text", ["", "ten", "-5", "5m"])
def test_bad_budgets_are_clear_errors(text: str) -> None:
    with pytest.raises(ValueError, match="--privacy-budget"):
        Budget.parse(text)


def test_clean_reference_server_never_diverges_and_the_budget_holds() -> None:
    report = _explore((), Budget(80, 120))
    assert report.unavailable is None
    assert report.findings == {}, {c: f.divergences[0].message for c, f in report.findings.items()}
    assert report.examples >= 3
    assert 80 <= report.actions < 80 + 40  # stops at the first example past the budget


def test_a_flaw_is_found_with_a_shrunk_redacted_sequence() -> None:
    report = _explore(("audit-editable",), Budget(150, 120))
    finding = report.findings["PC-AUD-05"]
    assert 1 <= len(finding.steps) <= 3
    assert any("audit_immutable" in d.message for d in finding.divergences)
    text = json.dumps(finding.exchanges)
    assert "Bearer" not in text and not re.search(r'"token": "(?!<redacted>)', text)
    assert all(isinstance(s, Step) for s in finding.steps)


def test_an_unusable_admin_token_makes_the_exploration_unavailable() -> None:
    import httpx

    with running_reference_server() as server:
        explorer = Explorer(server.base_url, "a-token-that-was-never-issued-000000", seed=1, budget=Budget(20, 10),
                            http=httpx.Client(timeout=5))
        report = explorer.run()
    assert report.unavailable and "GET /v1/me" in report.unavailable
    assert report.findings == {}
