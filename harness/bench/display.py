"""The display rig: a local web page, opened full screen on a monitor or tablet in front of a real
camera, that shows each pass's plate at its scheduled time at a calibrated physical size and
reports the time every plate was actually painted.

Routes::

    GET  /                  the page (asks the screen's width in mm; ``?screen_mm=..&auto=1`` skips the form)
    GET  /time              the harness clock (the page estimates its offset to it, NTP-style)
    POST /start             starts the schedule ``start_delay_s`` from now; returns it
    GET  /plate/{pass}.png  the plate shown for a pass
    POST /paint             {"pass", "painted_ms", "frame_ms"}: a plate was painted (harness clock)
    POST /drive-by          a key press: a physical test vehicle passed now (the next unpainted pass)

Paint times are the ``requestAnimationFrame`` timestamp of the first frame showing the plate,
converted to the harness clock; the page also reports the length of that frame (the time since the
frame before it), so "painted within one frame of the schedule" can be checked pass by pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from importlib import resources
from itertools import pairwise
from typing import Any

import cv2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from harness.bench.journal import BenchJournal
from harness.bench.plan import BenchPlan
from harness.bench.scene import plate_image
from harness.corpus.model import Sample

PLATE_WIDTH_MM = 305.0
"""A US plate is 12 inches wide; the page draws plates at this physical width."""
SHOW_S = 1.0
"""How long each plate stays on screen at most (blank between passes)."""
BLANK_SHARE = 0.6
"""A plate stays up for at most this share of the time to the next pass; the screen is blank for the rest."""


class DisplayRig:
    """The display page's state: the schedule and what was painted."""

    def __init__(self, plan: BenchPlan, journal: BenchJournal, samples: Mapping[str, Sample], camera: str | None = None) -> None:
        self.plan = plan
        self.journal = journal
        self.samples = dict(samples)
        self.passes = [p for p in plan.passes if camera is None or p.camera == camera]
        self.start: float | None = None
        self.frame_ms: dict[str, float] = {}
        """Pass id -> length of the frame in which its plate appeared (ms)."""
        self._painted: set[str] = set()
        self._lock = threading.Lock()
        self._png: dict[str, bytes] = {}

    def scheduled(self, pass_id: str) -> float:
        assert self.start is not None
        item = next(p for p in self.passes if p.id == pass_id)
        return self.start + self.plan.settings.start_delay_s + item.offset_s

    def schedule(self) -> dict[str, Any]:
        assert self.start is not None
        times = [self.scheduled(p.id) for p in self.passes]
        gaps = [b - a for a, b in pairwise(times)] + [SHOW_S / BLANK_SHARE]
        return {
            "passes": [{"id": p.id, "at_ms": t * 1000, "show_ms": min(SHOW_S, BLANK_SHARE * gap) * 1000,
                        "image": f"/plate/{p.id}.png"} for p, t, gap in zip(self.passes, times, gaps, strict=True)],
            "plate_width_mm": PLATE_WIDTH_MM,
        }

    async def page(self, request: Request) -> HTMLResponse:
        return HTMLResponse(resources.files("harness.bench").joinpath("display.html").read_text(encoding="utf-8"))

    async def clock(self, request: Request) -> JSONResponse:
        return JSONResponse({"now_ms": time.time() * 1000})

    async def begin(self, request: Request) -> JSONResponse:
        with self._lock:
            if self.start is None:
                self.start = time.time()
        return JSONResponse(self.schedule())

    async def plate(self, request: Request) -> Response:
        pass_id = request.path_params["pass_id"]
        item = next((p for p in self.passes if p.id == pass_id), None)
        if item is None:
            return JSONResponse({"error": "no such pass"}, status_code=404)
        if pass_id not in self._png:
            ok, png = cv2.imencode(".png", plate_image(item, self.samples))
            if not ok:
                return JSONResponse({"error": "cannot draw the plate"}, status_code=500)
            self._png[pass_id] = png.tobytes()
        return Response(self._png[pass_id], media_type="image/png", headers={"Cache-Control": "no-store"})

    async def paint(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
            pass_id, painted = str(body["pass"]), float(body["painted_ms"]) / 1000.0
            frame = float(body.get("frame_ms") or 0.0)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "need pass and painted_ms"}, status_code=400)
        if self.start is None or pass_id not in {p.id for p in self.passes}:
            return JSONResponse({"error": "unknown pass or not started"}, status_code=400)
        with self._lock:
            first = pass_id not in self._painted
            self._painted.add(pass_id)
            if first and frame > 0:
                self.frame_ms[pass_id] = frame
        if first:
            self.journal.paint(pass_id, self.scheduled(pass_id), painted, "display")
        return JSONResponse({"ok": True})

    async def drive_by(self, request: Request) -> JSONResponse:
        now = time.time()
        with self._lock:
            pending = next((p for p in self.passes if p.id not in self._painted), None)
            if pending is None:
                return JSONResponse({"error": "every pass is done"}, status_code=409)
            self._painted.add(pending.id)
        scheduled = self.scheduled(pending.id) if self.start is not None else now
        self.journal.paint(pending.id, scheduled, now, "drive-by")
        return JSONResponse({"pass": pending.id})

    @property
    def done(self) -> bool:
        with self._lock:
            return len(self._painted) == len(self.passes)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/", self.page, methods=["GET"]),
            Route("/time", self.clock, methods=["GET"]),
            Route("/start", self.begin, methods=["POST"]),
            Route("/plate/{pass_id}.png", self.plate, methods=["GET"]),
            Route("/paint", self.paint, methods=["POST"]),
            Route("/drive-by", self.drive_by, methods=["POST"]),
        ])


def serve_display(plan: BenchPlan, journal: BenchJournal, samples: Mapping[str, Sample], host: str, port: int) -> None:
    """Serve the page until every pass is painted (or Ctrl-C), printing where to open it."""
    from harness.bench.collector import serve_in_thread

    rig = DisplayRig(plan, journal, samples)
    with serve_in_thread(rig.app(), host, port, "display") as server:
        print(f"open {server.base_url}/ full screen on the display in front of the camera")
        while not rig.done:
            time.sleep(0.5)
    print(f"all {len(rig.passes)} passes shown")
