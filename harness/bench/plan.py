"""The bench plan: which cameras are tested, which passes they are shown, and the matching window.

A plan is a TOML file::

    [bench]
    name = "north gate, 2026-12-02"
    start_delay_s = 5.0          # first pass this long after the bench starts
    window_before_s = 1.0        # an event may arrive this long before a pass's paint time...
    window_after_s = 10.0        # ...and this long after it
    min_text_similarity = 0.5    # an event whose text is less similar to a pass's plate is not its read
    frame_rate = 25.0            # virtual camera / display rig frame rate
    crossing_s = 1.2             # how long a vehicle takes to cross the virtual camera's frame

    [[cameras]]
    id = "cam-1"
    vendor = "platerecognizer"
    delivery = "push"            # push | poll | export
    format = "platerecognizer-stream"   # push formats: harness.bench.formats.FORMATS
    device = "camera-1"          # the id the vendor's events carry (default: id)

    [[passes]]
    id = "p0001"
    offset_s = 0.0               # after start_delay_s
    camera = "cam-1"
    lane = 1
    sample = "synth-00003"       # a corpus sample (its plate is shown) ...
    # plate = "ABC1234"          # ... or a physical test vehicle's plate / a plate to render
    direction = "approaching"    # approaching | receding
    speed_kmh = 30.0             # optional
    tags = { time = "day" }

:func:`load_plan` reports every problem at once (:class:`PlanError`). Plans hold plate text (they
say what to show) and are kept with the journal, never copied into a scorecard.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from vendor_adapters.base import normalize_plate_text

DELIVERIES = ("push", "poll", "export")
DIRECTIONS = ("approaching", "receding")


class PlanError(UserError):
    """A plan that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class Camera:
    """One camera under test and how its reads reach the harness."""

    id: str
    vendor: str
    delivery: str = "push"
    format: str | None = None
    device: str | None = None
    """The camera's id as its vendor's events carry it; defaults to :attr:`id`."""

    @property
    def device_id(self) -> str:
        return self.device or self.id


@dataclass(frozen=True)
class Pass:
    """One plate shown to (or driven past) one camera at a scheduled time."""

    id: str
    offset_s: float
    camera: str
    lane: int = 1
    sample: str | None = None
    plate: str | None = None
    direction: str = "approaching"
    speed_kmh: float | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchSettings:
    """Plan-wide settings (the ``[bench]`` table)."""

    name: str = "bench"
    start_delay_s: float = 5.0
    window_before_s: float = 1.0
    window_after_s: float = 10.0
    min_text_similarity: float = 0.5
    frame_rate: float = 25.0
    crossing_s: float = 1.2
    corpus: str | None = None


@dataclass(frozen=True)
class BenchPlan:
    """A validated plan."""

    settings: BenchSettings
    cameras: tuple[Camera, ...]
    passes: tuple[Pass, ...]

    def camera(self, camera_id: str) -> Camera:
        return next(c for c in self.cameras if c.id == camera_id)

    @property
    def duration_s(self) -> float:
        """From the bench's start to the end of the last pass's matching window."""
        last = max((p.offset_s for p in self.passes), default=0.0)
        return self.settings.start_delay_s + last + self.settings.crossing_s + self.settings.window_after_s

    def to_dict(self) -> dict[str, Any]:
        """The plan as parsed TOML would give it (``None`` values left out)."""

        def present(item: Any) -> dict[str, Any]:
            return {k: v for k, v in asdict(item).items() if v is not None}

        return {
            "bench": present(self.settings),
            "cameras": [present(c) for c in self.cameras],
            "passes": [present(p) | {"tags": dict(p.tags)} for p in self.passes],
        }

    @property
    def sha256(self) -> str:
        """Identifies the plan (canonical JSON of its content)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _number(table: Mapping[str, Any], key: str, where: str, problems: list[str], *, minimum: float = 0.0) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: {key} must be a number, got {value!r}")
        return None
    if value < minimum:
        problems.append(f"{where}: {key} must be >= {minimum}, got {value}")
        return None
    return float(value)


def _settings(table: Any, problems: list[str]) -> BenchSettings:
    if not isinstance(table, Mapping):
        problems.append("[bench] must be a table")
        return BenchSettings()
    known = set(BenchSettings.__dataclass_fields__)
    for key in sorted(set(table) - known):
        problems.append(f"[bench]: unknown key {key!r}")
    values: dict[str, Any] = {}
    for key in ("start_delay_s", "window_before_s", "window_after_s", "crossing_s"):
        number = _number(table, key, "[bench]", problems)
        if number is not None:
            values[key] = number
    rate = _number(table, "frame_rate", "[bench]", problems, minimum=1.0)
    if rate is not None:
        values["frame_rate"] = rate
    similarity = _number(table, "min_text_similarity", "[bench]", problems)
    if similarity is not None:
        if similarity > 1:
            problems.append("[bench]: min_text_similarity must be in [0, 1]")
        else:
            values["min_text_similarity"] = similarity
    for key in ("name", "corpus"):
        if key in table:
            if isinstance(table[key], str):
                values[key] = table[key]
            else:
                problems.append(f"[bench]: {key} must be a string")
    return BenchSettings(**values)


def _cameras(items: Any, problems: list[str]) -> list[Camera]:
    from harness.bench.formats import FORMATS

    if not isinstance(items, list) or not items:
        problems.append("the plan needs at least one [[cameras]] entry")
        return []
    cameras: list[Camera] = []
    seen: set[str] = set()
    devices: dict[tuple[str | None, str], str] = {}
    for i, item in enumerate(items, 1):
        where = f"cameras #{i}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        for key in sorted(set(item) - set(Camera.__dataclass_fields__)):
            problems.append(f"{where}: unknown key {key!r}")
        cid, vendor = item.get("id"), item.get("vendor")
        if not isinstance(cid, str) or not cid:
            problems.append(f"{where}: id must be a non-empty string")
            continue
        where = f"camera {cid!r}"
        if cid in seen:
            problems.append(f"{where}: duplicate camera id")
        seen.add(cid)
        if not isinstance(vendor, str) or not vendor:
            problems.append(f"{where}: vendor must be a non-empty string")
        delivery = item.get("delivery", "push")
        if delivery not in DELIVERIES:
            problems.append(f"{where}: delivery must be one of {', '.join(DELIVERIES)}, got {delivery!r}")
        fmt = item.get("format")
        if delivery == "push":
            if fmt not in FORMATS:
                problems.append(f"{where}: a push camera needs format = one of {', '.join(sorted(FORMATS))}, got {fmt!r}")
        elif fmt is not None and not isinstance(fmt, str):
            problems.append(f"{where}: format must be a string")
        device = item.get("device")
        if device is not None and (not isinstance(device, str) or not device):
            problems.append(f"{where}: device must be a non-empty string")
        camera = Camera(cid, str(vendor), str(delivery), fmt, device)
        key = (fmt, camera.device_id)
        if key in devices:
            problems.append(f"{where}: reports as device {camera.device_id!r} in format {fmt!r}, like camera {devices[key]!r}")
        devices[key] = cid
        cameras.append(camera)
    return cameras


def _passes(items: Any, cameras: set[str], problems: list[str]) -> list[Pass]:
    if not isinstance(items, list) or not items:
        problems.append("the plan needs at least one [[passes]] entry")
        return []
    passes: list[Pass] = []
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        where = f"passes #{i}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        for key in sorted(set(item) - set(Pass.__dataclass_fields__)):
            problems.append(f"{where}: unknown key {key!r}")
        pid = item.get("id")
        if not isinstance(pid, str) or not pid:
            problems.append(f"{where}: id must be a non-empty string")
            continue
        where = f"pass {pid!r}"
        if pid in seen:
            problems.append(f"{where}: duplicate pass id")
        seen.add(pid)
        offset = _number(item, "offset_s", where, problems)
        if "offset_s" not in item:
            problems.append(f"{where}: offset_s is required")
        camera = item.get("camera")
        if camera not in cameras:
            problems.append(f"{where}: camera {camera!r} is not in [[cameras]]")
        sample, plate = item.get("sample"), item.get("plate")
        if (sample is None) == (plate is None):
            problems.append(f"{where}: give exactly one of sample (a corpus sample id) or plate (a vehicle's plate)")
        if plate is not None and (not isinstance(plate, str) or not normalize_plate_text(plate)):
            problems.append(f"{where}: plate must contain letters or digits")
        if sample is not None and not isinstance(sample, str):
            problems.append(f"{where}: sample must be a string")
        lane = item.get("lane", 1)
        if isinstance(lane, bool) or not isinstance(lane, int) or lane < 1:
            problems.append(f"{where}: lane must be a positive integer")
        direction = item.get("direction", "approaching")
        if direction not in DIRECTIONS:
            problems.append(f"{where}: direction must be one of {', '.join(DIRECTIONS)}")
        speed = _number(item, "speed_kmh", where, problems)
        tags = item.get("tags", {})
        if not isinstance(tags, Mapping) or not all(isinstance(v, str) for v in tags.values()):
            problems.append(f"{where}: tags must be a table of strings")
            tags = {}
        passes.append(
            Pass(pid, offset or 0.0, str(camera), lane if isinstance(lane, int) else 1,
                 sample if isinstance(sample, str) else None,
                 normalize_plate_text(plate) if isinstance(plate, str) else None,
                 str(direction), speed, dict(tags))
        )
    return passes


def parse_plan(data: Mapping[str, Any], source: str = "plan") -> BenchPlan:
    """Validate a plan's parsed TOML; raises :class:`PlanError` listing every problem."""
    problems: list[str] = []
    for key in sorted(set(data) - {"bench", "cameras", "passes"}):
        problems.append(f"unknown top-level key {key!r}")
    settings = _settings(data.get("bench", {}), problems)
    cameras = _cameras(data.get("cameras"), problems)
    passes = _passes(data.get("passes"), {c.id for c in cameras}, problems)
    if settings.window_before_s + settings.window_after_s <= 0:
        problems.append("[bench]: the matching window is empty")
    if problems:
        raise PlanError(source, problems)
    return BenchPlan(settings, tuple(cameras), tuple(sorted(passes, key=lambda p: (p.offset_s, p.id))))


def load_plan(path: Path) -> BenchPlan:
    """Read and validate a plan file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(str(path), ["no such file"]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_plan(data, str(path))


def resolve_truth(plan: BenchPlan, samples: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Pass id -> the plate shown, and sample id -> its tags, for a plan whose sample passes refer to
    ``samples`` (id -> :class:`~harness.corpus.model.Sample`); raises :class:`PlanError` listing
    samples that are missing or hold no single plate."""
    problems: list[str] = []
    truth: dict[str, str] = {}
    tags: dict[str, dict[str, str]] = {}
    for item in plan.passes:
        if item.plate is not None:
            truth[item.id] = item.plate
            continue
        sample = samples.get(item.sample or "")
        if sample is None:
            problems.append(f"pass {item.id!r}: sample {item.sample!r} is not in the corpus")
        elif len(sample.plates) != 1:
            problems.append(f"pass {item.id!r}: sample {item.sample!r} holds {len(sample.plates)} plates; a pass shows one")
        else:
            truth[item.id] = normalize_plate_text(sample.plates[0].text)
            tags[sample.id] = dict(sample.tags)
    if problems:
        raise PlanError("plan", problems)
    return truth, tags


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def plan_toml(plan: BenchPlan) -> str:
    """The plan as TOML text (``None`` values are left out)."""
    data = plan.to_dict()
    lines = ["[bench]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in data["bench"].items()]
    for table in ("cameras", "passes"):
        for item in data[table]:
            lines += ["", f"[[{table}]]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items() if v != {}]
    return "\n".join(lines) + "\n"


def write_plan(plan: BenchPlan, path: Path) -> Path:
    """Write a plan file (validated again on the way, so what is written can be loaded)."""
    text = plan_toml(plan)
    parse_plan(tomllib.loads(text), str(path))
    path.write_text(text, encoding="utf-8")
    return path


def make_plan(
    *,
    cameras: Sequence[Camera],
    passes: int,
    interval_s: float,
    samples: Sequence[str] = (),
    plates: Sequence[str] = (),
    settings: BenchSettings | None = None,
    speeds_kmh: Sequence[float] = (),
) -> BenchPlan:
    """A plan with ``passes`` passes ``interval_s`` apart, dealt round-robin to ``cameras``, showing
    corpus ``samples`` (or ``plates``) in turn."""
    sources = list(samples) or list(plates)
    if not sources:
        raise PlanError("plan", ["no corpus samples or plates to show"])
    if passes < 1 or interval_s <= 0:
        raise PlanError("plan", ["passes must be >= 1 and the interval > 0"])
    items = []
    for i in range(passes):
        source = sources[i % len(sources)]
        items.append(
            Pass(
                id=f"p{i + 1:05d}",
                offset_s=round(i * interval_s, 6),
                camera=cameras[i % len(cameras)].id,
                sample=source if samples else None,
                plate=None if samples else normalize_plate_text(source),
                speed_kmh=speeds_kmh[i % len(speeds_kmh)] if speeds_kmh else None,
            )
        )
    plan = BenchPlan(settings or BenchSettings(), tuple(cameras), tuple(items))
    return parse_plan(tomllib.loads(plan_toml(plan)))
