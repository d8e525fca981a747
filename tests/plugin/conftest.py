"""pytester runs ``pytest --vendor`` in this process and restores ``sys.modules`` after each run; C
extensions (NumPy's, SciPy's, OpenCV, DuckDB's nanobind module) refuse to be loaded a second time in one process, so the scoring
stack an evaluation run imports is loaded here, before pytester takes its snapshot, and stays loaded.
openapi-core's spec reader (PyYAML with its C loader behind jsonschema-path) breaks the same way when
loaded twice, so the privacy suite's spec validator is loaded here too."""

import cv2  # noqa: F401
import duckdb  # noqa: F401 - the privacy suite's PC-SHR-07 analysis loads it
import numpy.fft  # noqa: F401

import harness.metrics.scoring  # noqa: F401
import vendor_adapters.openapi_check  # noqa: F401
