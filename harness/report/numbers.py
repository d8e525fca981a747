"""How figures are written for people, the same in Markdown, HTML, PDF and terminal lines.

Spreadsheets get numbers, not text: :func:`excel_format` gives the number format that shows a
unit the way :func:`number` writes it.
"""

from __future__ import annotations

from typing import Any

PERCENT_UNITS = ("proportion",)


def number(value: Any, unit: str = "") -> str:
    """A figure in a human form.

    ``None`` -> ``n/a``; true/false -> ``yes``/``no``; proportions as percentages to 0.1
    (``95.0%``); milliseconds to 0.1 from 10 ms up (``1,234.5``), else 3 significant digits; rates
    per 1,000 to 0.1; whole numbers with thousands separators; anything else to 4 significant
    digits (``0.4891``).
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if unit in PERCENT_UNITS:
        return f"{100 * value:.1f}%"
    if unit == "ms":
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if unit == "per 1,000":
        return f"{value:,.1f}"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def percentage_points(value: float | None, *, signed: bool = True) -> str:
    """A difference of two proportions in percentage points: ``+26.7 pp`` (``n/a`` for ``None``)."""
    if value is None:
        return "n/a"
    return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} pp"


def interval(low: float | None, high: float | None, unit: str = "", *, points: bool = False) -> str:
    """``95% CI a to b``; empty when there is no interval. ``points``: a difference in percentage points."""
    if low is None or high is None:
        return ""
    if points:
        return f"95% CI {percentage_points(low)} to {percentage_points(high)}"
    return f"95% CI {number(low, unit)} to {number(high, unit)}"


def sample_size(n: int | None) -> str:
    """``n = 1,234`` (empty for ``None``)."""
    return "" if n is None else f"n = {n:,}"


def excel_format(unit: str) -> str:
    """The spreadsheet number format that shows ``unit`` as :func:`number` writes it."""
    if unit in PERCENT_UNITS:
        return "0.0%"
    return {
        "ms": "#,##0.0",
        "per 1,000": "#,##0.0",
        "per second": "0.000",
        "percentage points": '+0.0" pp";-0.0" pp"',
    }.get(unit, "#,##0" if unit in ("reads", "requests", "points", "calls", "images") else "0.000")
