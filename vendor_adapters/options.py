"""Typed reading of one adapter's ``vendors.toml`` table, with errors that name the option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vendor_adapters.errors import ConfigurationError


class Options:
    """Read options from a ``vendors.toml`` table; every mistake is a :class:`ConfigurationError`."""

    def __init__(self, adapter: str, config: Mapping[str, Any]) -> None:
        self.adapter = adapter
        self.config = config

    def error(self, key: str, expected: str, value: Any) -> ConfigurationError:
        return ConfigurationError(f"adapter {self.adapter!r}: option {key} must be {expected}, got {value!r}")

    def text(self, key: str, default: str | None = None) -> str | None:
        """A non-empty string, or ``default`` when absent."""
        value = self.config.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "a non-empty string", value)
        return value

    def number(self, key: str, default: float | None = None, *, low: float | None = None,
              high: float | None = None, strict_low: bool = False) -> float | None:
        """A number within ``[low, high]`` (``(low, high]`` with ``strict_low``), or ``default``."""
        value = self.config.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, "a number", value)
        too_low = low is not None and (value <= low if strict_low else value < low)
        too_high = high is not None and value > high
        if too_low or too_high:
            bounds = f"{'>' if strict_low else '>='} {low}" if low is not None else ""
            if high is not None:
                bounds = f"{bounds} and <= {high}" if bounds else f"<= {high}"
            raise self.error(key, f"a number {bounds}", value)
        return float(value)

    def integer(self, key: str, default: int | None = None, *, low: int | None = None,
            high: int | None = None) -> int | None:
        """An integer within ``[low, high]``, or ``default``."""
        value = self.config.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, "an integer", value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(key, f"an integer in [{low}, {high}]", value)
        return value

    def flag(self, key: str, default: bool) -> bool:
        """``true`` or ``false``."""
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "true or false", value)
        return value

    def texts(self, key: str) -> list[str]:
        """A list of non-empty strings (a single string is accepted as a one-item list)."""
        value = self.config.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "a list of strings", value)
        return list(value)

    def table(self, key: str) -> dict[str, Any]:
        """A TOML table (``{}`` when absent)."""
        value = self.config.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "a table", value)
        return dict(value)
