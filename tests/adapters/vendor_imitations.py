"""Local imitations of the Plate Recognizer and OpenALPR cloud APIs, built from their public docs.

Each imitation is a Starlette app that checks requests the way the vendor documents them and
answers in the vendor's documented shapes (``reference/vendor_apis.md`` sections 1 and 2):

- Plate Recognizer Snapshot: ``POST /v1/plate-reader/`` (with or without the slash), multipart
  ``upload`` (file or base64 string), repeated ``regions``, ``camera_id``, ``config`` as a JSON
  string (``detection_mode: vehicle`` switches the result shape), ``Authorization: Token`` unless
  run as the on-premise SDK (then ``GET /info/``); 403 bad token / no credits, 413 above the upload
  limit, 429 with the documented body above the per-second limit; lower-case plates.
- OpenALPR cloud: ``POST /v2|v3/recognize_bytes`` with ``secret_key`` and ``country`` in the query
  and a base64 body; 400 bad parameter, 401 bad key, 402 credits used up, 403 per-second rate
  limit, ``{"error": ...}`` bodies, ``X-RateLimit-*`` headers; upper-case plates, percent
  confidences, 4-point ``coordinates``.

Which plates an image holds is registered per image sha256 (:meth:`Imitation.register`); an
unregistered image has no plate. ``fault`` forces a failure mode for the next calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PR_TOKEN = "4805bee1222ce85e0bf0123456789abcdef01234"
"""The token the Plate Recognizer cloud imitation accepts."""
OA_SECRET = "sk_0123456789abcdef01234567"
"""The secret key the OpenALPR imitation accepts."""


@dataclass
class TruthPlate:
    """A plate the imitation reports: normalized text plus the geometry it draws boxes from."""

    text: str
    score: float = 0.9
    box: tuple[int, int, int, int] = (10, 20, 110, 50)  # xmin, ymin, xmax, ymax
    region: str = "us-ca"
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass
class Imitation:
    """Shared state of one imitation server (tests mutate it between calls)."""

    token: str | None = None
    rate_per_s: float | None = None
    upload_limit: int = 3 * 1024 * 1024
    credits: int | None = None
    fault: str | None = None
    plates: dict[str, list[TruthPlate]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _last: float = field(default=-1e9)

    def register(self, image: bytes, *plates: TruthPlate) -> None:
        """Say which plates ``image`` holds."""
        self.plates[hashlib.sha256(image).hexdigest()] = list(plates)

    def throttled(self) -> bool:
        """True when this call comes sooner than the per-second limit allows."""
        if not self.rate_per_s:
            return False
        now = time.monotonic()
        if now - self._last < 1.0 / self.rate_per_s:
            return True
        self._last = now
        return False

    def reset(self) -> None:
        self.token = None
        self.rate_per_s = None
        self.upload_limit = 3 * 1024 * 1024
        self.credits = None
        self.fault = None
        self.plates.clear()
        self.requests.clear()
        self._last = -1e9


def _fault_response(fault: str | None) -> Response | None:
    if fault == "malformed":
        return Response('{"results": [{"plate": ', media_type="application/json")
    if fault == "wrong_shape":
        return JSONResponse({"results": {"plate": "abc"}})
    if fault == "html":
        return Response("<html>gateway</html>", media_type="text/html")
    if fault == "500":
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    if fault == "503":
        return Response("Service Unavailable", status_code=503)
    return None


# ---------------------------------------------------------------- Plate Recognizer


def platerecognizer_app(state: Imitation, *, sdk: bool = False) -> Starlette:
    """The Snapshot API (cloud, or the on-premise SDK when ``sdk``)."""

    async def plate_reader(request: Request) -> Response:
        if not sdk and request.headers.get("authorization") != f"Token {state.token}":
            return JSONResponse({"detail": "Invalid token."}, status_code=403)
        if state.credits is not None and state.credits <= 0:
            return JSONResponse({"detail": "Not enough credits."}, status_code=403)
        if not sdk and state.throttled():
            if state.fault == "429_header":
                return JSONResponse({"detail": "Request was throttled. Expected available in 2 seconds.",
                                     "status_code": 429}, status_code=429, headers={"Retry-After": "2"})
            return JSONResponse({"detail": "Request was throttled. Expected available in 1 second.",
                                 "status_code": 429}, status_code=429)
        body = await request.body()
        if not sdk and len(body) > state.upload_limit:
            return JSONResponse({"detail": "Request entity too large."}, status_code=413)
        if (fault := _fault_response(state.fault)) is not None:
            return fault
        form = await request.form()
        upload = form.get("upload")
        if upload is None:
            return JSONResponse({"upload": ["This field is required."]}, status_code=400)
        image = await upload.read() if hasattr(upload, "read") else base64.b64decode(str(upload))
        config = json.loads(str(form["config"])) if "config" in form else {}
        state.requests.append({"regions": form.getlist("regions"), "camera_id": form.get("camera_id"),
                               "config": config, "mmc": form.get("mmc"), "headers": dict(request.headers)})
        if state.credits is not None:
            state.credits -= 1
        plates = state.plates.get(hashlib.sha256(image).hexdigest(), [])
        vehicle_mode = config.get("detection_mode") == "vehicle"
        results = [_pr_vehicle_result(p) if vehicle_mode else _pr_result(p) for p in plates]
        payload: dict[str, Any] = {
            "processing_time": 141.2, "results": results, "filename": "0912_x.jpg", "version": 1,
            "camera_id": form.get("camera_id"), "timestamp": "2024-05-01T09:12:44.120311Z",
        }
        if sdk:
            payload["usage"] = {"calls": 3, "max_calls": 2500}
        return JSONResponse(payload)

    async def info(request: Request) -> Response:
        return JSONResponse({"version": "1.42.0", "license_key": "XXXXX", "total_calls": 3,
                             "usage": {"calls": 3}, "webhooks": []})

    routes = [Route("/v1/plate-reader/", plate_reader, methods=["POST"]),
              Route("/v1/plate-reader", plate_reader, methods=["POST"])]
    if sdk:
        routes.append(Route("/info/", info, methods=["GET"]))
    return Starlette(routes=routes)


def _pr_box(p: TruthPlate) -> dict[str, int]:
    return dict(zip(("xmin", "ymin", "xmax", "ymax"), p.box, strict=True))


def _pr_result(p: TruthPlate) -> dict[str, Any]:
    text = p.text.lower()
    return {
        "plate": text, "score": p.score, "dscore": 0.874, "box": _pr_box(p),
        "region": {"code": p.region, "score": 0.81},
        "candidates": [{"plate": text, "score": p.score}] + [{"plate": t.lower(), "score": s} for t, s in p.alternatives],
        "vehicle": {"type": "Sedan", "score": 0.77, "box": {"xmin": 0, "ymin": 0, "xmax": 300, "ymax": 200}},
    }


def _pr_vehicle_result(p: TruthPlate) -> dict[str, Any]:
    return {
        "plate": {"type": "Plate", "score": 0.874, "box": _pr_box(p),
                  "props": {"plate": [{"value": p.text.lower(), "score": p.score}]
                            + [{"value": t.lower(), "score": s} for t, s in p.alternatives],
                            "region": [{"value": p.region, "score": 0.9}]}},
        "vehicle": {"type": "Sedan", "score": 0.8, "box": {"xmin": 0, "ymin": 0, "xmax": 9, "ymax": 9},
                    "props": {"make_model": [], "orientation": [], "color": []}},
    }


# ---------------------------------------------------------------- OpenALPR cloud


def openalpr_app(state: Imitation) -> Starlette:
    """The cloud API's ``recognize_bytes`` under both ``/v2`` and ``/v3``."""

    async def recognize_bytes(request: Request) -> Response:
        key = request.query_params.get("secret_key")
        if key != state.token:
            return JSONResponse({"error": f"Invalid secret_key {key}"}, status_code=401)
        if not request.query_params.get("country"):
            return JSONResponse({"error": "country is a required parameter"}, status_code=400)
        if state.credits is not None and state.credits <= 0:
            return JSONResponse({"error": "Monthly usage limit exceeded"}, status_code=402)
        if state.throttled():
            headers = {"X-Ratelimit-Reset": str(int(time.time()) + 3)} if state.fault != "403_bare" else {}
            return JSONResponse({"error": "Temporary rate-limit exceeded"}, status_code=403, headers=headers)
        if (fault := _fault_response(state.fault)) is not None:
            return fault
        try:
            image = base64.b64decode(await request.body(), validate=True)
        except binascii.Error:
            return JSONResponse({"error": "image_bytes is not valid base64"}, status_code=400)
        state.requests.append({"params": dict(request.query_params)})
        if state.credits is not None:
            state.credits -= 1
        plates = state.plates.get(hashlib.sha256(image).hexdigest(), [])
        topn = int(request.query_params.get("topn", 10))
        payload = {
            "data_type": "alpr_results", "version": 3, "epoch_time": 1714554764000, "img_width": 800,
            "img_height": 600, "error": False, "uuid": "", "credit_cost": 1, "credits_monthly_used": 120,
            "credits_monthly_total": 2000, "processing_time": {"total": 412.5, "plates": 61.0, "vehicles": 0.0},
            "regions_of_interest": [{"x": 0, "y": 0, "width": 800, "height": 600}],
            "results": [alpr_result(i, p, topn) for i, p in enumerate(plates)], "vehicles": [],
        }
        return JSONResponse(payload, headers={"X-RateLimit-Limit": "10", "X-Ratelimit-Remaining": "9",
                                              "X-Ratelimit-Reset": str(int(time.time()) + 1)})

    return Starlette(routes=[Route("/v2/recognize_bytes", recognize_bytes, methods=["POST"]),
                             Route("/v3/recognize_bytes", recognize_bytes, methods=["POST"])])


def alpr_result(index: int, p: TruthPlate, topn: int = 10) -> dict[str, Any]:
    """One ``results[]`` entry as OpenALPR (cloud or ``alpr -j``) writes it."""
    x1, y1, x2, y2 = p.box
    candidates = [{"plate": p.text, "confidence": p.score * 100, "matches_template": 1}] + [
        {"plate": t, "confidence": s * 100, "matches_template": 0} for t, s in p.alternatives]
    return {
        "plate": p.text, "confidence": p.score * 100, "matches_template": 1, "plate_index": index,
        "region": p.region, "region_confidence": 88, "processing_time_ms": 9.1, "requested_topn": topn,
        "coordinates": [{"x": x1, "y": y1}, {"x": x2, "y": y1 + 1}, {"x": x2 - 1, "y": y2}, {"x": x1 - 1, "y": y2 - 1}],
        "candidates": candidates[:topn],
    }



# ---------------------------------------------------------------- loopback server


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("imitation server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
