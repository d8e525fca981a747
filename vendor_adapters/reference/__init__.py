"""The built-in ``reference`` vendor: an offline plate reader built from OpenCV and RapidOCR."""

from vendor_adapters.reference.adapter import ReferenceAdapter
from vendor_adapters.reference.recognizer import PlateRecognizer, get_recognizer

__all__ = ["PlateRecognizer", "ReferenceAdapter", "get_recognizer"]
