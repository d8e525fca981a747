"""pytester runs ``pytest --vendor`` in this process and restores ``sys.modules`` after each run; C
extensions (NumPy's, SciPy's, OpenCV) refuse to be loaded a second time in one process, so the scoring
stack an evaluation run imports is loaded here, before pytester takes its snapshot, and stays loaded."""

import cv2  # noqa: F401
import numpy.fft  # noqa: F401

import harness.metrics.scoring  # noqa: F401
