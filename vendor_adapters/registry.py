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
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    "flock": "vendor_adapters.flock:FlockAdapter",
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
    """Import and return the adapter class ``name``: a registered name, or a ``module:Class`` target
    (an adapter under development, not packaged yet). The one place an adapter module is imported."""
    if ":" in name:
        target = name
    else:
        targets = adapter_targets()
        if name not in targets:
            raise ConfigurationError(unknown_adapter_message(name, sorted(targets)))
        target = targets[name]
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr, None)
    except ImportError as exc:
        raise ConfigurationError(f"adapter {name!r}: cannot import {target!r}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigurationError(f"adapter {name!r}: {target} is not a platebench Adapter class")
    return cls


@dataclass(frozen=True)
class AdapterFactory:
    """Builds one adapter from a ``module:Class`` target and its ``vendors.toml`` options.

    Picklable (two plain fields), so a process pool hands it to each worker, which builds its own
    adapter once. Secrets are read from the environment of the process that builds the adapter.
    """

    target: str
    """``module:Class`` (or a registered name)."""
    config: Mapping[str, Any] = field(default_factory=dict)

    def adapter_class(self) -> type[Adapter]:
        """The adapter class (imports its module)."""
        return load_adapter_class(self.target)

    def __call__(self, env: Mapping[str, str] | None = None) -> Adapter:
        """A new adapter; a ``ConfigurationError`` (e.g. a missing credential) otherwise."""
        return self.adapter_class().from_config(dict(self.config), os.environ if env is None else env)


def create_adapter(name: str, config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter ``name`` from its ``vendors.toml`` table and the environment."""
    return AdapterFactory(name, dict(config or {}))(env)
