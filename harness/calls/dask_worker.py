"""What runs on a Dask worker for :class:`~harness.calls.dask_pool.DaskCallPool`: the worker's engine and its calls.

Imported only when a run uses the Dask executor (the client, to register the plugin) and on the workers
(to unpickle it): it imports ``distributed``.

- :class:`EnginePlugin` builds the vendor's adapter once per worker when it is registered (and on every
  worker that joins later, e.g. the one Dask's nanny starts in place of a killed worker), keeps it for the
  whole run, and closes it when the run unregisters the plugin. Calls on one worker take turns on its
  engine (adapters are not promised to be thread-safe; run workers with one thread each).
- Images travel as paths (:class:`PathTarget`): each worker reads an image from the corpus's path, which
  must be the same on every worker (a shared file system), checks its sha256 against the corpus manifest
  once, and keeps its bytes in a bounded cache, so an image a worker has seen (another condition, another
  vendor of the campaign) is not read again. No plate label leaves the client.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from distributed import WorkerPlugin, get_worker

from harness.calls.single import CallTarget, HarnessFault, call_sync
from harness.outcome import CallOutcome
from harness.redact import remember_config_secrets
from vendor_adapters.base import Adapter, Image, content_name
from vendor_adapters.registry import AdapterFactory

IMAGE_CACHE_BYTES = 512 * 2**20
"""Image bytes each worker keeps (least recently used first out)."""


@dataclass(frozen=True)
class PathTarget:
    """A corpus image as sent to a worker: where to read it and what its bytes must hash to (no labels)."""

    id: str
    path: str
    sha256: str
    media_type: str
    name: str

    @classmethod
    def of(cls, target: CallTarget) -> PathTarget:
        """The path form of a corpus sample (anything with ``path``)."""
        path = str(target.path)  # type: ignore[attr-defined]
        media_type = "image/png" if path.lower().endswith(".png") else "image/jpeg"
        return cls(target.id, path, target.sha256, media_type, content_name(target.sha256, media_type))


class ImageCache:
    """Image bytes by sha256, read from the shared path on first use and checked against it."""

    def __init__(self, capacity_bytes: int = IMAGE_CACHE_BYTES) -> None:
        self.capacity = capacity_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self.reads = 0
        """Files read from the shared path (cache misses)."""

    def image(self, target: PathTarget) -> Image:
        data = self._items.get(target.sha256)
        if data is None:
            with open(target.path, "rb") as fh:
                data = fh.read()
            self.reads += 1
            if hashlib.sha256(data).hexdigest() != target.sha256:
                raise HarnessFault(
                    f"the image of sample {target.id!r} at {target.path} on worker {_worker_name()} is not the "
                    "corpus's (sha256 differs): the workers must see the corpus at the same path"
                )
            self._items[target.sha256] = data
            self._size += len(data)
            while self._size > self.capacity and len(self._items) > 1:
                self._size -= len(self._items.popitem(last=False)[1])
        else:
            self._items.move_to_end(target.sha256)
        return Image(data=data, media_type=target.media_type, name=target.name)


@dataclass(frozen=True)
class _CachedTarget:
    target: PathTarget
    cache: ImageCache

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def sha256(self) -> str:
        return self.target.sha256

    def load_image(self) -> Image:
        return self.cache.image(self.target)


class EnginePlugin(WorkerPlugin):
    """One vendor's engine on each worker, built once from the picklable :class:`AdapterFactory`."""

    def __init__(self, factory: AdapterFactory, cache_bytes: int = IMAGE_CACHE_BYTES) -> None:
        self.factory = factory
        self.cache_bytes = cache_bytes
        self.adapter: Adapter | None = None
        self.lock: threading.Lock | None = None
        self.images: ImageCache | None = None
        self.builds = 0

    def setup(self, worker: object) -> None:
        remember_config_secrets(self.factory.config, os.environ)
        self.lock = threading.Lock()
        self.images = ImageCache(self.cache_bytes)
        self.adapter = self.factory()
        self.builds += 1

    def teardown(self, worker: object) -> None:
        if self.adapter is not None:
            self.adapter.close()
            self.adapter = None

    def call(self, target: CallTarget) -> CallOutcome:
        """One call on this worker's engine (calls on one worker take turns)."""
        if self.adapter is None or self.lock is None or self.images is None:
            raise RuntimeError("worker engine not initialised")
        with self.lock:
            if isinstance(target, PathTarget):
                return call_sync(self.adapter, _CachedTarget(target, self.images))
            return call_sync(self.adapter, target)  # an in-memory image travels with its task


def engine(plugin_name: str, worker: Any = None) -> EnginePlugin:
    """This worker's engine plugin of that name."""
    plugin = (worker or get_worker()).plugins[plugin_name]
    assert isinstance(plugin, EnginePlugin)
    return plugin


def call_on_worker(target: CallTarget, plugin_name: str) -> CallOutcome:
    """The task every call is: ``target`` on this worker's engine."""
    return engine(plugin_name).call(target)


def engine_stats(plugin_name: str, dask_worker: Any = None) -> dict[str, int]:
    """This worker's engine builds and image reads, through ``Client.run`` (which passes ``dask_worker``)."""
    plugin = engine(plugin_name, dask_worker)
    return {"builds": plugin.builds, "image_reads": plugin.images.reads if plugin.images else 0, "pid": os.getpid()}


def _worker_name() -> str:
    try:
        return str(get_worker().address)
    except ValueError:
        return "?"
