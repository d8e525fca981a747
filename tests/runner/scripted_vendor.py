"""A scripted test vendor: a real ``Adapter`` whose answers per image (by sha256) come from a JSON file.

It stands in for a vendor whose behaviour the test decides: the right plate, a wrong one, nothing,
a time-out, a malformed answer, or an adapter bug. Used through ``vendors.toml``::

    [vendors.scripted]
    adapter = "scripted_vendor:ScriptedAdapter"
    answers = "/path/answers.json"      # {image sha256: {"text": ..., "confidence": ...} | {"error": kind}}
    delay_s = 0.05                      # per call, to make runs slow enough to interrupt
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from harness.corpus.model import Sample
from vendor_adapters.base import (
    Adapter,
    Box,
    Capabilities,
    Image,
    Read,
    Recognition,
    VendorInfo,
    raise_unknown_options,
)
from vendor_adapters.errors import ProtocolError, VendorTimeout

VENDOR_NAME = "Scripted | *Test* <Vendor>"
"""Holds Markdown/HTML specials on purpose: renderings must escape it."""


class ScriptedAdapter(Adapter):
    """Answers from a script keyed by image sha256; images not in the script get no reads."""

    name: ClassVar[str] = "scripted"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process", boxes=True, vendor_timing=True)

    def __init__(self, answers: Mapping[str, Any], delay_s: float = 0.0) -> None:
        self.answers = dict(answers)
        self.delay_s = delay_s

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> ScriptedAdapter:
        raise_unknown_options(cls.name, config, allowed=("answers", "delay_s"))
        answers = json.loads(Path(config["answers"]).read_text(encoding="utf-8")) if "answers" in config else {}
        return cls(answers, float(config.get("delay_s", 0.0)))

    def info(self) -> VendorInfo:
        return VendorInfo(vendor=VENDOR_NAME, product="script", version="1.0", declared_threshold=0.5)

    def recognize(self, image: Image) -> Recognition:
        if self.delay_s:
            time.sleep(self.delay_s)
        answer = self.answers.get(hashlib.sha256(image.data).hexdigest(), {})
        error = answer.get("error")
        if error == "timeout":
            raise VendorTimeout("no answer in 30 s")
        if error == "protocol":
            raise ProtocolError("response is not valid JSON")
        if error == "crash":
            raise KeyError("boom")
        if error == "die":  # the engine takes its process down with it
            os._exit(3)
        if "text" not in answer:
            return Recognition(reads=(), vendor_ms=1.0)
        box = Box(*answer["box"]) if answer.get("box") else None
        return Recognition(reads=(Read(answer["text"], answer.get("confidence", 0.9), box),), vendor_ms=2.5)


class ScriptedPoolAdapter(ScriptedAdapter):
    """The same, declared CPU-bound: the runner puts it in a process pool."""

    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process", boxes=True, cpu_bound=True)


def script(samples: Sequence[Sample], plan: Sequence[str]) -> dict[str, Any]:
    """Answers for ``samples`` following ``plan`` cyclically: ``right``, ``wrong``, ``none``, or an error kind."""
    answers: dict[str, Any] = {}
    for i, sample in enumerate(samples):
        what = plan[i % len(plan)]
        truth = sample.plates[0]
        box = [truth.box.x, truth.box.y, truth.box.width, truth.box.height] if truth.box else None
        if what == "right":
            answers[sample.sha256] = {"text": truth.text, "confidence": 0.95, "box": box}
        elif what == "wrong":
            answers[sample.sha256] = {"text": "ZZ" + truth.text[2:][::-1] + "Q", "confidence": 0.9, "box": box}
        elif what != "none":
            answers[sample.sha256] = {"error": what}
    return answers


def write_vendors_toml(folder: Path, answers: Mapping[str, Any], *, delay_s: float = 0.0, pool: bool = False) -> Path:
    """A vendors.toml with vendor ``scripted`` answering per ``answers``; returns its path."""
    answers_path = folder / "answers.json"
    answers_path.write_text(json.dumps(answers), encoding="utf-8")
    cls = "ScriptedPoolAdapter" if pool else "ScriptedAdapter"
    path = folder / "vendors.toml"
    path.write_text(
        f'[vendors.scripted]\nadapter = "scripted_vendor:{cls}"\nanswers = "{answers_path}"\ndelay_s = {delay_s}\n',
        encoding="utf-8",
    )
    return path
