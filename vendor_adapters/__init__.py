"""Vendor adapters: one module per vendor or protocol behind the interface in ``base``."""

from vendor_adapters.base import (
    Adapter,
    Box,
    Candidate,
    Capabilities,
    HttpAdapter,
    Image,
    Read,
    Recognition,
    VendorInfo,
    normalize_plate_text,
)

__all__ = [
    "Adapter",
    "Box",
    "Candidate",
    "Capabilities",
    "HttpAdapter",
    "Image",
    "Read",
    "Recognition",
    "VendorInfo",
    "normalize_plate_text",
]
