"""The campaign file: vendors x corpora under one perturbation grid and one rubric, validated by a JSON Schema.

::

    name = "RFP 2026-114"
    output = "campaign"                 # runs/, comparison/, campaign.json, campaign.md
    rubric = "rubric.toml"              # optional: the default rubric
    vendors_config = "vendors.toml"     # optional
    vendors = ["reference", "acme"]

    [corpora]
    us = "datasets/us"

    [perturbations]                     # optional: every run sweeps every level (--perturb blur=3,7)
    blur = [3, 7]

    [options]                           # optional: run options by their RunRequest name
    executor = "dask"
    limit = 200

Paths are relative to the campaign file's folder. Each (vendor, corpus) is one run; its
:class:`~harness.run_options.RunRequest` is :meth:`Campaign.request`.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.options import EXECUTOR_LOCAL
from harness.run_options import RUN_OPTIONS, RunOption, RunRequest, check_request
from harness.schema_check import raise_problems, read_toml, schema_problems

SCHEMA = Path(__file__).with_name("campaign.schema.json")
"""The published JSON Schema of the campaign file (docs/campaigns.md links it)."""
PERTURB_FIELD = "perturb"
"""The run option the perturbation grid is passed through (``--perturb NAME=L1,L2``)."""
SET_BY_CAMPAIGN = frozenset({"vendor", "corpus_path", "rubric_path", "vendors_file", "scorecard_dir", "resume",
                             "retry_failed", "strict", PERTURB_FIELD})
"""Run options the campaign sets itself (its own keys, or per run); not allowed in ``[options]``."""
RUNS_DIR = "runs"


class CampaignError(UserError):
    """A campaign file that cannot be used, or a campaign that cannot go on; says what and where."""


def _rows() -> dict[str, RunOption]:
    return {row.field: row for row in RUN_OPTIONS}


@dataclass(frozen=True)
class Campaign:
    """A validated campaign file."""

    path: Path
    sha256: str
    name: str
    output: Path
    vendors: tuple[str, ...]
    corpora: dict[str, Path]
    perturbations: dict[str, tuple[float, ...]] = field(default_factory=dict)
    rubric: Path | None = None
    vendors_config: Path | None = None
    rfp: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """:class:`RunRequest` keyword arguments shared by every run (converted from ``[options]``)."""

    @property
    def runs_dir(self) -> Path:
        """Where the runs' folders are written (``runs/VENDOR/RUN_ID/``)."""
        return self.output / RUNS_DIR

    @property
    def perturb(self) -> tuple[str, ...]:
        """The grid as ``--perturb`` values: one ``NAME=L1,L2,...`` per perturbation."""
        return tuple(f"{name}={','.join(_level(v) for v in levels)}" for name, levels in self.perturbations.items())

    @property
    def conditions(self) -> int:
        """Perturbed conditions per run (each level of each perturbation), the unperturbed one aside."""
        return sum(len(levels) for levels in self.perturbations.values())

    @property
    def executor(self) -> str:
        """Where the runs' engines run (``[options] executor``)."""
        return str(self.options.get("executor", EXECUTOR_LOCAL))

    def pairs(self) -> list[tuple[str, str]]:
        """Every (vendor, corpus) run, corpus by corpus."""
        return [(vendor, corpus) for corpus in self.corpora for vendor in self.vendors]

    def request(self, vendor: str, corpus: str, *, resume: str | None = None, executor: str | None = None) -> Any:
        """The run of ``vendor`` on ``corpus`` (``resume``: continue that run; ``executor``: override)."""
        extra: dict[str, Any] = {PERTURB_FIELD: self.perturb} if self.perturbations else {}
        options = {**self.options, **({"executor": executor} if executor else {})}
        request = RunRequest(
            vendor=vendor, corpus_path=self.corpora[corpus], rubric_path=self.rubric, vendors_file=self.vendors_config,
            scorecard_dir=self.runs_dir, resume=resume, **options, **extra,
        )
        check_request(request)
        return request


def _level(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def load_campaign(path: Path) -> Campaign:
    """Read and validate a campaign file; a :class:`CampaignError` lists every problem with its place."""
    raw, data = read_toml(path, "campaign file", CampaignError)
    raise_problems(schema_problems(SCHEMA, data), "campaign file", path, SCHEMA, CampaignError)
    base = path.resolve().parent
    perturbations = {name: tuple(levels) for name, levels in data.get("perturbations", {}).items()}
    campaign = Campaign(
        path=path.resolve(),
        sha256=hashlib.sha256(raw).hexdigest(),
        name=data["name"],
        output=base / data["output"],
        vendors=tuple(data["vendors"]),
        corpora={name: base / value for name, value in data["corpora"].items()},
        perturbations=perturbations,
        rubric=base / data["rubric"] if "rubric" in data else None,
        vendors_config=base / data["vendors_config"] if "vendors_config" in data else None,
        rfp=data.get("rfp"),
        options=_options(path, data.get("options", {}), base),
    )
    for vendor, corpus in campaign.pairs():  # every request checked before the first run starts
        try:
            campaign.request(vendor, corpus)
        except UserError as exc:
            raise CampaignError(f"campaign file {path} [options]: {exc}") from None
    return campaign


def _options(path: Path, table: dict[str, Any], base: Path) -> dict[str, Any]:
    """``[options]`` as :class:`RunRequest` keyword arguments: each value through its row's parser,
    paths relative to the campaign file, repeatable options as tuples."""
    rows = _rows()
    converted: dict[str, Any] = {}
    for name, value in table.items():
        row = rows.get(name)
        if row is None or name in SET_BY_CAMPAIGN:
            allowed = ", ".join(sorted(set(rows) - SET_BY_CAMPAIGN))
            raise CampaignError(f"campaign file {path} [options]: {name!r} is not an option a campaign can set "
                                f"(choose from {allowed})")
        try:
            converted[name] = _convert(row, value, base)
        except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
            raise CampaignError(f"campaign file {path} [options] {name}: {exc}") from None
    return converted


def _convert(row: RunOption, value: Any, base: Path) -> Any:
    if row.action == "append":
        if not isinstance(value, list):
            raise TypeError(f"give a list, e.g. {_example(row)}")
        return tuple(_one(row, item, base) for item in value)
    if row.action in ("store_true", "store_false") or row.action is argparse.BooleanOptionalAction:
        if not isinstance(value, bool):
            raise TypeError("give true or false")
        return value
    if isinstance(value, list):
        raise TypeError("give one value, not a list")
    return _one(row, value, base)


def _one(row: RunOption, value: Any, base: Path) -> Any:
    if row.type is Path:
        return base / str(value)
    if row.type is not None and not isinstance(value, bool):
        return row.type(str(value))
    return value


def _example(row: RunOption) -> str:
    return f'{row.field} = ["{(row.choices or ("VALUE",))[0]}"]'
