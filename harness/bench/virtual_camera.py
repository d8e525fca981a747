"""The virtual camera: a plan's passes rendered live as an MJPEG stream over HTTP (and over RTSP where
ffmpeg and an RTSP server are available).

Frames are drawn on a fixed clock (``frame_rate`` of the plan); frame ``k`` is published at
``start + k / frame_rate``. For each pass the frame in which its vehicle is nearest the centre is
its *paint*: its actual publication time is reported (``on_paint``), like the display rig reports
the paint time of the plate on a real screen.

``GET /stream.mjpg`` is ``multipart/x-mixed-replace``; each client gets the newest frame each tick
(a slow client skips frames, it never delays the camera or the other clients).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

from harness.bench.collector import free_port
from harness.bench.scene import SceneRenderer

BOUNDARY = "platebenchframe"
JPEG_QUALITY = 85
PaintCallback = Callable[[str, float, float], None]
"""(pass id, scheduled time, paint time), epoch seconds."""


@dataclass
class _Latest:
    seq: int = -1
    jpeg: bytes = b""
    finished: bool = False


class VirtualCamera:
    """Renders one camera's view of a plan on a fixed clock and serves it."""

    def __init__(self, renderer: SceneRenderer, on_paint: PaintCallback | None = None) -> None:
        self.renderer = renderer
        self.frame_rate = renderer.plan.settings.frame_rate
        self.on_paint = on_paint
        self.start: float | None = None
        self.frames = 0
        self._latest = _Latest()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._painted: set[int] = set()

    def _paints_in(self, t: float) -> list[int]:
        """Passes whose centre time is nearest to frame time ``t``."""
        half = 0.5 / self.frame_rate
        return [
            i for i, item in enumerate(self.renderer.passes)
            if i not in self._painted and -half <= t - self.renderer.centre_time(item) < half
        ]

    def run(self, start: float, duration_s: float) -> None:
        """Publish frames from ``start`` (epoch s) for ``duration_s`` seconds or until stopped."""
        self.start = start
        total = int(duration_s * self.frame_rate) + 1
        for k in range(total):
            due = start + k / self.frame_rate
            t = k / self.frame_rate
            frame = self.renderer.frame(t)
            ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            paints = self._paints_in(t)
            wait = due - time.time()
            if wait > 0 and self._stop.wait(wait):
                break
            with self._cond:
                published = time.time()
                self._latest = _Latest(k, encoded.tobytes())
                self._cond.notify_all()
            self.frames += 1
            for i in paints:
                self._painted.add(i)
                if self.on_paint:
                    item = self.renderer.passes[i]
                    self.on_paint(item.id, start + self.renderer.centre_time(item), published)
        with self._cond:
            self._latest.finished = True
            self._cond.notify_all()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._latest.finished = True
            self._cond.notify_all()

    def frames_for_client(self, timeout_s: float = 5.0) -> Iterator[bytes]:
        """Each newer frame as JPEG bytes, until the camera finishes."""
        seen = [-1]

        def fresh() -> bool:
            return self._latest.seq > seen[0] or self._latest.finished

        while True:
            with self._cond:
                if not self._cond.wait_for(fresh, timeout_s) or self._latest.seq <= seen[0]:
                    return
                seen[0], jpeg = self._latest.seq, self._latest.jpeg
            yield jpeg

    def handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/stream.mjpg":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    for jpeg in camera.frames_for_client():
                        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                        self.wfile.write(head.encode("ascii") + jpeg + b"\r\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


@contextmanager
def serving(camera: VirtualCamera, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the camera's MJPEG stream; yields its URL."""
    server = ThreadingHTTPServer((host, port or free_port(host)), camera.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="virtual-camera-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/stream.mjpg"
    finally:
        camera.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


RTSP_SERVER_ENV = "PLATEBENCH_RTSP_SERVER"
"""An RTSP server that accepts published streams (e.g. mediamtx), as ``rtsp://host:port``."""


def rtsp_unavailable_reason(env: Mapping[str, str] | None = None) -> str | None:
    """Why the stream cannot be offered over RTSP here (``None`` if it can).

    ffmpeg cannot serve RTSP to readers by itself: it publishes the MJPEG stream to an RTSP server
    (mediamtx, GStreamer's rtsp-server...) named by ``$PLATEBENCH_RTSP_SERVER``."""
    env = os.environ if env is None else env
    if shutil.which("ffmpeg") is None:
        return "RTSP needs ffmpeg on PATH (apt-get install ffmpeg); the MJPEG stream works without it"
    if not env.get(RTSP_SERVER_ENV, "").startswith("rtsp://"):
        return (f"RTSP needs an RTSP server accepting published streams (e.g. mediamtx) in ${RTSP_SERVER_ENV}; "
                "the MJPEG stream works without it")
    return None


@contextmanager
def rtsp_relay(mjpeg_url: str, path: str = "bench") -> Iterator[str]:
    """Publish the MJPEG stream to ``$PLATEBENCH_RTSP_SERVER/<path>`` with ffmpeg; yields the URL readers open."""
    reason = rtsp_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    url = f"{os.environ[RTSP_SERVER_ENV].rstrip('/')}/{path}"
    process = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-f", "mpjpeg", "-i", mjpeg_url, "-c", "copy", "-f", "rtsp", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
