"""Memorisation and caching probes, MLPerf TEST01/TEST04 in spirit (``docs/robustness.md``).

- :mod:`~harness.probes.spec`: the probes by id, what each tests and its null hypothesis;
- :mod:`~harness.probes.plan`: which images are probed, the derived calls and their random order;
- :mod:`~harness.probes.canaries`: the corpus's published copy, with some labels deliberately altered;
- :mod:`~harness.probes.analysis`: the tests, from the journal, with p-values, error rates and evidence.
"""
