"""Perturbation sweeps: OpenCV operators that make a corpus image look like night, speed, distance, weather or
an oblique view, deterministic by seed, with plate labels moved along (``docs/robustness.md``).

- :mod:`~harness.perturb.operators`: the operators, pure functions of image, level, generator and boxes;
- :mod:`~harness.perturb.registry`: each operator's level meaning, unit and range (``OPERATORS``);
- :mod:`~harness.perturb.sweep`: ``--perturb NAME=L1,L2,...`` parsing (:class:`Sweep`);
- :mod:`~harness.perturb.recipe`: recipes (how an image was made), rendering, regeneration, verification;
- :mod:`~harness.perturb.targets`: derived calls through the run's pool and their ground truth.
"""
