"""Vendor adapters: one module per vendor or protocol behind the interface in ``base``."""

from pathlib import Path

from vendor_adapters.base import (
    Adapter,
    Box,
    Candidate,
    Capabilities,
    HttpAdapter,
    Image,
    PrivacyEndpoint,
    PrivacySandbox,
    Read,
    Recognition,
    VendorInfo,
    normalize_plate_text,
)

RFP_API_SPEC = Path(__file__).with_name("rfp-evaluation-api.yaml")
"""The published RFP evaluation API (OpenAPI 3.1) that ``evalapi`` vendors implement."""

__all__ = [
    "RFP_API_SPEC",
    "Adapter",
    "Box",
    "Candidate",
    "Capabilities",
    "HttpAdapter",
    "Image",
    "PrivacyEndpoint",
    "PrivacySandbox",
    "Read",
    "Recognition",
    "VendorInfo",
    "normalize_plate_text",
]
