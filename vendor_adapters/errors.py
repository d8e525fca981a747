"""The one error hierarchy every adapter maps its vendor's failures onto.

::

    VendorError                      a call on one image failed; recorded as that sample's outcome
    ├── VendorTimeout                connect/read/total time-out            kind="timeout"
    ├── TransportError               refused, reset, TLS, DNS               kind="transport"
    ├── ProtocolError                malformed / wrong-shape / oversized    kind="protocol"
    ├── VendorHTTPError(status)      an HTTP error status not covered below kind="http_status"
    │   ├── AuthError                401 / 403                              kind="auth"
    │   ├── QuotaError(retry_after)  429 / 402 / rate-limit                 kind="quota"
    │   └── ImageRejected            413 / 415 / 422 on the image           kind="image_rejected"
    └── AdapterCrash                 the adapter itself raised something unexpected  kind="adapter_crash"

    ConfigurationError               a user mistake found before any call (missing credential, bad config)
    └── PrerequisiteError            an optional SDK is not installed; says the exact install command

A ``VendorError`` never ends a run; a ``ConfigurationError`` ends it before the first call.
"""

from __future__ import annotations


class VendorError(Exception):
    """A failed call on one image. ``kind`` is the stable key used in journals and scorecards."""

    kind = "vendor_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VendorTimeout(VendorError):
    """The vendor did not answer within the configured time-out."""

    kind = "timeout"


class TransportError(VendorError):
    """The connection failed: refused, reset mid-body, TLS or name resolution error."""

    kind = "transport"


class ProtocolError(VendorError):
    """The vendor answered, but not in the documented format (bad JSON, wrong shape, too large)."""

    kind = "protocol"


class VendorHTTPError(VendorError):
    """The vendor answered with an HTTP error status."""

    kind = "http_status"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AuthError(VendorHTTPError):
    """The vendor refused the credentials (401) or the operation (403)."""

    kind = "auth"


class QuotaError(VendorHTTPError):
    """Rate limit or quota exhausted (429, 402). ``retry_after`` in seconds when the vendor said."""

    kind = "quota"

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class ImageRejected(VendorHTTPError):
    """The vendor refused this image (too large, unsupported type)."""

    kind = "image_rejected"


class AdapterCrash(VendorError):
    """The adapter raised an exception it did not map; recorded, never fatal to the run."""

    kind = "adapter_crash"


class ConfigurationError(Exception):
    """A configuration problem found before any call; the message tells the user what to do."""


class PrerequisiteError(ConfigurationError):
    """An optional dependency is missing; the message holds the exact install command."""


ERROR_KINDS: tuple[str, ...] = (
    VendorTimeout.kind,
    TransportError.kind,
    ProtocolError.kind,
    VendorHTTPError.kind,
    AuthError.kind,
    QuotaError.kind,
    ImageRejected.kind,
    AdapterCrash.kind,
)
"""Every error kind a journal or scorecard may name, in a stable order."""
