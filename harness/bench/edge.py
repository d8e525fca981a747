"""The simulated edge device: reads a camera stream with OpenCV, finds each vehicle crossing the
frame, reads its plate with the reference recognizer and pushes one event per vehicle to any number
of sinks, each in a vendor format with its own injected faults.

Tracking is background subtraction against the empty road (the first frames): a vehicle is a large
foreground blob; a track starts when a blob appears (or jumps back to the left edge) and its read is
taken from the frame where the blob's centre is nearest the frame's centre (frames whose vehicle is
far from the centre are never read). Only those frames (and
up to :data:`MAX_TRIES` neighbours when nothing is read) go through the recognizer, so the device
keeps up with the stream on a CI machine; the recognizer runs on the vehicle's crop.

Faults (per sink, :class:`Faults`): drop every k-th vehicle, add latency, send duplicates, shift the
device clock, emit phantom reads of plates that were never shown.
"""

from __future__ import annotations

import heapq
import logging
import string
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import httpx
import numpy as np

from harness.bench.auth import CollectorAuth, client_headers
from harness.bench.events import EdgeRead
from harness.bench.formats import FORMATS

log = logging.getLogger(__name__)

MIN_BLOB_FRACTION = 0.01
"""A foreground blob smaller than this fraction of the frame is noise, not a vehicle."""
DIFF_THRESHOLD = 28
MAX_TRIES = 3
MAX_PENDING = 32
"""Vehicles waiting for the recognizer beyond this are not read (counted in ``overloaded``): an
overloaded device drops work instead of holding frames without bound."""
CANDIDATE_BAND = 0.3
"""Frames whose vehicle centre is within this fraction of the width from the frame's centre are read."""
BACKGROUND_FRAMES = 3


@dataclass(frozen=True)
class Faults:
    """Faults a sink injects; every count is exact and deterministic (vehicles numbered from 1)."""

    drop_every: int = 0
    """Drop vehicle n when n % drop_every == 0 (0: never)."""
    delay_s: float = 0.0
    """Added before each push."""
    duplicate_every: int = 0
    """Vehicle n (not dropped) is sent 1 + ``duplicates`` times when n % duplicate_every == 0."""
    duplicates: int = 1
    clock_offset_s: float = 0.0
    """Added to every event time the device reports."""
    phantom_every: int = 0
    """After vehicle n (n % phantom_every == 0) a read of a plate never shown is pushed too."""
    seed: int = 0

    def dropped(self, n: int) -> bool:
        return bool(self.drop_every) and n % self.drop_every == 0

    def copies(self, n: int) -> int:
        if self.dropped(n):
            return 0
        return 1 + (self.duplicates if self.duplicate_every and n % self.duplicate_every == 0 else 0)

    def phantom(self, n: int) -> bool:
        return bool(self.phantom_every) and n % self.phantom_every == 0


def phantom_plate(seed: int, n: int) -> str:
    """A plate nobody showed: seven letters (a sign or a reflection read as a plate)."""
    rng = np.random.default_rng([seed, n])
    return "".join(rng.choice(list(string.ascii_uppercase), 7))


@dataclass
class Sink:
    """Where and how one integration of the device pushes."""

    url: str
    format: str
    device: str
    auth: CollectorAuth = field(default_factory=CollectorAuth)
    faults: Faults = field(default_factory=Faults)
    token_url: str | None = None
    """For ``oauth2``: the receiver's token endpoint."""
    client_id: str = ""
    client_secret: str = ""
    sent: int = 0
    failed: int = 0


class _Sender(threading.Thread):
    """Sends one sink's payloads at their due times (an injected delay never blocks other sinks)."""

    def __init__(self, sink: Sink) -> None:
        super().__init__(name=f"edge-sink-{sink.format}", daemon=True)
        self.sink = sink
        self._queue: list[tuple[float, int, bytes, str]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._counter = 0
        self._token: str | None = None
        self._client = httpx.Client(timeout=10.0)

    def submit(self, due: float, body: bytes, content_type: str) -> None:
        with self._cond:
            self._counter += 1
            heapq.heappush(self._queue, (due, self._counter, body, content_type))
            self._cond.notify()

    def close(self) -> None:
        """Send what is queued, then stop."""
        with self._cond:
            self._closing = True
            self._cond.notify()

    def abandon(self) -> None:
        """Stop now, dropping what is queued."""
        with self._cond:
            self._queue.clear()
            self._closing = True
            self._cond.notify()

    def _headers(self, body: bytes) -> dict[str, str]:
        auth = self.sink.auth
        if auth.scheme == "oauth2" and self._token is None:
            response = self._client.post(
                self.sink.token_url or "",
                data={"grant_type": "client_credentials", "client_id": self.sink.client_id,
                      "client_secret": self.sink.client_secret},
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return client_headers(auth, body, token=self._token)

    def run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._queue and self._queue[0][0] <= time.time():
                        _, _, body, content_type = heapq.heappop(self._queue)
                        break
                    if self._closing and not self._queue:
                        self._client.close()
                        return
                    timeout = self._queue[0][0] - time.time() if self._queue else None
                    self._cond.wait(timeout)
            try:
                headers = {"Content-Type": content_type, **self._headers(body)}
                response = self._client.post(self.sink.url, content=body, headers=headers)
                if response.status_code >= 300:
                    self.sink.failed += 1
                    log.warning("sink %s answered %s", self.sink.format, response.status_code)
                else:
                    self.sink.sent += 1
            except httpx.HTTPError as exc:
                self.sink.failed += 1
                log.warning("sink %s: %s", self.sink.format, exc)


@dataclass
class _Track:
    number: int
    first_seen: float
    last_seen: float
    frames: list[tuple[float, np.ndarray, tuple[int, int, int, int], float]] = field(default_factory=list)
    """(device time, frame, blob box, |centre offset|) of the frames seen so far (bounded)."""
    reported: bool = False
    last_cx: float = -1.0


Recognize = Callable[[np.ndarray], list[tuple[str, float, tuple[int, int, int, int]]]]
"""An image -> [(text, confidence, (x, y, w, h))], best first."""


PLATE_PAPER_MIN = 150
"""Grey level above which a pixel can be plate sheeting (plates are the brightest thing on a vehicle)."""
CHARACTER_BAND = (0.27, 0.9)
"""Rows of a located plate that hold its characters (below the state name line), as fractions."""


def locate_plate(vehicle: np.ndarray) -> tuple[int, int, int, int] | None:
    """The plate on a vehicle crop: the largest bright region about twice as wide as high (x, y, w, h)."""
    gray = cv2.cvtColor(vehicle, cv2.COLOR_BGR2GRAY)
    mask = cv2.threshold(gray, PLATE_PAPER_MIN, 255, cv2.THRESH_BINARY)[1]
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    best = None
    for x, y, w, h, area in stats[1:count]:
        if h >= 8 and 1.4 <= w / h <= 3.5 and area >= 0.5 * w * h and (best is None or area > best[4]):
            best = (int(x), int(y), int(w), int(h), int(area))
    return None if best is None else best[:4]


def adapter_recognize(adapter: str = "reference", options: Mapping[str, Any] | None = None, *,
                      locate: bool = False) -> Recognize:
    """A plate reader for the device: an in-process adapter from the registry (the reference recognizer
    by default), one per reader thread (engines need not be thread-safe), called through the seam.

    ``locate=False``: the adapter reads the vehicle's whole crop. ``locate=True``: the device finds the
    plate itself (:func:`locate_plate`) and hands the adapter only the plate's character band, which
    suits an adapter told to read one line (the reference's ``input = "plate-line"``): the text
    detector, by far the slowest stage, is skipped, so a CI machine keeps up with a compressed bench."""
    from vendor_adapters.base import Image
    from vendor_adapters.registry import create_adapter

    local = threading.local()

    def engine() -> Any:
        if not hasattr(local, "adapter"):
            local.adapter = create_adapter(adapter, dict(options or {}))
        return local.adapter

    def read(frame: np.ndarray) -> list[tuple[str, float, tuple[int, int, int, int]]]:
        x0, y0, image = 0, 0, frame
        if locate:
            plate = locate_plate(frame)
            if plate is None:
                return []
            x, y, w, h = plate
            x0, y0 = x, y + int(h * CHARACTER_BAND[0])
            image = frame[y0 : y + int(h * CHARACTER_BAND[1]), x : x + w]
        ok, png = cv2.imencode(".png", image)
        if not ok:
            return []
        out = []
        for r in engine().recognize(Image(png.tobytes(), "image/png", "frame.png")).reads:
            if locate:  # the plate the device found, not the band it read
                box = plate
            else:
                box = (0, 0, 0, 0) if r.box is None else (int(r.box.x) + x0, int(r.box.y) + y0,
                                                         int(r.box.width), int(r.box.height))
            out.append((r.text, float(r.confidence or 0.0), box))
        return out

    return read


def reference_recognize(detect: bool = True) -> Recognize:
    """The reference recognizer as the device's reader: the whole pipeline (``detect``), or its line reader
    on the plate the device located (see :func:`adapter_recognize`)."""
    if detect:
        return adapter_recognize("reference", {"threads": 1})
    return adapter_recognize("reference", {"threads": 1, "input": "plate-line"}, locate=True)


class EdgeDevice:
    """Reads ``stream_url`` until it ends (or ``stop``), pushing to ``sinks``."""

    def __init__(
        self,
        stream_url: str,
        sinks: Sequence[Sink],
        recognize: Recognize,
        device_clock: Callable[[], float] = time.time,
        readers: int = 1,
    ) -> None:
        self.stream_url = stream_url
        self.sinks = list(sinks)
        self.recognize = recognize
        self.clock = device_clock
        self.vehicles = 0
        self.unread = 0
        self.overloaded = 0
        self.frames = 0
        self._pending = 0
        self._stop = threading.Event()
        self._senders = [_Sender(s) for s in self.sinks]
        self._background: np.ndarray | None = None
        self._bg_frames: list[np.ndarray] = []
        self._track: _Track | None = None
        self._reader = ThreadPoolExecutor(readers, thread_name_prefix="edge-recognizer")
        self._count_lock = threading.Lock()

    def stop(self) -> None:
        """Stop reading, drop reads not yet recognized and pushes not yet sent."""
        self._stop.set()
        self._reader.shutdown(wait=False, cancel_futures=True)
        for sender in self._senders:
            sender.abandon()

    def run(self, open_timeout_s: float = 20.0) -> None:
        """Process the stream to its end; returns when every push has been sent."""
        for sender in self._senders:
            sender.start()
        capture = self._open(open_timeout_s)
        try:
            while not self._stop.is_set():
                ok, frame = capture.read()
                now = self.clock()
                if not ok:
                    break
                self.frames += 1
                self._frame(now, frame)
            if self._track is not None:
                self._finish(self._track)
        finally:
            capture.release()
            self._reader.shutdown(wait=True)
            for sender in self._senders:
                sender.close()
            for sender in self._senders:
                sender.join(timeout=60)

    def _open(self, timeout_s: float) -> cv2.VideoCapture:
        deadline = time.monotonic() + timeout_s
        while True:
            capture = cv2.VideoCapture(self.stream_url, cv2.CAP_FFMPEG)
            if capture.isOpened():
                return capture
            capture.release()
            if time.monotonic() > deadline or self._stop.is_set():
                raise ConnectionError(f"OpenCV cannot open the stream {self.stream_url}")
            time.sleep(0.2)

    def _blob(self, frame: np.ndarray) -> tuple[int, int, int, int] | None:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if self._background is None:
            self._bg_frames.append(gray)
            if len(self._bg_frames) >= BACKGROUND_FRAMES:
                self._background = np.median(np.stack(self._bg_frames), axis=0).astype(np.uint8)
            return None
        mask = cv2.threshold(cv2.absdiff(gray, self._background), DIFF_THRESHOLD, 255, cv2.THRESH_BINARY)[1]
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        if count <= 1:
            return None
        best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        x, y, w, h, area = (int(v) for v in stats[best])
        if area < MIN_BLOB_FRACTION * gray.size:
            return None
        return x, y, w, h

    def _frame(self, now: float, frame: np.ndarray) -> None:
        blob = self._blob(frame)
        track = self._track
        if blob is None:
            if track is not None:
                self._finish(track)
                self._track = None
            return
        width = frame.shape[1]
        cx = blob[0] + blob[2] / 2
        if track is not None and cx < track.last_cx - 0.25 * width:
            self._finish(track)  # vehicles only move right: this is the next one (the gap was not seen)
            track = None
        if track is None:
            self.vehicles += 1
            track = self._track = _Track(self.vehicles, now, now)
        track.last_seen = now
        track.last_cx = cx
        if abs(cx - width / 2) <= CANDIDATE_BAND * width:  # near the centre: a candidate for the read
            track.frames.append((now, frame, blob, abs(cx - width / 2)))
            track.frames = sorted(track.frames, key=lambda f: f[3])[: MAX_TRIES + 1]
        if not track.reported and cx >= width / 2 and track.frames:
            self._report(track)

    def _finish(self, track: _Track) -> None:
        if track.reported:
            return
        if track.frames:
            self._report(track)
        else:  # never seen near the centre (frames skipped): no read
            with self._count_lock:
                self.unread += 1

    def _report(self, track: _Track) -> None:
        """Hand the track's best frames to the recognizer thread (the reader never waits for it)."""
        track.reported = True
        frames = sorted(track.frames, key=lambda f: f[3])[:MAX_TRIES]
        track.frames = []
        with self._count_lock:
            if self._pending >= MAX_PENDING:
                self.overloaded += 1
                return
            self._pending += 1
        self._reader.submit(self._read_track, track, frames)

    def _read_track(self, track: _Track, frames: list[tuple[float, np.ndarray, tuple[int, int, int, int], float]]) -> None:
        try:
            self._recognize_track(track, frames)
        except Exception:
            log.exception("reading vehicle %d failed", track.number)
            with self._count_lock:
                self.unread += 1
        finally:
            with self._count_lock:
                self._pending -= 1

    def _recognize_track(self, track: _Track, frames: list[tuple[float, np.ndarray, tuple[int, int, int, int], float]]) -> None:
        for when, frame, (x, y, w, h), _ in frames:
            reads = self.recognize(frame[y : y + h, x : x + w])
            if reads:
                text, conf, (px, py, pw, ph) = reads[0]
                ok, jpeg = cv2.imencode(".jpg", frame[y : y + h, x : x + w], [cv2.IMWRITE_JPEG_QUALITY, 80])
                self._push(track, EdgeRead(
                    plate=text, confidence=conf, event_time=when, first_seen=track.first_seen,
                    last_seen=max(track.last_seen, when), device="", event_id=str(uuid.uuid4()),
                    box=(px + x, py + y, pw, ph), frame_size=(frame.shape[1], frame.shape[0]),
                    image_jpeg=jpeg.tobytes() if ok else b"",
                ))
                return
        with self._count_lock:
            self.unread += 1

    def _push(self, track: _Track, read: EdgeRead) -> None:
        now = time.time()
        for sink, sender in zip(self.sinks, self._senders, strict=True):
            faults = sink.faults
            shifted = replace(read, device=sink.device, event_time=read.event_time + faults.clock_offset_s,
                              first_seen=read.first_seen + faults.clock_offset_s,
                              last_seen=read.last_seen + faults.clock_offset_s)
            body, content_type = FORMATS[sink.format].encode(shifted)
            for _ in range(faults.copies(track.number)):
                sender.submit(now + faults.delay_s, body, content_type)
            if faults.phantom(track.number):
                ghost = replace(shifted, plate=phantom_plate(faults.seed, track.number), event_id=str(uuid.uuid4()),
                                image_jpeg=b"")
                ghost_body, ghost_type = FORMATS[sink.format].encode(ghost)
                sender.submit(now + faults.delay_s, ghost_body, ghost_type)
