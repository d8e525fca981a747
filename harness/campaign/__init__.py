"""Evaluation campaigns: every vendor on every corpus under one perturbation grid, one index, one comparison per corpus.

``platebench campaign run|resume|status CAMPAIGN.toml`` (docs/campaigns.md). The campaign file is
:mod:`harness.campaign.config`, its index :mod:`harness.campaign.index`, the running :mod:`harness.campaign.run`.
"""
