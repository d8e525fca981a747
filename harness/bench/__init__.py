"""The camera bench: show cameras known plates at known times and score what they report.

A :mod:`plan <harness.bench.plan>` lists cameras and passes; the passes are shown to real cameras by
the :mod:`display rig <harness.bench.display>` (or driven past them), or rendered by the
:mod:`virtual camera <harness.bench.virtual_camera>` for the :mod:`simulated edge device
<harness.bench.edge>`. What the cameras report arrives at the :mod:`collector
<harness.bench.collector>` (pushed, one parser per vendor format in :mod:`harness.bench.formats`),
through :mod:`pollers <harness.bench.pollers>` or an :mod:`export <harness.bench.export_import>`;
everything is journaled, then :mod:`matched <harness.bench.matching>` to the passes and
:mod:`measured <harness.bench.metrics>`.
"""
