"""Checking a run's perturbed images: every recipe of its journal made again from the corpus, bit for bit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.corpus.model import Corpus
from harness.perturb.recipe import Recipe, RecipeError, regenerate
from harness.perturb.targets import boxes


@dataclass(frozen=True)
class AuditResult:
    """How many recipes were made again identically, and the calls whose image differed (ids only)."""

    checked: int
    mismatched: tuple[str, ...]


def verify_recipes(derived: Mapping[str, Mapping[str, Any]], corpus: Corpus) -> AuditResult:
    """Regenerate every recipe of a journal's derived calls (``JournalContents.derived``) from ``corpus`` and
    compare sha256."""
    by_id = corpus.by_id()
    checked = 0
    bad: list[str] = []
    for call_id, made_from in derived.items():
        if not made_from.get("recipe"):
            continue
        recipe = Recipe.from_json(made_from["recipe"])
        sample = by_id.get(made_from["from"])
        checked += 1
        try:
            made = regenerate(recipe, sample.path.read_bytes(), boxes(sample)) if sample is not None else b""
            ok = sample is not None and hashlib.sha256(made).hexdigest() == recipe.sha256
        except RecipeError:
            ok = False
        if not ok:
            bad.append(call_id)
    return AuditResult(checked, tuple(bad))

