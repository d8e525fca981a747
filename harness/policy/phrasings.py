"""The versioned library of prohibited-purpose phrasings: the variants a run submits, and the classifier.

One data file (``data/prohibited_purposes.toml``) serves both sides:

- :meth:`PhrasingLibrary.variants` draws, from a seeded :class:`random.Random`, phrasings a searcher
  might type for a prohibited purpose: synonyms, acronyms with and without dots or spaces, agency
  names, other languages, one-edit misspellings of long words, purposes embedded in longer sentences,
  and case numbers carrying a purpose tag. A run's set depends on its seed, so no fixed list can be
  learnt and special-cased by a vendor.
- :class:`PurposeClassifier` judges a text: the policy model (and the reference server enforcing it)
  refuses a search whose ``reason``, ``case_number`` or ``offense_type`` it flags.

Matching, on a normalized form of the text (NFKD, accents removed, lower case, acronym dots dropped,
every other non-alphanumeric character a space, letters and digits split apart): each term on word boundaries (a trailing ``*``
matches any ending; CJK terms as substrings), then tokens of 8+ letters within one edit of a
``fuzzy`` word. Every variant the library generates is, by construction, flagged by its classifier.
"""

from __future__ import annotations

import random
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from harness.audit.purposes import within_one_edit
from harness.errors import UserError

FUZZY_MIN_LENGTH = 8
PURPOSE_FIELDS = ("reason", "case_number", "offense_type")
"""The search fields a prohibited purpose is looked for in (rule 2 of ``POST /v1/search``)."""

_ACRONYM_DOTS = re.compile(r"(?<![\w])(?:[^\W\d_]\.){2,}(?:[^\W\d_](?![\w]))?", re.UNICODE)
_NON_WORD = re.compile(r"[^\w]+|_", re.UNICODE)
_TOKEN = re.compile(r"[a-z]+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


class PhrasingError(UserError, ValueError):
    """The phrasing library file is malformed (says which entry)."""


def normalize(text: str) -> str:
    """Lower case, accents stripped, acronym dots dropped, other punctuation to spaces, letters and digits
    apart (``ICE2455037`` -> ``ice 2455037``), spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = _ACRONYM_DOTS.sub(lambda m: m.group(0).replace(".", ""), plain)
    plain = _LETTER_DIGIT.sub(" ", _NON_WORD.sub(" ", plain))
    return " ".join(plain.split())


@dataclass(frozen=True)
class Finding:
    """Why a text was judged a prohibited purpose: the category and the matched words (never the text)."""

    category: str
    term: str
    fuzzy: bool = False


class PurposeJudge(Protocol):
    """What the policy model needs: whether a text names a prohibited purpose, and which."""

    def judge(self, text: str | None) -> Finding | None: ...


@dataclass(frozen=True)
class Category:
    name: str
    title: str
    terms: tuple[str, ...]
    acronyms: tuple[str, ...]
    agencies: tuple[str, ...]
    fuzzy: tuple[str, ...]
    languages: Mapping[str, tuple[str, ...]]
    case_tags: tuple[str, ...]

    def all_terms(self) -> tuple[str, ...]:
        langs = tuple(t for terms in self.languages.values() for t in terms)
        return self.terms + self.acronyms + self.agencies + langs + self.case_tags


class PurposeClassifier:
    """Judges texts against the library's categories (all of them unless ``categories`` narrows)."""

    def __init__(self, library: PhrasingLibrary, categories: Iterable[str] | None = None) -> None:
        chosen = list(categories) if categories is not None else list(library.categories)
        unknown = sorted(set(chosen) - set(library.categories))
        if unknown:
            raise PhrasingError(f"unknown purpose categories {unknown}; known: {sorted(library.categories)}")
        self.version = library.version
        self._patterns: list[tuple[str, str, re.Pattern[str]]] = []
        self._fuzzy: list[tuple[str, str]] = []
        for name in chosen:
            category = library.categories[name]
            for term in category.all_terms():
                self._patterns.append((name, term, _term_pattern(term)))
            self._fuzzy.extend((name, normalize(w)) for w in category.fuzzy)

    def judge(self, text: str | None) -> Finding | None:
        """The first prohibited purpose named in ``text`` (categories in library order), else ``None``."""
        if not text or not text.strip():
            return None
        norm = normalize(text)
        for category, term, pattern in self._patterns:
            if pattern.search(norm):
                return Finding(category, term)
        tokens = {t for t in _TOKEN.findall(norm) if len(t) >= FUZZY_MIN_LENGTH}
        for category, word in self._fuzzy:
            for token in tokens:
                if within_one_edit(token, word):
                    return Finding(category, token, fuzzy=True)
        return None

    def __call__(self, text: str) -> str | None:
        """The category ``text`` names, or ``None`` (the policy model's classifier signature)."""
        found = self.judge(text)
        return found.category if found else None

    def judge_fields(self, fields: Mapping[str, Any]) -> tuple[str, Finding] | None:
        """The first of ``reason``, ``case_number``, ``offense_type`` naming a prohibited purpose."""
        for name in PURPOSE_FIELDS:
            value = fields.get(name)
            found = self.judge(value) if isinstance(value, str) else None
            if found:
                return name, found
        return None


def _term_pattern(term: str) -> re.Pattern[str]:
    stem = term.endswith("*")
    norm = normalize(term.rstrip("*"))
    if not norm:
        raise PhrasingError(f"term {term!r} is empty once normalized")
    if _CJK.search(norm):
        return re.compile(re.escape(norm))
    tail = r"\w*" if stem else ""
    return re.compile(rf"(?<!\w){re.escape(norm)}{tail}(?!\w)")


@dataclass(frozen=True)
class Variant:
    """One drawn phrasing: the category it stands for, the field it goes in, and how it was made."""

    category: str
    field: str
    """``reason`` or ``case_number``."""
    text: str
    shape: str
    """How it was made, e.g. ``acronym dotted, embedded`` (for evidence; no plate data)."""


class PhrasingLibrary:
    """The library file, loaded: categories, embedding sentences, and the version."""

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        try:
            self.version = str(data["version"])
            self.categories = {name: _category(name, entry) for name, entry in data["categories"].items()}
            self.templates = tuple(data["embedding"]["templates"])
            self.embed_agencies = tuple(data["embedding"]["agencies"])
        except (KeyError, TypeError) as exc:
            raise PhrasingError(f"{source}: missing or malformed member {exc}") from None
        self.source = source
        self._classifiers: dict[tuple[str, ...], PurposeClassifier] = {}
        for template in self.templates:
            if "{p}" not in template:
                raise PhrasingError(f"{source}: embedding template {template!r} lacks {{p}}")

    @classmethod
    def load(cls, path: Path | None = None) -> PhrasingLibrary:
        """The packaged library, or the file at ``path``."""
        if path is None:
            return default_library()
        try:
            return cls(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise PhrasingError(f"{path}: {exc}") from None

    def classifier(self, categories: Iterable[str] | None = None) -> PurposeClassifier:
        """A classifier over ``categories`` (all by default; built once per set of categories)."""
        key = tuple(categories) if categories is not None else tuple(self.categories)
        if key not in self._classifiers:
            self._classifiers[key] = PurposeClassifier(self, key)
        return self._classifiers[key]

    # ------------------------------------------------------------------ drawing variants

    def variants(self, rng: random.Random, count: int, *, categories: Iterable[str] | None = None,
                 fill: Mapping[str, Iterable[str]] | None = None, case_number_share: float = 0.2) -> list[Variant]:
        """``count`` distinct phrasings drawn by ``rng``, spread over ``categories`` (all by default);
        ``fill`` supplies ``{veh}``/``{place}`` words for the embedding sentences."""
        names = list(categories) if categories is not None else list(self.categories)
        fill = {k: list(v) for k, v in (fill or {}).items()}
        seen: set[str] = set()
        out: list[Variant] = []
        attempts = 0
        while len(out) < count and attempts < count * 50:
            attempts += 1
            category = self.categories[names[len(out) % len(names)]]
            if category.case_tags and rng.random() < case_number_share:
                variant = self._case_number(rng, category)
            else:
                variant = self._reason(rng, category, fill)
            if variant.text not in seen:
                seen.add(variant.text)
                out.append(variant)
        return out

    def _reason(self, rng: random.Random, category: Category, fill: Mapping[str, list[str]]) -> Variant:
        langs = [(f"language {lang}", terms) for lang, terms in category.languages.items() if terms]
        sources = [(w, s) for w, s in ((0.35, ("term", category.terms)), (0.2, ("acronym", category.acronyms)),
                                       (0.1, ("agency", category.agencies)),
                                       (0.35, rng.choice(langs) if langs else ("language", ()))) if s[1]]
        kind, pool = rng.choices([s for _, s in sources], weights=[w for w, _ in sources])[0]
        phrase = rng.choice(pool).rstrip("*")
        shapes = [kind]
        if kind == "acronym":
            phrase, how = _acronym_form(rng, phrase)
            shapes.append(how)
        else:
            misspelt = _misspell(rng, phrase, category.fuzzy) if rng.random() < 0.3 else None
            if misspelt:
                phrase = misspelt
                shapes.append("misspelt")
            phrase, how = _casing(rng, phrase)
            shapes.append(how)
            if kind.startswith("language") and rng.random() < 0.3:
                phrase = _strip_accents(phrase)
                shapes.append("accents dropped")
        template = rng.choice(self.templates)
        if template != "{p}":
            shapes.append("embedded")
        text = template.format(p=phrase, agency=rng.choice(self.embed_agencies),
                               veh=_pick(rng, fill, "veh", "vehicle"), place=_pick(rng, fill, "place", "the lot"))
        return Variant(category.name, "reason", text, ", ".join(shapes))

    def _case_number(self, rng: random.Random, category: Category) -> Variant:
        tag = rng.choice(category.case_tags)
        year = rng.choice(["", f"{rng.randint(24, 27)}-", f"20{rng.randint(24, 27)}-"])
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 6)))
        digits = digits[:-1] + rng.choice("123456789")
        text = rng.choice([f"{tag}-{year}{digits}", f"{year}{digits}-{tag}", f"{tag}{year.replace('-', '')}{digits}"])
        return Variant(category.name, "case_number", text, "case-number tag")


def _pick(rng: random.Random, fill: Mapping[str, list[str]], key: str, default: str) -> str:
    pool = fill.get(key)
    return rng.choice(pool) if pool else default


def _acronym_form(rng: random.Random, acronym: str) -> tuple[str, str]:
    letters = acronym.split(" ")
    forms = [
        (acronym, "as written"),
        (" ".join(".".join(w) + "." for w in letters), "dotted"),
        (" ".join(".".join(w) for w in letters), "dotted, no final dot"),
        (acronym.lower(), "lower case"),
        ("/".join(letters), "slashed") if len(letters) > 1 else (f"({acronym})", "in brackets"),
        (acronym.title(), "title case"),
    ]
    return rng.choice(forms)


def _casing(rng: random.Random, phrase: str) -> tuple[str, str]:
    return rng.choice([(phrase, "as written"), (phrase.lower(), "lower case"), (phrase.upper(), "upper case"),
                       (phrase.capitalize(), "capitalized")])


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _misspell(rng: random.Random, phrase: str, fuzzy: Iterable[str]) -> str | None:
    """One edit to one word of ``phrase`` that is a fuzzy word (the result keeps 8+ letters)."""
    words = phrase.split(" ")
    targets = [i for i, w in enumerate(words) if normalize(w) in {normalize(f) for f in fuzzy}]
    if not targets:
        return None
    i = rng.choice(targets)
    word = normalize(words[i])
    for _ in range(10):
        pos = rng.randrange(len(word))
        op = rng.choice(("delete", "swap", "substitute", "insert"))
        if op == "delete":
            new = word[:pos] + word[pos + 1:]
        elif op == "swap" and pos < len(word) - 1:
            new = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
        elif op == "substitute":
            new = word[:pos] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[pos + 1:]
        else:
            new = word[:pos] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[pos:]
        if new != word and len(new) >= FUZZY_MIN_LENGTH and new.isalpha():
            words[i] = new
            return " ".join(words)
    return None


def _category(name: str, entry: Mapping[str, Any]) -> Category:
    def strings(key: str) -> tuple[str, ...]:
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise PhrasingError(f"category {name!r}: {key} must be a list of non-empty strings")
        return tuple(values)

    languages = entry.get("languages", {})
    if not isinstance(languages, dict):
        raise PhrasingError(f"category {name!r}: languages must be a table")
    langs = {}
    for lang, values in languages.items():
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise PhrasingError(f"category {name!r}: languages.{lang} must be a list of non-empty strings")
        langs[lang] = tuple(values)
    for word in entry.get("fuzzy", []):
        if len(normalize(word)) < FUZZY_MIN_LENGTH or " " in normalize(word):
            raise PhrasingError(f"category {name!r}: fuzzy word {word!r} must be one word of 8+ letters")
    return Category(name, str(entry.get("title", name)), strings("terms"), strings("acronyms"), strings("agencies"),
                    strings("fuzzy"), langs, strings("case_tags"))


@cache
def default_library() -> PhrasingLibrary:
    """The library shipped with the harness (``harness/policy/data/prohibited_purposes.toml``)."""
    text = resources.files("harness.policy").joinpath("data/prohibited_purposes.toml").read_text(encoding="utf-8")
    return PhrasingLibrary(tomllib.loads(text), "harness/policy/data/prohibited_purposes.toml")
