"""One OpenCV build, the headless one: a GUI build links libGL.so.1, which slim servers lack, and two
builds side by side leave ``cv2`` to whichever was installed last (issue 12, item 10)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import cv2
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADLESS = "opencv-python-headless"
GUI_BUILDS = frozenset({"opencv-python", "opencv-contrib-python"})
EXTRAS = ("simplelpr",)
"""The extras the quick start installs (``pip install -e '.[simplelpr]'``)."""


def _required_names(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    """Canonical names of every installed distribution ``name`` (with ``extras``) requires, transitively."""
    seen: set[str] = set()
    pending = [(name, extras)]
    while pending:
        dist_name, dist_extras = pending.pop()
        for spec in metadata.requires(dist_name) or ():
            requirement = Requirement(spec)
            environments = [{"extra": extra} for extra in dist_extras] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            required = canonicalize_name(requirement.name)
            if required in seen:
                continue
            seen.add(required)
            try:
                metadata.distribution(required)
            except metadata.PackageNotFoundError:
                continue  # not installed here (an optional dependency's own extra, say)
            pending.append((required, tuple(requirement.extras)))
    return seen


def test_no_dependency_requires_a_gui_opencv_build() -> None:
    required = _required_names("platebench", EXTRAS)
    assert HEADLESS in required
    assert not required & GUI_BUILDS, f"a dependency requires {sorted(required & GUI_BUILDS)}"


def test_only_the_headless_opencv_build_is_installed() -> None:
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    assert HEADLESS in installed
    assert not installed & GUI_BUILDS, f"GUI OpenCV installed beside the headless one: {sorted(installed & GUI_BUILDS)}"


def test_cv2_comes_from_the_headless_build() -> None:
    dist = metadata.distribution(HEADLESS)
    headless_files = {Path(dist.locate_file(f)).resolve() for f in dist.files or ()}
    assert Path(cv2.__file__).resolve() in headless_files
