"""How much the privacy explorer may do: a budget in actions and seconds (``--privacy-budget``).

Kept apart from the explorer (which imports Hypothesis) so that parsing the option stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Budget:
    """How much exploring: steps (one action each, set-up not counted) and wall seconds, whichever ends first."""

    actions: int = 300
    seconds: float = 60.0

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``300`` (actions), ``60s`` (seconds) or ``300,60s`` (both); ``0`` turns exploration off."""
        actions, seconds = cls.actions, cls.seconds
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise ValueError("--privacy-budget: give actions (300), seconds (60s) or both (300,60s)")
        for part in parts:
            try:
                if part.endswith("s"):
                    seconds = float(part[:-1])
                else:
                    actions = int(part)
            except ValueError:
                raise ValueError(f"--privacy-budget: {part!r} is neither a number of actions nor seconds like 60s") from None
            if (seconds if part.endswith("s") else actions) < 0:
                raise ValueError(f"--privacy-budget: {part!r} is negative")
        return cls(actions, seconds)

    def describe(self) -> str:
        return f"{self.actions} actions, {self.seconds:g} s"

    def as_dict(self) -> dict[str, Any]:
        return {"actions": self.actions, "seconds": self.seconds}
