"""``reference``: platebench's built-in vendor, the offline OpenCV + RapidOCR plate reader.

Options (a ``[vendors.reference]`` table in ``vendors.toml``)::

    threads  = 1      # onnxruntime intra-op threads per process (default: onnxruntime decides)
    max_side = 1600   # longer image side for text detection, in pixels (reads stay full-resolution)
    region   = "us"   # plate convention: "us" reads the round glyph as digit 0 (default: none)
    input    = "scene"  # or "plate-line": each image is one plate's line of characters, read without detection

Process pools: the adapter holds only its options, so it pickles cheaply; the engine is loaded
lazily, once per process, through :func:`vendor_adapters.reference.recognizer.get_recognizer`.
Build it in each worker with ``create_adapter("reference", {"threads": 1, ...})`` (or unpickle
the parent's adapter) and give each of ``W`` workers ``cpu_count // W`` threads
(:func:`~vendor_adapters.reference.recognizer.default_threads`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from importlib.metadata import version
from typing import Any, ClassVar

from vendor_adapters.base import (
    Adapter,
    Capabilities,
    Image,
    PrivacyEndpoint,
    PrivacySandbox,
    Recognition,
    VendorInfo,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, ImageRejected
from vendor_adapters.reference.recognizer import (
    DEFAULT_MAX_SIDE,
    MODELS,
    RECOGNIZER_VERSION,
    REGIONS,
    PlateRecognizer,
    get_recognizer,
)

INPUTS = ("scene", "plate-line")
"""What an image shows: a scene with plates somewhere in it, or one plate's line of characters (no detection)."""
DECLARED_THRESHOLD = 0.5
"""Confidence at or above which a read should be acted on; see docs/reference-recognizer.md."""
SERVER_DETAIL = (
    "Checked on the reference vendor's own HTTP server (its implementation of the RFP evaluation API), "
    "started by the harness on a loopback port for this run and stopped after it; the accuracy pass ran "
    "the same vendor's recognizer in-process."
)


class ReferenceAdapter(Adapter):
    """In-process adapter around :class:`PlateRecognizer`."""

    name: ClassVar[str] = "reference"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="in-process",
        boxes=True,
        candidates=True,
        vendor_timing=True,
        cpu_bound=True,
        max_concurrency=os.cpu_count() or 1,
    )
    OPTIONS: ClassVar[tuple[str, ...]] = ("threads", "max_side", "region", "input")

    def __init__(self, threads: int | None = None, max_side: int = DEFAULT_MAX_SIDE, region: str | None = None,
                 input: str = "scene") -> None:
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ConfigurationError(f"adapter 'reference': threads must be a positive integer, not {threads!r}")
        if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 320:
            raise ConfigurationError(f"adapter 'reference': max_side must be an integer >= 320, not {max_side!r}")
        if region is not None and region not in REGIONS:
            raise ConfigurationError(
                f"adapter 'reference': region must be one of {', '.join(REGIONS)}, not {region!r}"
            )
        if input not in INPUTS:
            raise ConfigurationError(f"adapter 'reference': input must be one of {', '.join(INPUTS)}, not {input!r}")
        self.threads = threads
        self.max_side = max_side
        self.region = region
        self.input = input

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> ReferenceAdapter:
        raise_unknown_options(cls.name, config, allowed=cls.OPTIONS)
        return cls(**{k: v for k, v in config.items() if k in cls.OPTIONS})

    @property
    def recognizer(self) -> PlateRecognizer:
        """This process's recognizer for the adapter's options (loaded on first use)."""
        return get_recognizer(self.max_side, self.threads, self.region)

    def recognize(self, image: Image) -> Recognition:
        start = time.perf_counter()
        try:
            pixels = image.decode()
        except ValueError as exc:
            raise ImageRejected(str(exc), 415) from exc
        reads = self.recognizer.read_line(pixels) if self.input == "plate-line" else self.recognizer.read(pixels)
        return Recognition(reads=tuple(reads), vendor_ms=(time.perf_counter() - start) * 1000)

    def info(self) -> VendorInfo:
        return VendorInfo(
            vendor="platebench",
            product="reference recognizer",
            version=f"rapidocr {version('rapidocr')} ({MODELS}); recognizer {RECOGNIZER_VERSION}",
            declared_threshold=DECLARED_THRESHOLD,
            extra={"region": self.region or "none", "max_side": str(self.max_side), "input": self.input},
        )

    def privacy_endpoint(self) -> PrivacyEndpoint:
        """The reference vendor's own HTTP server (its RFP evaluation API), started fresh on a free
        loopback port when opened and stopped after; it accepts ``--reference-flaw`` flaws."""
        return PrivacyEndpoint("reference-server", SERVER_DETAIL, _running_server, _check_flaws, conformance=False)


def _check_flaws(flaws: Sequence[str]) -> None:
    from harness.reference_server.flaws import RECOGNITION_FLAWS, UnknownFlawError, parse_flaws

    try:
        parse_flaws(flaws)
    except UnknownFlawError as exc:
        raise ValueError(str(exc)) from None
    recognition = [f for f in flaws if f in RECOGNITION_FLAWS]
    if recognition:
        raise ValueError(
            f"{', '.join(recognition)} is a flaw of the server's recognition endpoint, which this in-process vendor "
            "does not use: serve it (platebench serve-reference --flaw ...) and run it as an evalapi vendor")


@contextmanager
def _running_server(flaws: tuple[str, ...]) -> Iterator[PrivacySandbox]:
    from harness.reference_server.launcher import ServerStartError, running_reference_server

    with ExitStack() as stack:
        try:
            handle = stack.enter_context(running_reference_server(flaws=flaws))
        except (ServerStartError, OSError) as exc:
            raise OSError(f"the reference server did not start ({exc})") from None
        yield PrivacySandbox(handle.base_url, handle.admin_token, timeout=15.0)
