"""Every perturbation operator by name, with what its level means, its unit and its allowed range.

The names are those of ``--perturb NAME=L1,L2,...`` (run option ``perturb``, the rubric's ``[perturb]``
table) and of the recipes in the journal. ``docs/robustness.md`` lists the same table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Operator = Callable[..., Any]
"""``(image, level, rng, boxes) -> operators.Perturbed`` (see :mod:`harness.perturb.operators`)."""


@dataclass(frozen=True)
class OperatorSpec:
    """One operator: its function, what a level means and in which unit, the range a level may take, and
    which end of the range is harsher (``harsher_when_higher``)."""

    name: str
    title: str
    condition: str
    """The street condition it stands for (night, speed, distance...)."""
    unit: str
    level_meaning: str
    low: float
    high: float
    harsher_when_higher: bool
    function_name: str
    """The function in :mod:`harness.perturb.operators` (imported on first use: this table stays light)."""
    examples: tuple[float, ...]
    """Levels a city could start from (docs and ``platebench perturb list``)."""
    family: str = "condition"
    """``condition``: a sweep operator; ``near-duplicate``: used by the memorisation probes; ``probe-control``:
    used by the caching probes (all sweepable)."""

    @property
    def function(self) -> Operator:
        return getattr(importlib.import_module("harness.perturb.operators"), self.function_name)


OPERATORS: dict[str, OperatorSpec] = {
    s.name: s
    for s in (
        OperatorSpec("night", "Night (less light)", "night", "fraction of daylight exposure",
              "exposure scaled in linear light (gamma 2.2); 1 is unchanged", 0.01, 1.0, False, "night",
              (0.5, 0.25, 0.1)),
        OperatorSpec("blur", "Motion blur", "speed", "pixels of streak length",
              "straight motion streak of this length at a random angle (recorded)", 1, 200, True, "blur",
              (3, 7, 11)),
        OperatorSpec("defocus", "Defocus", "focus", "pixels of blur-disc radius",
              "uniform circle of confusion of this radius", 0, 100, True, "defocus", (1, 2, 4)),
        OperatorSpec("distance", "Distance (downscale)", "distance", "pixels of character height",
              "image scaled down until the plate's characters are this tall (half the plate box height)", 2, 500,
              False, "distance", (20, 12, 8)),
        OperatorSpec("jpeg", "JPEG compression", "bandwidth", "JPEG quality (1-100)",
              "the image encoded as JPEG at this quality", 1, 100, False, "identity", (50, 20, 10)),
        OperatorSpec("noise", "Sensor noise", "night", "grey levels of standard deviation",
              "Gaussian noise of this standard deviation on every channel", 0, 128, True, "noise", (5, 15, 30)),
        OperatorSpec("rotate", "Rotation (roll)", "angle", "degrees",
              "image rotated counter-clockwise about its centre, plate boxes rotated with it", -90, 90, True,
              "rotate", (5, 10, 20)),
        OperatorSpec("perspective", "Perspective (oblique view)", "angle", "degrees off-axis",
              "horizontal viewing angle (planar approximation), plate boxes transformed with the image", 0, 85, True,
              "perspective", (20, 40, 60)),
        OperatorSpec("glare", "Glare", "glare", "peak opacity (0-1)",
              "white bloom as wide as the plate at a random point of the plate", 0, 1, True, "glare",
              (0.3, 0.6, 0.9)),
        OperatorSpec("overexpose", "Overexposure", "glare", "exposure gain (x)",
              "exposure multiplied in linear light, highlights clipped", 1, 64, True, "overexpose", (2, 4, 8)),
        OperatorSpec("rain", "Rain", "weather", "streak density (0-1)",
              "slanted bright streaks (1 per 1,000 pixels at 1) over a dimmed image", 0, 1, True, "rain",
              (0.2, 0.5, 1.0)),
        OperatorSpec("fog", "Fog", "weather", "fog density (0-1)",
              "uniform transmission 1 - level towards a light grey airlight", 0, 1, True, "fog", (0.3, 0.5, 0.7)),
        OperatorSpec("occlusion", "Partial occlusion", "occlusion", "fraction of plate width hidden (0-1)",
              "dark bar over this share of a plate's width from its left or right edge", 0, 1, True, "occlusion",
              (0.1, 0.2, 0.4)),
        OperatorSpec("shift", "Shift", "near-duplicate", "pixels",
              "image moved right and down by this many pixels", 0, 50, True, "shift", (2,), "near-duplicate"),
        OperatorSpec("mirror", "Mirror", "probe control", "mirrored (1)",
              "image mirrored left to right, plate boxes with it (plates then read backwards: a timing control "
              "for the caching probes, not a street condition)", 1, 1, True, "mirror", (1,), "probe-control"),
        OperatorSpec("rescale", "Rescale", "near-duplicate", "percent",
              "image resized by this many percent", -50, 50, True, "rescale", (1,), "near-duplicate"),
        OperatorSpec("recolour", "Recolour", "near-duplicate", "percent of channel gain",
              "each colour channel's gain drawn within +/- this many percent", 0, 50, True, "recolour", (3,),
              "near-duplicate"),
    )
}
"""Every operator, in documentation order."""
