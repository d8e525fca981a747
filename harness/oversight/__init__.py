"""Long-term oversight after award: the same checks every period on the production system (docs/oversight.md).

Entry points: :func:`harness.oversight.contract.load_contract`, :func:`harness.oversight.run.run_period`,
:func:`harness.oversight.report.build_report` and :func:`harness.oversight.report.write_report`.
"""
