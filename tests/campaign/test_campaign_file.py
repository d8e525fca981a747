"""The campaign file: validated by its JSON Schema, every run's request checked before any run starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.campaign.config import Campaign, CampaignError, load_campaign


def test_a_valid_file_gives_one_run_per_vendor_and_corpus(campaign_file: Callable[..., Path]) -> None:
    campaign = load_campaign(campaign_file(executor="dask", options="limit = 3\nscenarios = [\"offline\"]"))
    assert campaign.pairs() == [("alpha", "north"), ("beta", "north"), ("alpha", "south"), ("beta", "south")]
    request = campaign.request("beta", "south")
    assert (request.vendor, request.executor, request.limit, request.load) == ("beta", "dask", 3, False)
    assert request.scenarios == ("offline",)
    assert request.corpus_path == campaign.corpora["south"]
    assert request.scorecard_dir == campaign.output / "runs"
    assert campaign.output == campaign.path.parent / "campaign-out"


def test_schema_problems_are_all_reported_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nvendors = []\n[corpora]\n"bad name" = "c"\n[perturbations]\nblur = []\n',
                    encoding="utf-8")
    with pytest.raises(CampaignError) as info:
        load_campaign(path)
    message = str(info.value)
    assert "output" in message and "vendors must be a non-empty list" in message
    assert "a corpus name is" in message and "levels are a non-empty list" in message


@pytest.mark.parametrize(("option", "expected"), [
    ('executor = "spark"', "choose local, dask or dask://HOST:PORT"),
    ('executor = "dask://nohost"', "dask://HOST:PORT"),
    ("limit = 0", "must be at least 1"),
    ('vendor = "alpha"', "not an option a campaign can set"),
    ("load = 1", "give true or false"),
    ('scenarios = ["nap"]', "choose from"),
])
def test_bad_options_are_refused_before_any_run(campaign_file: Callable[..., Path], option: str, expected: str) -> None:
    path = campaign_file()
    key = option.split(" = ")[0]
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(f"{key} = ")]
    path.write_text("\n".join([*lines, option]) + "\n", encoding="utf-8")
    with pytest.raises(CampaignError, match=expected.replace("|", r"\|").replace(".", r"\.")):
        load_campaign(path)


def test_the_grid_becomes_one_perturb_value_per_perturbation(tmp_path: Path) -> None:
    campaign = Campaign(path=tmp_path / "c.toml", sha256="0" * 64, name="c", output=tmp_path, vendors=("a",),
                        corpora={"x": tmp_path}, perturbations={"blur": (3, 7), "night": (0.5, 0.25)})
    assert campaign.perturb == ("blur=3,7", "night=0.5,0.25")
    assert campaign.conditions == 4


def test_an_unknown_perturbation_in_the_grid_is_refused_before_any_run(
    campaign_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli.main import main

    path = campaign_file(extra="[perturbations]\nblurr = [3, 7]")
    assert main(["campaign", "run", str(path)]) == 2
    assert "blurr" in capsys.readouterr().err
    assert not (path.parent / "campaign-out" / "runs").exists()
