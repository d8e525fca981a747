"""The scorecard model, its published schema, and the integrity seal."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from harness.metrics import score_accuracy, score_latency
from harness.scorecard.integrity import canonical_bytes, seal, verify
from harness.scorecard.model import SCHEMA_PATH, ScorecardBody, json_schema, schema_text
from harness.scorecard.reading import scorecard_problems as verify_path


def minimal_scorecard() -> dict[str, Any]:
    """A small, valid, unsealed scorecard (non-ASCII vendor name on purpose)."""
    card = ScorecardBody.model_validate(
        {
            "provenance": {
                "run_id": "20250101T000000Z-abcd",
                "platebench_version": "0.1.0",
                "git": {"commit": "0" * 40, "dirty": False},
                "adapter": {"name": "acme", "adapter": "evalapi", "class_path": "m:C", "kind": "http"},
                "vendor": {"vendor": "Åcme | *LPR*", "version": "2.1", "declared_threshold": 0.8},
                "corpus": {"name": "synthetic", "format": "manifest", "manifest_sha256": "a" * 64, "samples": 2},
                "rubric": {"name": "default", "sha256": "b" * 64},
                "options": {"concurrency": 2, "iou_threshold": 0.5, "top_n": 3},
                "machine": {"cpu": "x", "cores": 2, "memory_bytes": 1, "os": "Linux", "python": "3.11"},
                "started_at": "2025-01-01T00:00:00Z",
                "ended_at": "2025-01-01T00:01:00Z",
            },
            "results": {
                "accuracy": score_accuracy([]),
                "latency": {"accuracy_pass": {**score_latency([]), "in_flight": 2}},
                "requirements": [],
                "score": {"weighted": None, "points": 0, "max": 0, "mandatory_passed": True, "eligible": True},
            },
            "samples": {"c" * 64: "correct", "d" * 64: "incorrect"},
        }
    )
    return card.to_json_dict()


def test_published_schema_file_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "scorecard.schema.json is stale: run `python -m harness.scorecard.model`"
    )


def test_a_sealed_scorecard_validates_against_the_published_schema() -> None:
    doc = seal(minimal_scorecard())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert "load" not in doc["results"] and "privacy" not in doc["results"]


def test_schema_rejects_plate_text_as_a_sample_outcome() -> None:
    doc = minimal_scorecard()
    doc["samples"]["c" * 64] = "ABC1234"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())


def test_canonical_form_is_sorted_compact_utf8_and_ignores_integrity() -> None:
    doc = {"b": 1.0, "a": {"z": "Å", "y": [1, 0.1]}, "integrity": {"sha256": "x"}}
    assert canonical_bytes(doc) == '{"a":{"y":[1,0.1],"z":"Å"},"b":1.0}'.encode()


def test_canonical_form_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_fresh_seal_verifies_and_survives_a_json_round_trip() -> None:
    doc = seal(minimal_scorecard())
    assert verify(doc) == []
    assert verify(json.loads(json.dumps(doc, indent=2))) == []


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value is None:
        return 0
    return str(value) + "x"


def test_any_change_to_any_value_outside_integrity_is_detected() -> None:
    sealed = seal(minimal_scorecard())
    leaves = [p for p in _paths(sealed) if p[0] != "integrity"]
    assert len(leaves) > 30
    for path in leaves:
        doc = copy.deepcopy(sealed)
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = _changed(node[path[-1]])
        problems = verify(doc)
        assert problems and "hash mismatch" in problems[-1], path


def test_unsealed_or_unknown_form_is_reported() -> None:
    assert "never sealed" in verify(minimal_scorecard())[0]
    doc = seal(minimal_scorecard())
    doc["integrity"]["canonical"] = "jcs"
    assert "unknown canonical form" in verify(doc)[0]
    assert verify([]) == ["not a scorecard: the JSON top level is not an object"]  # type: ignore[arg-type]


def test_verify_path_reports_unreadable_and_broken_files(tmp_path) -> None:
    assert "cannot read" in verify_path(tmp_path / "missing.json")[0]
    broken = tmp_path / "scorecard.json"
    broken.write_text('{"schema_version": 1,', encoding="utf-8")
    assert "not valid JSON" in verify_path(tmp_path)[0]
    broken.write_text(json.dumps(seal(minimal_scorecard())), encoding="utf-8")
    assert verify_path(tmp_path) == []
