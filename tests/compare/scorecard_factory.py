"""Real scorecards for the comparison, report and signing tests.

A *planned* vendor (a real :class:`Adapter`) answers each image of a small synthetic corpus as a
plan says (right, wrong, nothing, time-out), and ``platebench run`` (the real command, in-process)
turns its answers into a sealed scorecard. Used through ``vendors.toml``::

    [vendors.planned]
    adapter = "scorecard_factory:PlannedAdapter"
    answers = "/path/answers.json"
    vendor = "Acme"
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from harness.cli.main import main
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus
from harness.scorecard.integrity import seal
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
from vendor_adapters.errors import VendorTimeout


class PlannedAdapter(Adapter):
    """Answers from a JSON script keyed by image sha256; unscripted images get no read."""

    name: ClassVar[str] = "planned"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process", boxes=True, vendor_timing=True)

    def __init__(self, answers: Mapping[str, Any], vendor: str, product: str, version: str) -> None:
        self.answers, self.vendor, self.product, self.version = dict(answers), vendor, product, version

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> PlannedAdapter:
        raise_unknown_options(cls.name, config, allowed=("answers", "vendor", "product", "version"))
        answers = json.loads(Path(config["answers"]).read_text(encoding="utf-8"))
        return cls(
            answers, config.get("vendor", "Planned"), config.get("product", ""), config.get("version", "1")
        )

    def info(self) -> VendorInfo:
        return VendorInfo(
            vendor=self.vendor, product=self.product, version=self.version, declared_threshold=0.6
        )

    def recognize(self, image: Image) -> Recognition:
        answer = self.answers.get(hashlib.sha256(image.data).hexdigest(), {})
        if answer.get("error") == "timeout":
            raise VendorTimeout("no answer in 30 s")
        if "text" not in answer:
            return Recognition(reads=(), vendor_ms=1.0)
        return Recognition(
            reads=(Read(answer["text"], answer["confidence"], Box(*answer["box"])),), vendor_ms=3.0
        )


class PooledPlannedAdapter(PlannedAdapter):
    """The same answers, run like a CPU-bound engine: in a process pool, several calls at once."""

    name: ClassVar[str] = "planned-pooled"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="in-process", boxes=True, vendor_timing=True, cpu_bound=True
    )


def make_corpus(folder: Path, n: int, seed: int) -> Path:
    """A synthetic corpus of ``n`` images in ``folder``."""
    synth_corpus(folder, n=n, seed=seed)
    return folder


def plates_of(corpus: Path) -> list[str]:
    """Every plate string of a corpus (for redaction tests)."""
    return [p.text for s in load_corpus(corpus).samples for p in s.plates]


def answers(corpus: Path, plan: Sequence[str]) -> dict[str, Any]:
    """Answers following ``plan`` cyclically: ``right``, ``wrong``, ``none`` or ``timeout``."""
    out: dict[str, Any] = {}
    for i, sample in enumerate(load_corpus(corpus).samples):
        what, truth = plan[i % len(plan)], sample.plates[0]
        box = [truth.box.x, truth.box.y, truth.box.width, truth.box.height]
        if what == "right":
            out[sample.sha256] = {"text": truth.text, "confidence": 0.9, "box": box}
        elif what == "wrong":
            out[sample.sha256] = {"text": "ZZ" + truth.text[2:][::-1] + "Q", "confidence": 0.7, "box": box}
        elif what == "timeout":
            out[sample.sha256] = {"error": "timeout"}
    return out


def run_vendor(
    corpus: Path,
    work: Path,
    plan: Sequence[str],
    *,
    vendor: str = "Planned",
    product: str = "",
    version: str = "1",
    limit: int | None = None,
    extra: Sequence[str] = (),
    adapter: str = "PlannedAdapter",
) -> Path:
    """``platebench run`` of a planned vendor on ``corpus`` (``extra``: more run options); returns the
    scorecard.json path."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "answers.json").write_text(json.dumps(answers(corpus, plan)), encoding="utf-8")
    (work / "vendors.toml").write_text(
        f'[vendors.planned]\nadapter = "scorecard_factory:{adapter}"\n'
        f"answers = {json.dumps(str(work / 'answers.json'))}\nvendor = {json.dumps(vendor)}\n"
        f"product = {json.dumps(product)}\nversion = {json.dumps(version)}\n",
        encoding="utf-8",
    )
    args = [
        "run",
        "--vendor",
        "planned",
        "--corpus",
        str(corpus),
        "--vendors-config",
        str(work / "vendors.toml"),
        "--scorecard-dir",
        str(work / "scorecards"),
        "--no-load",
    ]
    if limit:
        args += ["--limit", str(limit)]
    assert main([*args, *extra]) == 0
    (path,) = (work / "scorecards").rglob("scorecard.json")
    return path


def with_privacy_and_load(
    path: Path, results: Sequence[str], *, message: str = "", scenario: str = "server"
) -> Path:
    """Add a privacy section (controls with ``results``) and a load scenario, re-seal, write back."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["results"]["privacy"] = {
        "controls": [
            {"id": f"PC-SHR-0{i + 1}", "title": f"Sharing control {i + 1}", "result": r, "message": message}
            for i, r in enumerate(results)
        ]
    }
    doc["results"]["load"] = [
        {
            "scenario": scenario,
            "target_qps": 20.0,
            "achieved_qps": 19.5,
            "duration_s": 10.0,
            "n": 195,
            "latency_ms": {"p50": 12.0, "p90": 20.0, "p99": 45.0, "max": 60.0},
            "errors": {"timeout": 1},
            "timeouts": 0,
            "latency_bound_ms": 100.0,
            "bound_met": True,
        }
    ]
    doc["provenance"]["options"]["scenarios"] = [scenario]
    path.write_text(json.dumps(seal(doc), indent=2), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- fixtures (imported by each area's conftest)

PLAN_A = ("right", "right", "right", "wrong")
PLAN_B = ("right", "wrong", "none", "right", "timeout")


@pytest.fixture(scope="session")
def corpus12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 synthetic images."""
    return make_corpus(tmp_path_factory.mktemp("corpus12"), 12, seed=7)


@pytest.fixture(scope="session")
def card_a(corpus12: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scorecard of a vendor reading 3 plates in 4 right (name holds HTML/Markdown specials)."""
    return run_vendor(corpus12, tmp_path_factory.mktemp("vendor_a"), PLAN_A, vendor="Acme <b>LPR</b> | *A*")


@pytest.fixture(scope="session")
def card_b(corpus12: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scorecard of a weaker vendor on the same corpus (wrong reads, misses, time-outs)."""
    return run_vendor(corpus12, tmp_path_factory.mktemp("vendor_b"), PLAN_B, vendor="Bravo Plates")


def with_control_results(path: Path, result: str, out: Path, *, message: str = "observed by the test") -> Path:
    """A copy of a real scorecard whose privacy controls all have ``result``, its requirements judged
    again by the default rubric (the real :func:`harness.rubric.judge`), re-sealed, written to ``out``."""
    from harness.rubric import judge, load_rubric

    doc = json.loads(path.read_text(encoding="utf-8"))
    for control in doc["results"]["privacy"]["controls"]:
        control["result"], control["message"] = result, f"{message}: {result}"
    results = {k: v for k, v in doc["results"].items() if k not in ("requirements", "score")}
    doc["results"]["requirements"], doc["results"]["score"] = judge(load_rubric(), results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(seal(doc), indent=2), encoding="utf-8")
    return out


def resealed(path: Path, out: Path, edit: Any) -> Path:
    """A copy of the scorecard at ``path`` changed by ``edit(doc)`` and sealed again (a well-formed
    forgery: its hash matches its content), written to ``out``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(seal(doc), indent=2), encoding="utf-8")
    return out
