"""Contractual privacy controls checked through a vendor's sandbox (DESIGN.md section 7).

Entry points: :func:`harness.privacy.runner.run_privacy_suite`, :func:`add_privacy_to_scorecard`,
:class:`harness.privacy.sandbox.SandboxClient`, :func:`harness.privacy.attestations.load_attestations`.
"""
