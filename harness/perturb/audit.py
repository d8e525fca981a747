"""Checking a run's perturbed images: every recipe in its journal made again from the corpus, bit for bit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.corpus.model import Corpus
from harness.perturb.recipe import Recipe, RecipeError, regenerate
from harness.perturb.targets import boxes
from harness.runner.journal import JOURNAL_FILE, read_journal


@dataclass(frozen=True)
class AuditResult:
    """How many recipes were made again identically, and the calls whose image differed (ids only)."""

    checked: int
    mismatched: tuple[str, ...]


def verify_run(run_dir: Path, corpus: Corpus) -> AuditResult:
    """Regenerate every recipe of the run at ``run_dir`` from ``corpus`` and compare sha256."""
    contents = read_journal(run_dir / JOURNAL_FILE)
    by_id = corpus.by_id()
    checked = 0
    bad: list[str] = []
    for call_id, extra in contents.extras.items():
        derived = extra.get("derived")
        if not derived or not derived.get("recipe"):
            continue
        recipe = Recipe.from_json(derived["recipe"])
        sample = by_id.get(derived["from"])
        checked += 1
        try:
            ok = sample is not None and _sha(regenerate(recipe, sample.path.read_bytes(), boxes(sample))) == recipe.sha256
        except RecipeError:
            ok = False
        if not ok:
            bad.append(call_id)
    return AuditResult(checked, tuple(bad))


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
