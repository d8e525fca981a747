"""Validation of configuration files against their published JSON Schemas, reporting every problem.

The schemas live next to their loaders (``harness/rubric.schema.json``, ``harness/vendors.schema.json``)
and are linked from the docs. A schema may give a constraint an ``x-message`` (a plain-words
explanation, used instead of the validator's default wording, which would quote the value: useful
where the value may be a secret pasted by mistake).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any


@cache
def load_schema(path: Path) -> dict[str, Any]:
    """The schema at ``path`` (read once)."""
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def read_toml(path: Path, what: str, error: type[Exception]) -> tuple[bytes, dict[str, Any]]:
    """The bytes of ``path`` and their TOML document; ``error`` saying ``cannot read <what> <path>: ...`` or
    ``<what> <path> is not valid TOML: ...`` otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        return raw, tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{what} {path} is not valid TOML: {exc}") from None


def raise_problems(problems: Sequence[str], what: str, path: Path, schema_path: Path, error: type[Exception]) -> None:
    """Raise ``error`` listing every problem of the ``what`` at ``path`` (checked against ``schema_path``), one a
    line; nothing when there is none."""
    if problems:
        raise error(f"{what} {path} has {len(problems)} problem(s) (schema: {schema_path.name}):\n"
                    + "\n".join(f"  - {p}" for p in problems))


def schema_problems(schema_path: Path, instance: Any) -> list[str]:
    """Every way ``instance`` breaks the schema, as ``where: what`` lines in document order; empty when valid."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema(schema_path))
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_location(error)}: {_message(error)}" for error in errors]


def where(path: Sequence[str | int]) -> str:
    """A location in a document: ``requirement[0].comparator`` (``top level`` for the root)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "top level"


def _location(error: Any) -> str:
    if "propertyNames" in error.schema_path:  # the key itself is wrong: name it
        return f"{where(error.absolute_path)} key {error.instance!r}" if error.absolute_path else f"key {error.instance!r}"
    return where(error.absolute_path)


def _message(error: Any) -> str:
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if custom:
        return str(custom)
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(e.absolute_path))
        return _message(best)
    return str(error.message)
