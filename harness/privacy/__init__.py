"""Contractual privacy controls checked through a vendor's sandbox (DESIGN.md section 7).

Entry points: :func:`harness.privacy.runner.run_privacy_suite`, :class:`~harness.privacy.runner.PrivacyReport` (converted by :func:`harness.scorecard.privacy_section.privacy_results`),
:class:`harness.privacy.sandbox.SandboxClient`, :func:`harness.privacy.attestations.load_attestations`.
"""
