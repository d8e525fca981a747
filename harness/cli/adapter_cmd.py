"""``platebench adapter``: list the adapters installed, and check one against the adapter contract."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.adapter_check import DEFAULT_TIMEOUT_S, check_adapter
from harness.redact import scrub
from harness.vendors_config import default_vendors_file, resolve_vendor
from vendor_adapters.registry import BUILTIN, adapter_targets


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``adapter list`` and ``adapter check``."""
    parser = subparsers.add_parser("adapter", help="list adapters, check one against the adapter contract")
    sub = parser.add_subparsers(dest="adapter_command", metavar="ACTION")
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])

    listing = sub.add_parser("list", help="adapters built in and installed through the platebench.adapters entry point")
    listing.set_defaults(handler=_list)

    check = sub.add_parser(
        "check",
        help="run an adapter on synthetic plates and check its output is normalized",
        description="Exercise adapter or vendor NAME on a few synthetic plate images and check the contract: "
        "plate text, confidence range, boxes inside the image, timing, error types. Exit 1 if a check fails.",
    )
    check.add_argument("name", metavar="NAME", help="a vendor in --vendors-config, or an adapter name")
    check.add_argument("--vendors-config", type=Path, default=None,
                       help="vendors.toml holding NAME's settings (default: ./vendors.toml if present)")
    check.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                       help=f"seconds allowed per call (default {DEFAULT_TIMEOUT_S:g})")
    check.set_defaults(handler=_check)


def _list(args: argparse.Namespace) -> int:
    for name, target in sorted(adapter_targets().items()):
        origin = "built-in" if name in BUILTIN else "plugin"
        print(f"{name:<18} {origin:<9} {target}")
    return 0


def _check(args: argparse.Namespace) -> int:
    vendors_file = args.vendors_config or default_vendors_file()
    spec = resolve_vendor(args.name, vendors_file)
    adapter = spec.create()  # remembers the vendor's credentials for scrub()
    with adapter:
        results, tally = check_adapter(adapter, timeout_s=args.timeout)
    width = max(len(r.name) for r in results)
    print(f"adapter check: {spec.name} (adapter {spec.adapter}, {type(adapter).__module__}.{type(adapter).__qualname__})")
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        print(f"  {mark}  {result.name:<{width}}  {scrub(result.detail)}")
    print(f"  {tally['images']} synthetic images: {tally['errors']} failed calls, {tally['reads']} reads, "
          f"{tally['exact']} plates read exactly (informational)")
    failed = [r for r in results if not r.passed]
    print(f"{len(results) - len(failed)}/{len(results)} checks passed" + (f"; {len(failed)} failed" if failed else ""))
    return 1 if failed else 0
