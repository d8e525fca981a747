"""Prohibited search purposes: the one pattern list the auditor's analysis and the privacy suite share.

Denver's terms, Colorado SB21-131, Illinois 625 ILCS 5/2-130 and Washington SB 6002 forbid plate
searches for civil immigration enforcement, reproductive or gender-affirming health care, and
protest / First-Amendment activity. Audit logs show searchers typing "ICE", "immigration" or
misspellings of them as the reason, so matching has three layers, applied to a normalized form of
the text (lower case, accents removed, dots inside acronyms dropped: ``I.C.E.`` -> ``ice``):

1. **patterns**: regular expressions for acronyms, stems and phrases (``\\bice\\b``, ``deport\\w*``,
   ``no kings``...), matched on word boundaries;
2. **fuzzy words**: a token of 8 or more letters within one edit (insert, delete, substitute or
   swap two neighbours) of a listed word counts as that word (``imigration``, ``abortoin``);
   one edit only, so ``importation`` is not ``deportation`` and ``protect`` is not ``protest``;
3. nothing else: keyword filters are evadable (see PC-PUR-04), so the analysis also reports
   missing and vague reasons.

Matches are leads for a human auditor, not verdicts: ``ICE`` also spells frozen water.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("immigration", "reproductive_care", "protest")
"""Prohibited-purpose categories, in report order."""

PATTERNS: dict[str, tuple[str, ...]] = {
    "immigration": (
        r"\bice\b",
        r"\bero\b",
        r"\bhsi\b",
        r"\bcbp\b",
        r"\busbp\b",
        r"\b287\s*\(?\s*g\s*\)?",
        r"\bi+m+i+g+r\w*",
        r"\binmigra\w*",
        r"\bmigrant\w*",
        r"\bdeport\w*",
        r"\bremoval\s+(?:order|proceeding|case|hearing)\w*",
        r"\bundocumented\b",
        r"\billegal\s+(?:alien|immigrant|entry)\w*",
        r"\bborder\s+patrol\b",
        r"\bvisa\s+overstay\w*",
        r"\bcustoms\s+and\s+border\b",
    ),
    "reproductive_care": (
        r"\babort\w*",
        r"\breproductive\b",
        r"\bplanned\s+parenthood\b",
        r"\bmifepristone\b",
        r"\bmisoprostol\b",
        r"\bgender[\s-]*affirming\b",
        r"\bself[\s-]*managed\s+(?:abortion|pregnancy)\b",
        r"\bfamily\s+planning\s+clinic\b",
    ),
    "protest": (
        r"\bprotest\w*",
        r"\bno\s+kings\b",
        r"\bfirst\s+amendment\b",
        r"\b1st\s+amendment\b",
        r"\bdemonstrat(?:ion|ions|or|ors)\b",
        r"\bactivist\w*",
        r"\brally\b",
        r"\bmarch(?:ers?)\b",
        r"\bpicket\w*",
    ),
}
"""Category -> regular expressions, matched against :func:`normalize_reason` output."""

FUZZY_WORDS: dict[str, tuple[str, ...]] = {
    "immigration": ("immigration", "immigrant", "immigrants", "deportation", "deportee", "inmigracion"),
    "reproductive_care": ("abortion", "abortions", "reproductive", "mifepristone", "misoprostol"),
    "protest": ("protester", "protesters", "protestor", "demonstration", "demonstrator"),
}
"""Category -> long words whose one-edit misspellings also count (tokens of 8+ letters only)."""

FUZZY_MIN_LENGTH = 8

SAMPLE_REASONS: dict[str, tuple[str, ...]] = {
    "immigration": ("ICE", "I.C.E. request", "immigration enforcement", "imigration check", "deportation", "inmigración"),
    "reproductive_care": ("abortion investigation", "reproductive health care", "Planned Parenthood visit"),
    "protest": ("protest", "No Kings rally", "First Amendment activity"),
}
"""Reasons the privacy suite submits for PC-PUR-03 (spelling variants, case, accents)."""

_COMPILED = {cat: tuple(re.compile(p) for p in pats) for cat, pats in PATTERNS.items()}
_ACRONYM_DOTS = re.compile(r"\b[a-z](?:\.[a-z])+\b\.?")
_TOKEN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PurposeMatch:
    """Why a text was flagged: the category and the words that matched (never the whole text)."""

    category: str
    term: str
    fuzzy: bool = False


def normalize_reason(text: str) -> str:
    """Lower case, accents stripped, acronym dots dropped, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = _ACRONYM_DOTS.sub(lambda m: m.group(0).replace(".", ""), plain)
    return " ".join(plain.split())


def within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def match_prohibited(text: str | None) -> PurposeMatch | None:
    """The first prohibited-purpose match in ``text`` (categories in :data:`CATEGORIES` order)."""
    if not text:
        return None
    norm = normalize_reason(text)
    for category in CATEGORIES:
        for pattern in _COMPILED[category]:
            found = pattern.search(norm)
            if found:
                return PurposeMatch(category, found.group(0).strip())
    tokens = [t for t in _TOKEN.findall(norm) if len(t) >= FUZZY_MIN_LENGTH]
    for category in CATEGORIES:
        for word in FUZZY_WORDS[category]:
            for token in tokens:
                if within_one_edit(token, word):
                    return PurposeMatch(category, token, fuzzy=True)
    return None
