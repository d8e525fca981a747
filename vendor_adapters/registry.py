"""Which adapters exist, by name, and how to build one; loading an adapter never happens early.

Built-in adapters are declared as lazy ``"module:Class"`` strings. Third-party adapters are found
through the entry-point group ``platebench.adapters`` (see ``docs/adapters.md``): a vendor ships
its adapter as a separate package with::

    [project.entry-points."platebench.adapters"]
    acme = "acme_platebench:AcmeAdapter"

Listing names imports nothing; only :func:`load_adapter_class` imports the chosen module, so an
adapter whose SDK is missing does not break the others.
"""

from __future__ import annotations

import difflib
import importlib
import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from vendor_adapters.base import Adapter
from vendor_adapters.errors import ConfigurationError

ENTRY_POINT_GROUP = "platebench.adapters"

BUILTIN: dict[str, str] = {
    "reference": "vendor_adapters.reference:ReferenceAdapter",
    "evalapi": "vendor_adapters.evalapi:EvalApiAdapter",
    "platerecognizer": "vendor_adapters.platerecognizer:PlateRecognizerAdapter",
    "openalpr": "vendor_adapters.openalpr:OpenAlprCloudAdapter",
    "openalpr-cli": "vendor_adapters.openalpr:OpenAlprCliAdapter",
    "simplelpr": "vendor_adapters.simplelpr:SimpleLprAdapter",
    "stub": "harness.load.stub_adapter:StubAdapter",
}
"""Adapters that ship with platebench: registry name -> ``module:Class``."""


def _plugin_targets() -> dict[str, str]:
    found: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN:
            warnings.warn(
                f"adapter plugin {ep.value!r} tries to replace built-in adapter {ep.name!r}; ignored",
                stacklevel=2,
            )
            continue
        found[ep.name] = ep.value
    return found


def adapter_targets() -> dict[str, str]:
    """Every known adapter name -> ``module:Class`` (built-ins, then installed plugins)."""
    return {**BUILTIN, **_plugin_targets()}


def adapter_names() -> list[str]:
    """Sorted names of every known adapter."""
    return sorted(adapter_targets())


def unknown_adapter_message(name: str, known: list[str] | None = None) -> str:
    """A usage message for an unknown adapter name, with a did-you-mean suggestion."""
    known = known if known is not None else adapter_names()
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"Unknown vendor adapter {name!r}.{hint} Known adapters: {', '.join(known)}."


def load_adapter_class(name: str) -> type[Adapter]:
    """Import and return the adapter class registered under ``name``."""
    targets = adapter_targets()
    if name not in targets:
        raise ConfigurationError(unknown_adapter_message(name, sorted(targets)))
    module_name, _, attr = targets[name].partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigurationError(f"adapter {name!r}: {targets[name]} is not a platebench Adapter class")
    return cls


def create_adapter(name: str, config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter ``name`` from its ``vendors.toml`` table and the environment."""
    import os

    return load_adapter_class(name).from_config(dict(config or {}), os.environ if env is None else env)
