"""``vendors.toml``: which adapter drives each bidder, with what settings (never with what secret).

::

    [vendors.acme]
    adapter = "platerecognizer"            # a registered adapter name
    base_url = "https://acme.example/v1"   # adapter options
    token_env = "ACME_TOKEN"               # the NAME of the environment variable holding the key

Two keys belong to the harness, not the adapter: ``connect_timeout`` and ``read_timeout`` (seconds)
set the time-outs of the runner's HTTP transport for that vendor (see :data:`TRANSPORT_KEYS`).

Secrets are only ever named by environment variable. A key that looks like an inline secret
(``token``, ``api_key``, ``password``, ``secret``...) is refused, so a key pasted into the file by
mistake fails loudly before any request. Registered adapters that need no options (``reference``)
can be used by name without an entry. ``adapter`` may also be a ``module:Class`` target, for an
adapter under development that is not yet packaged with an entry point.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.redact import remember_config_secrets
from harness.schema_check import raise_problems, read_toml, schema_problems
from vendor_adapters.base import Adapter
from vendor_adapters.errors import ConfigurationError
from vendor_adapters.registry import (
    AdapterFactory,
    adapter_names,
    load_adapter_class,
    unknown_adapter_message,
)

DEFAULT_FILE = "vendors.toml"
VENDORS_SCHEMA = Path(__file__).with_name("vendors.schema.json")
"""The published JSON Schema of ``vendors.toml`` (docs/vendors-toml.md links it)."""
_TARGET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$")

TRANSPORT_KEYS = {"connect_timeout": "connect_timeout_s", "read_timeout": "read_timeout_s", "total_timeout": "total_timeout_s"}
"""``vendors.toml`` keys the harness's HTTP transport takes (seconds) -> ``TransportConfig`` fields."""
ANSWER_CAP_KEYS = ("max_body_bytes", "max_reads")
"""``vendors.toml`` caps per answer (whole numbers; same names as the ``TransportConfig`` fields)."""


@dataclass(frozen=True)
class VendorSpec:
    """A vendor as a run needs it: its name, its adapter, the adapter's options."""

    name: str
    adapter: str
    config: Mapping[str, Any] = field(default_factory=dict)
    transport: Mapping[str, float] = field(default_factory=dict)
    """Transport time-outs (seconds) and answer caps from ``vendors.toml`` (``TransportConfig`` field -> value)."""

    def adapter_class(self) -> type[Adapter]:
        """The adapter class (imports its module): a registered name, or a ``module:Class`` target."""
        try:
            return load_adapter_class(self.adapter)
        except ConfigurationError as exc:
            raise ConfigurationError(f"vendor {self.name!r}: {exc}") from None

    @property
    def class_path(self) -> str:
        """``module:Class`` of the adapter (imports it)."""
        cls = self.adapter_class()
        return f"{cls.__module__}:{cls.__qualname__}"

    def factory(self) -> AdapterFactory:
        """The picklable factory that builds this vendor's adapter (in this process or a worker)."""
        return AdapterFactory(self.class_path, dict(self.config))

    def create(self, env: Mapping[str, str] | None = None) -> Adapter:
        """Build the adapter from its options; a ``ConfigurationError`` (e.g. missing credential) otherwise.
        Its credentials' values are remembered for :func:`harness.redact.scrub`."""
        remember_config_secrets(self.config, os.environ if env is None else env)
        return self.factory()(env)


def read_vendors_file(path: Path) -> dict[str, dict[str, Any]]:
    """The ``[vendors.*]`` tables of a ``vendors.toml``, validated against :data:`VENDORS_SCHEMA` (no inline
    secrets); a :class:`ConfigurationError` lists every problem with its place."""
    _, data = read_toml(path, "vendors config", ConfigurationError)
    raise_problems(schema_problems(VENDORS_SCHEMA, data), "vendors config", path, VENDORS_SCHEMA, ConfigurationError)
    vendors: dict[str, dict[str, Any]] = data.get("vendors", {})
    return vendors


def resolve_vendor(name: str, vendors_file: Path | None) -> VendorSpec:
    """The vendor ``name`` from ``vendors_file`` (if any) or the adapter registry; a clear error otherwise."""
    vendors = read_vendors_file(vendors_file) if vendors_file is not None else {}
    known_adapters = adapter_names()
    if name in vendors:
        table = dict(vendors[name])
        adapter = table.pop("adapter", name)
        if not isinstance(adapter, str) or (adapter not in known_adapters and not _TARGET.match(adapter)):
            raise ConfigurationError(
                f"{vendors_file}: [vendors.{name}] adapter: " + unknown_adapter_message(str(adapter), known_adapters)
            )
        return VendorSpec(name, adapter, table, _transport_options(table))
    if name in known_adapters:
        return VendorSpec(name, name, {})
    where = f" (vendors in {vendors_file}: {', '.join(sorted(vendors)) or 'none'})" if vendors_file else ""
    raise ConfigurationError(
        unknown_adapter_message(name, sorted({*known_adapters, *vendors})).replace("vendor adapter", "vendor")
        + where
    )


def _transport_options(table: dict[str, Any]) -> dict[str, float]:
    """Take the transport keys out of ``table`` (they are not adapter options; the schema checked them)."""
    options: dict[str, float] = {name: float(table.pop(key)) for key, name in TRANSPORT_KEYS.items() if key in table}
    options.update({key: int(table.pop(key)) for key in ANSWER_CAP_KEYS if key in table})
    return options


def default_vendors_file(cwd: Path | None = None) -> Path | None:
    """``vendors.toml`` in the working directory, if there is one."""
    candidate = (cwd or Path.cwd()) / DEFAULT_FILE
    return candidate if candidate.is_file() else None
