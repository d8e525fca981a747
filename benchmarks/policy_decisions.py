"""Cost of one access decision: the policy model's Python rules vs the same decision as a Cedar policy (cedarpy).

Prints microseconds per decision for the search-access decision (role x operation matrix and the
sharing rule) over every agency kind, role and agreement state, and checks both agree.

    pip install -e '.[policy-bench]'   # cedarpy
    python benchmarks/policy_decisions.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import itertools
import time

import cedarpy

from harness.policy import Refusal, default_policy
from harness.policy.rules import authorize, home_visible

CEDAR_SEARCH = """
permit(principal, action == Action::"search", resource)
when { ["admin", "searcher"].contains(context.role) && context.kind == "home" };
permit(principal, action == Action::"search", resource)
when { ["admin", "searcher"].contains(context.role) && ["partner", "instate"].contains(context.kind)
       && context.agreement_active };
"""
CASES = list(itertools.product(["home", "partner", "instate", "out_of_state", "federal", "vendor_support"],
                               ["admin", "searcher", "auditor"], [False, True]))


def python_decision(kind: str, role: str, agreement: bool) -> bool:
    policy = default_policy()
    try:
        authorize("search", role, kind)
        return home_visible(policy, kind, agreement_active=agreement)
    except Refusal:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    policies = cedarpy.PolicySet.from_str(CEDAR_SEARCH)
    entities = cedarpy.Entities.from_json_str("[]")

    def cedar_decision(kind: str, role: str, agreement: bool) -> bool:
        request = {"principal": 'Actor::"a"', "action": 'Action::"search"', "resource": 'Agency::"home"',
                   "context": {"kind": kind, "role": role, "agreement_active": agreement}}
        return cedarpy.is_authorized(request, policies, entities).allowed

    disagreements = [case for case in CASES if python_decision(*case) != cedar_decision(*case)]
    for name, decide in (("python rules", python_decision), ("cedarpy", cedar_decision)):
        start = time.perf_counter()
        for _ in range(rounds):
            for case in CASES:
                decide(*case)
        elapsed = time.perf_counter() - start
        print(f"{name:>13}: {elapsed / (rounds * len(CASES)) * 1e6:8.1f} us per decision")
    print(f"disagreements: {disagreements or 'none'} over {len(CASES)} cases")


if __name__ == "__main__":
    main()
