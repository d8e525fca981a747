"""A simulated bench: each plan camera rendered by a virtual camera, watched by a simulated edge
device pushing to collectors, paint times journaled. Everything on loopback; stops by itself when the
plan's last pass has been shown and every push has been sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from harness.bench.edge import EdgeDevice, Recognize, Sink
from harness.bench.journal import BenchJournal
from harness.bench.plan import BenchPlan
from harness.bench.scene import SceneRenderer
from harness.bench.virtual_camera import VirtualCamera, serving
from harness.corpus.model import Sample

DEFAULT_FRAME_SIZE = (320, 180)
TAIL_S = 0.5
"""Frames kept coming after the last pass has left the frame."""


@dataclass(frozen=True)
class DeviceReport:
    """What one simulated edge device did (for the operator; the journal is the record)."""

    camera: str
    frames_read: int
    vehicles: int
    unread: int
    overloaded: int
    pushes_sent: dict[str, int]
    pushes_failed: dict[str, int]


def run_simulation(
    plan: BenchPlan,
    journals: Sequence[BenchJournal],
    sinks: Mapping[str, Sequence[Sink]],
    recognize: Recognize,
    samples: Mapping[str, Sample] | None = None,
    frame_size: tuple[int, int] = DEFAULT_FRAME_SIZE,
    readers: int = 1,
    timeout_s: float = 300.0,
) -> list[DeviceReport]:
    """Run the plan: ``sinks`` maps a plan camera id to its edge device's sinks; paint times go to
    every journal in ``journals``; ``readers`` recognizer threads per device. Returns when the streams
    have ended and every push was sent; raises :class:`TimeoutError` (after stopping everything) if
    that takes more than ``timeout_s`` seconds beyond the plan's own duration."""
    duration = plan.settings.start_delay_s + max(p.offset_s for p in plan.passes) + plan.settings.crossing_s + TAIL_S

    def on_paint(pass_id: str, scheduled: float, painted: float) -> None:
        for journal in journals:
            journal.paint(pass_id, scheduled, painted, "virtual-camera")

    devices: list[tuple[str, EdgeDevice]] = []
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller after the join
                errors.append(exc)
        return run

    with ExitStack() as stack:
        cameras = []
        for camera_id, camera_sinks in sinks.items():
            renderer = SceneRenderer(plan, camera_id, dict(samples or {}), frame_size)
            camera = VirtualCamera(renderer, on_paint)
            url = stack.enter_context(serving(camera))
            cameras.append(camera)
            devices.append((camera_id, EdgeDevice(url, camera_sinks, recognize, readers=readers)))
        start = time.time() + 0.2
        for camera in cameras:
            threads.append(threading.Thread(target=guarded(lambda c=camera: c.run(start, duration)), name="virtual-camera", daemon=True))
        for _, device in devices:
            threads.append(threading.Thread(target=guarded(device.run), name="edge-device", daemon=True))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + duration + timeout_s
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            for camera in cameras:
                camera.stop()
            for _, device in devices:
                device.stop()
            raise TimeoutError("the simulated bench did not finish in time")
    if errors:
        raise errors[0]
    return [
        DeviceReport(
            camera_id, device.frames, device.vehicles, device.unread, device.overloaded,
            {s.format: s.sent for s in device.sinks}, {s.format: s.failed for s in device.sinks},
        )
        for camera_id, device in devices
    ]
