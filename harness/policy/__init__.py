"""The city's contract as an executable policy model (see ``docs/policy-model.md``).

- :func:`load_policy` / :func:`default_policy`: the policy file (TOML, JSON-Schema validated);
- :mod:`harness.policy.rules`: the stateless rules the reference server and the model share;
- :class:`SandboxModel`: predicts the answer to each API action and the audit entries that must exist.
"""

from harness.policy import actions
from harness.policy.config import DEFAULT_POLICY_PATH, AgencyKind, Policy, PolicyError, default_policy, load_policy
from harness.policy.model import ExpectedEntry, Prediction, RosterLine, SandboxModel
from harness.policy.rules import ALLOWED, INVALID, PROBLEMS, REFUSED, PurposeClassifier, Refusal, default_classifier

__all__ = [
    "ALLOWED", "DEFAULT_POLICY_PATH", "INVALID", "PROBLEMS", "REFUSED", "AgencyKind", "ExpectedEntry", "Policy",
    "PolicyError", "Prediction", "PurposeClassifier", "Refusal", "RosterLine", "SandboxModel", "actions",
    "default_classifier", "default_policy", "load_policy",
]
