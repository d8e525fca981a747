"""pytester runs ``pytest --vendor`` in this process and restores ``sys.modules`` after each run; a C
extension such as NumPy refuses to be loaded a second time in one process, so the ones an evaluation
run imports are loaded here, before pytester takes its snapshot, and stay loaded."""

import cv2  # noqa: F401
import numpy  # noqa: F401
