"""Matching passes to events and the roadside figures, on hand-made journals (no servers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bench.events import CameraEvent
from harness.bench.export_import import ExportError, import_export
from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.matching import similarity
from harness.bench.metrics import poisson_rate_per_hour, score
from harness.bench.plan import BenchSettings, Camera, Pass, make_plan
from harness.bench.section import roadside_section

T0 = 1_800_000_000.0


def bench(tmp_path: Path, events: list[tuple[str, float, float | None]], *, paints: int = 4, offset: float = 0.0,
          window_after: float = 5.0):
    """A one-camera bench (genetec push) with passes 10 s apart; ``events`` are (text, arrival, event time)."""
    plan = make_plan(cameras=[Camera("cam-1", "genetec", "push", "genetec")], passes=4, interval_s=10.0,
                     plates=["KXB4521", "TRM7730", "ADF1234", "WPL9087"],
                     settings=BenchSettings(window_before_s=1.0, window_after_s=window_after))
    journal = BenchJournal.open(tmp_path, plan, {p.id: p.plate for p in plan.passes if p.plate})
    for i, item in enumerate(plan.passes[:paints]):
        journal.paint(item.id, T0 + 10 * i, T0 + 10 * i + 0.01, "test")
    for text, arrival, when in events:
        event = CameraEvent("genetec", text, 0.9, None if when is None else when + offset, "cam-1")
        journal.received(route="genetec", arrival=arrival, status="accepted", events=[event], body=b"{}",
                         content_type="application/json")
    journal.close()
    return read_bench_journal(tmp_path / BENCH_JOURNAL)


def test_capture_exact_duplicates_phantoms_latency_offset(tmp_path: Path) -> None:
    records = bench(tmp_path, [
        ("KXB4521", T0 + 0.51, T0 + 0.01),       # pass 1, exact, latency 0.5
        ("KXB4521", T0 + 0.9, T0 + 0.01),        # pass 1 again: duplicate
        ("TRM7780", T0 + 10.71, T0 + 10.01),     # pass 2 misread (6/7 similar): captured, not exact
        ("QQQQQQQ", T0 + 11.0, T0 + 10.5),       # nothing like any plate: phantom
        ("ADF1234", T0 + 27.0, T0 + 20.01),      # pass 3 but outside the 5 s window: phantom, pass 3 missed
        ("WPL9087", T0 + 30.31, T0 + 30.01),     # pass 4 exact
    ], offset=2.0)
    (route,) = score(records)
    f = route.figures
    assert (f["capture_rate"].value, f["capture_rate"].n) == (0.75, 4)
    assert f["exact_read_rate"].value == 0.5
    assert f["duplicates"].value == 1 and f["phantoms"].value == 2
    assert f["latency_p50_s"].value == pytest.approx(0.5)
    assert f["clock_offset_s"].value == pytest.approx(2.0)
    assert route.ntp_ok is False
    assert f["capture_rate"].ci_low < 0.75 < f["capture_rate"].ci_high


def test_passes_never_shown_are_not_counted_as_misses(tmp_path: Path) -> None:
    (route,) = score(bench(tmp_path, [("KXB4521", T0 + 0.5, T0)], paints=2))
    assert (route.shown, route.not_shown, route.figures["capture_rate"].value) == (2, 2, 0.5)


def test_one_event_per_pass_when_windows_overlap(tmp_path: Path) -> None:
    """Both events fall in the windows of passes 1 and 2: they are assigned by text, not arrival order."""
    records = bench(tmp_path, [("TRM7730", T0 + 10.2, None), ("KXB4521", T0 + 10.3, None)], window_after=15.0)
    (route,) = score(records)
    assert route.figures["capture_rate"].value == 0.5 and route.figures["exact_read_rate"].value == 0.5
    assert route.figures["phantoms"].value == 0 and route.figures["duplicates"].value == 0
    assert route.figures["latency_p50_s"].value == pytest.approx(0.19)  # nearest rank of {0.19, 10.29}
    assert route.figures["latency_p95_s"].value == pytest.approx(10.29)


def test_exported_reads_are_matched_on_their_own_time(tmp_path: Path) -> None:
    records = bench(tmp_path, [])
    csv_path, mapping = tmp_path / "export.csv", tmp_path / "mapping.toml"
    csv_path.write_text("Read ID,Plate,Read Date,Camera,Conf\n"
                        "1,KXB 4521,2027-01-15 08:00:00.5,cam-1,97\n"
                        "2,ADF1234,2027-01-15 08:00:20.4,cam-1,88\n", encoding="utf-8")
    mapping.write_text('[source]\nname = "vigilant-export"\n[columns]\nplate = "Plate"\ntime = "Read Date"\n'
                       'camera = "Camera"\nconfidence = "Conf"\nid = "Read ID"\n'
                       '[time]\nformat = "%Y-%m-%d %H:%M:%S.%f"\ntimezone = "UTC"\n[confidence]\nscale = 100\n',
                       encoding="utf-8")
    assert T0 == pytest.approx(1_800_000_000.0)  # 2027-01-15T08:00:00Z
    journal = BenchJournal.open(tmp_path, records.plan, records.truth)
    assert import_export(journal, csv_path, mapping) == 2
    journal.close()
    (route,) = score(read_bench_journal(tmp_path / BENCH_JOURNAL), routes=["vigilant-export"])
    assert route.figures["capture_rate"].value == 0.5 and route.figures["exact_read_rate"].value == 0.5
    assert route.figures["latency_p50_s"].value is None  # no arrival time for exported reads
    bad = tmp_path / "bad.csv"
    bad.write_text("Read ID,Plate,Read Date,Camera,Conf\n1,KXB4521,yesterday,cam-1,97\n", encoding="utf-8")
    journal = BenchJournal.open(tmp_path, records.plan, records.truth)
    with pytest.raises(ExportError, match=r"bad.csv:2"):
        import_export(journal, bad, mapping)
    journal.close()


def test_section_carries_no_plate_text_even_in_rejection_reasons(tmp_path: Path) -> None:
    records = bench(tmp_path, [("KXB4521", T0 + 0.5, T0)])
    journal = BenchJournal.open(tmp_path, records.plan, records.truth)
    journal.received(route="genetec", arrival=T0 + 1, status="rejected", events=[], body=b"x",
                     content_type="application/json", reason="DateUtc/TimeUtc 'KXB4521' '1' do not match TRM7730")
    journal.close()
    section = roadside_section(read_bench_journal(tmp_path / BENCH_JOURNAL))
    text = str(section)
    assert "KXB4521" not in text and "TRM7730" not in text
    assert section["rejected"]["genetec"] == {"DateUtc/TimeUtc <value> <value> do not match <plate>": 1}
    assert section["devices"]["cam-1"]["on_device_image_retention"] == "ATTESTED"


def test_similarity_and_poisson_rate() -> None:
    assert similarity("KXB4521", "KXB4521") == 1.0
    assert similarity("KXB4521", "KXB452") == pytest.approx(6 / 7)
    rate = poisson_rate_per_hour(0, 0.5)
    assert rate.value == 0.0 and rate.ci_low == 0.0 and rate.ci_high == pytest.approx(7.377759, rel=1e-4)


def test_tags_split_the_rates(tmp_path: Path) -> None:
    records = bench(tmp_path, [("KXB4521", T0 + 0.5, T0)])
    records.plan = records.plan.__class__(records.plan.settings, records.plan.cameras, tuple(
        Pass(p.id, p.offset_s, p.camera, plate=p.plate, speed_kmh=80.0 if i % 2 else 20.0, tags={"time": "night"})
        for i, p in enumerate(records.plan.passes)))
    (route,) = score(records)
    assert route.tags["speed=speed<30"]["capture_rate"]["value"] == 0.5
    assert route.tags["speed=speed>=60"]["capture_rate"]["value"] == 0.0
    assert route.tags["time=night"]["capture_rate"]["n"] == 4
