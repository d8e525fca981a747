"""``--perturb NAME=L1,L2,...``: parsing and checking a sweep (one operator, its levels in order)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import UserError
from harness.perturb.registry import OPERATORS


class PerturbError(UserError):
    """A ``--perturb`` value (or a rubric's ``[perturb]`` entry) is not a known operator with valid levels."""


@dataclass(frozen=True)
class Sweep:
    """One operator and its levels, as given (order kept, duplicates dropped)."""

    operator: str
    levels: tuple[float, ...]

    @property
    def text(self) -> str:
        """The sweep as written on a command line: ``blur=3,7,11``."""
        return f"{self.operator}=" + ",".join(level_key(v) for v in self.levels)


def level_key(level: float) -> str:
    """A level as it appears in sample ids and in the scorecard: ``7``, ``0.25``."""
    return f"{level:g}"


def parse_sweep(text: str) -> Sweep:
    """``blur=3,7,11`` -> ``Sweep("blur", (3.0, 7.0, 11.0))``; :class:`PerturbError` saying what is wrong."""
    name, sep, levels = text.partition("=")
    name = name.strip()
    if not sep or not name or not levels.strip():
        raise PerturbError(f"--perturb {text!r}: write NAME=L1,L2,... (e.g. blur=3,7,11); operators: {', '.join(OPERATORS)}")
    spec = OPERATORS.get(name)
    if spec is None:
        raise PerturbError(f"--perturb {text!r}: unknown operator {name!r}; operators: {', '.join(OPERATORS)}")
    values: list[float] = []
    for part in levels.split(","):
        try:
            value = float(part)
        except ValueError:
            raise PerturbError(f"--perturb {text!r}: level {part.strip()!r} is not a number") from None
        if not spec.low <= value <= spec.high:  # NaN fails too
            raise PerturbError(
                f"--perturb {text!r}: {name} levels are {spec.unit} from {spec.low:g} to {spec.high:g} (got {part.strip()})"
            )
        if value not in values:
            values.append(value)
    return Sweep(name, tuple(values))


def parse_sweeps(texts: Iterable[str]) -> tuple[Sweep, ...]:
    """Several ``--perturb`` values; an operator given twice is an error (give its levels once)."""
    sweeps = [parse_sweep(t) for t in texts]
    names = [s.operator for s in sweeps]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PerturbError(f"--perturb {twice[0]} is given twice: give all its levels in one value ({twice[0]}=L1,L2,...)")
    return tuple(sweeps)


def sweep_argument(text: str) -> str:
    """argparse ``type`` of ``--perturb``: checks the value, keeps the text (the run option's value is text)."""
    try:
        parse_sweep(text)
    except PerturbError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--perturb {text!r}: ")) from None
    return text


def canonical_sweeps(texts: Iterable[str]) -> list[str]:
    """Sweeps in their recorded form (``blur=3,7,11``), as the journal header keeps them."""
    return [s.text for s in parse_sweeps(texts)]
