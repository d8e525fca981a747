"""Redaction: plate text, credentials and URL secrets planted in a scorecard never reach any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scorecard_factory import plates_of, with_privacy_and_load

from harness.cli.main import main
from harness.redact import find_leaks, redact_text, redact_value
from harness.scorecard.integrity import seal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def123", "Authorization: Bearer <redacted>"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic <redacted>"),
        ("sent Token 9f8e7d6c5b4a", "sent Token <redacted>"),
        (
            "https://admin:pw@api.example.com/v1?secret_key=sk_1&region=us",
            "https://<redacted>@api.example.com/v1?secret_key=<redacted>&region=us",
        ),
        ('{"api_key": "abc123", "x": 1}', '{"api_key": "<redacted>", "x": 1}'),
        ("password: hunter2 then", "password: <redacted> then"),
        ("a basic requirement and token limits", "a basic requirement and token limits"),
        ("read ABC-1234, abc 1234 and ABC12345", "read <plate>, <plate> and ABC12345"),
    ],
)
def test_rules(text: str, expected: str) -> None:
    assert redact_text(text, plates=["ABC1234"]) == expected


def test_credential_named_members_are_blanked() -> None:
    value = {"token": "t0k", "nested": [{"password": "x", "note": "Bearer abcdefgh1"}], "public_key": "AAAA"}
    assert redact_value(value) == {
        "token": "<redacted>",
        "nested": [{"password": "<redacted>", "note": "Bearer <redacted>"}],
        "public_key": "AAAA",
    }


def test_planted_secrets_appear_in_no_output(
    chromium: str, card_a: Path, card_b: Path, corpus12: Path, tmp_path: Path
) -> None:
    plates = plates_of(corpus12)
    secrets = {
        "plate 1": plates[0],
        "plate 2": plates[1],
        "bearer token": "tok9f8e7d6c5b4a3",
        "URL password": "hunter2pass",
        "secret_key in URL": "sk_live_51Hx9Q",
        "api_key param": "AKIA1234SECRET",
    }
    planted = tmp_path / "in" / "scorecard.json"
    planted.parent.mkdir()
    planted.write_bytes(card_a.read_bytes())
    url = "https://admin:hunter2pass@api.example.com/v1?secret_key=sk_live_51Hx9Q&x=1"
    with_privacy_and_load(
        planted,
        ["PASS", "FAIL"],
        message=f"called {url}; saw plate {plates[1].lower()}",
        scenario="server?api_key=AKIA1234SECRET",
    )
    doc = json.loads(planted.read_text())
    vendor = doc["provenance"]["vendor"]
    vendor["product"] = f"Reader {plates[0]}"
    vendor["version"] = "2.0 (Authorization: Bearer tok9f8e7d6c5b4a3)"
    doc["provenance"]["adapter"]["name"] = f"acme {url}"
    doc["results"]["requirements"][0]["title"] += f" {plates[0]}"
    planted.write_text(json.dumps(seal(doc)))
    assert {leak.label for leak in find_leaks([planted], secrets)} == set(secrets)  # the checker can fail

    cmp_dir, report_dir = tmp_path / "cmp", tmp_path / "report"
    assert (
        main(
            [
                "compare",
                str(planted),
                str(card_b),
                "--out",
                str(cmp_dir),
                "--corpus",
                str(corpus12),
                "--pdf",
                "--rfp",
                "RFP 2026-114",
            ]
        )
        == 0
    )
    assert (
        main(["report", str(planted), "--html", "--pdf", "--out", str(report_dir), "--corpus", str(corpus12)])
        == 0
    )
    outputs = sorted(p.name for p in cmp_dir.iterdir()) + sorted(p.name for p in report_dir.iterdir())
    assert {
        "comparison.md",
        "comparison.html",
        "comparison.json",
        "comparison.xlsx",
        "comparison.csv",
        "comparison.pdf",
        "plots",
        "scorecard.html",
        "scorecard.pdf",
    } <= set(outputs)
    assert find_leaks([cmp_dir, report_dir], secrets) == []
    assert "<redacted>" in (cmp_dir / "comparison.json").read_text()


def test_leak_checker_searches_inside_xlsx_pdf_and_svg(
    chromium: str, card_b: Path, corpus12: Path, tmp_path: Path
) -> None:
    plate = plates_of(corpus12)[0]
    card = tmp_path / "scorecard.json"
    card.write_bytes(card_b.read_bytes())
    doc = json.loads(card.read_text())
    doc["provenance"]["vendor"]["vendor"] = f"Vendor {plate}"
    card.write_text(json.dumps(seal(doc)))
    other = tmp_path / "other.json"
    other.write_bytes(card_b.read_bytes())
    doc["provenance"]["vendor"]["vendor"] = "Other"
    other.write_text(json.dumps(seal(doc)))
    # Without --corpus the plate strings are unknown, so this plate is not redacted: the checker must see it.
    assert main(["compare", str(card), str(other), "--out", str(tmp_path / "o"), "--pdf"]) == 0
    places = {(leak.path.name, leak.where) for leak in find_leaks([tmp_path / "o"], {"plate": plate})}
    assert ("comparison.pdf", "pdf text") in places
    assert any(name == "comparison.xlsx" and where.startswith("xl/") for name, where in places)
    assert ("accuracy-by-tag.svg", "text") in places


def test_every_printed_line_of_the_command_line_is_scrubbed_of_known_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A remembered credential value is redacted from whatever is printed inside ``scrubbed_output``,
    even when one write ends in its middle and the next one finishes it."""
    import sys

    from harness.redact import remember_config_secrets, scrubbed_output

    secret = "pb-printed-SECRET-5a4b3c2d1e"
    remember_config_secrets({"token_env": "PRINTED_TOKEN"}, {"PRINTED_TOKEN": secret})
    with scrubbed_output():
        print(f"vendor said: {secret}")
        sys.stderr.write("progress " + secret[:9])
        sys.stderr.write(secret[9:] + " done\n")
        sys.stdout.write(f"no newline {secret}")
    out, err = capsys.readouterr()
    assert secret not in out and secret not in err
    assert out == "vendor said: <redacted>\nno newline <redacted>" and err == "progress <redacted> done\n"
