"""``platebench campaign run|resume|status CAMPAIGN.toml``: every vendor on every corpus, then the comparisons."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.options import executor


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``campaign`` and its sub-commands."""
    campaign = subparsers.add_parser(
        "campaign",
        help="run every vendor on every corpus of a campaign file, then compare them",
        description=(
            "A campaign file (TOML, docs/campaigns.md) names vendors, corpora, a perturbation grid, a rubric, run "
            "options and an output folder. 'run' scores every vendor on every corpus (runs/VENDOR/RUN_ID/), writes "
            "one comparison per corpus (comparison/CORPUS/) and an index of every run's id and status "
            "(campaign.json, campaign.md); 'resume' continues an interrupted campaign without repeating "
            "journaled calls; 'status' prints the index."
        ),
    )
    commands = campaign.add_subparsers(dest="campaign_command", metavar="COMMAND", required=True)
    for name, help_text, handler in (
        ("run", "start the campaign and run it to the end", run_command),
        ("resume", "continue an interrupted campaign from its index and journals", resume_command),
        ("status", "print each run's id and status", status_command),
    ):
        parser = commands.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("campaign_file", type=Path, metavar="CAMPAIGN.toml")
        if name != "status":
            parser.add_argument("--executor", type=executor, metavar="local|dask|dask://HOST:PORT",
                                help="where engines run, instead of the file's [options] executor")
        parser.set_defaults(handler=handler)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench campaign run``."""
    from harness.campaign.config import load_campaign
    from harness.campaign.run import start_campaign

    campaign = load_campaign(args.campaign_file)
    return _report(campaign, start_campaign(campaign, executor=args.executor))


def resume_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench campaign resume``."""
    from harness.campaign.config import load_campaign
    from harness.campaign.run import resume_campaign

    campaign = load_campaign(args.campaign_file)
    return _report(campaign, resume_campaign(campaign, executor=args.executor))


def status_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench campaign status``."""
    from harness.campaign.config import CampaignError, load_campaign
    from harness.campaign.index import read_index
    from harness.campaign.status import status_lines

    campaign = load_campaign(args.campaign_file)
    index = read_index(campaign)
    if index is None:
        raise CampaignError(f"no campaign in {campaign.output} yet: start it with platebench campaign run "
                            f"{args.campaign_file}")
    for line in status_lines(campaign, index):
        print(line)
    return 0


def _report(campaign: object, index: dict) -> int:  # type: ignore[type-arg]
    from harness.campaign.config import Campaign
    from harness.campaign.index import INDEX_JSON
    from harness.campaign.status import status_lines

    assert isinstance(campaign, Campaign)
    for line in status_lines(campaign, index):
        print(line)
    print(campaign.output / INDEX_JSON)
    return 0 if all(run["status"] == "done" for run in index["runs"]) else 1
