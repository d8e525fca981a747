"""``platebench serve-reference``: run the reference vendor server in the foreground."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sqlite3
import sys
from pathlib import Path

from harness.errors import UserError

LOOPBACK_NAMES = {"localhost"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from harness.reference_server.flaws import FLAWS, RECOGNITION_FLAWS

    parser = subparsers.add_parser(
        "serve-reference",
        help="run the reference vendor server (the RFP evaluation API, optionally with flaws)",
        description="Run the reference vendor server: the whole RFP evaluation API over SQLite, on loopback "
                    "by default. Flaws inject one privacy violation each (see docs/reference-server.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    parser.add_argument("--flaw", action="append", default=[], metavar="NAME",
                        help=f"inject a flaw (repeatable): {', '.join([*FLAWS, *RECOGNITION_FLAWS])}")
    parser.add_argument("--published", type=Path, metavar="MANIFEST",
                        help="the published corpus copy the memorize-public flaw learnt (platebench corpus publish)")
    parser.add_argument("--engine", default="reference", metavar="ADAPTER",
                        help="the in-process adapter whose recognizer POST /v1/recognize serves (default reference; "
                             "e.g. simplelpr)")
    parser.add_argument("--db", default=":memory:", help="SQLite file to keep the sandbox in (default: in memory)")
    parser.add_argument("--admin-token-env", metavar="VAR",
                        help="environment variable holding the home admin's bootstrap token "
                             "(default: generate one and print it once to stderr)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host (the sandbox has no TLS and holds canary data)")
    parser.set_defaults(handler=serve)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names the loopback interface."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _admin_token(var: str | None) -> tuple[str, bool]:
    if var is None:
        return secrets.token_urlsafe(32), True
    token = os.environ.get(var, "")
    if len(token) < 16:
        raise UserError(f"--admin-token-env {var}: the variable is unset or shorter than 16 characters")
    return token, False


def _engine(name: str) -> str:
    """``name`` if it is an in-process adapter (what the server can run itself); a clear error otherwise."""
    from vendor_adapters.registry import load_adapter_class

    kind = load_adapter_class(name).capabilities.kind
    if kind != "in-process":
        raise UserError(f"--engine {name}: a {kind} adapter; the server runs an in-process recognizer (e.g. reference)")
    return name


def serve(args: argparse.Namespace) -> int:
    """Run uvicorn until interrupted."""
    import uvicorn

    from harness.reference_server.app import create_app
    from harness.reference_server.flaws import parse_flaws
    from harness.reference_server.store import Store

    if not is_loopback(args.host) and not args.allow_remote:
        raise UserError(f"--host {args.host} is not a loopback address; the reference server speaks plain HTTP "
                        "and hands out bearer tokens, so it only listens beyond this machine with --allow-remote")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: must be 0-65535")
    flaws = parse_flaws(args.flaw)
    token, generated = _admin_token(args.admin_token_env)
    try:
        store = Store(args.db)
    except sqlite3.Error as exc:
        raise UserError(f"--db {args.db}: cannot open the SQLite database ({exc})") from None
    from harness.reference_server.launcher import published_labels

    if "memorize-public" in flaws and args.published is None:
        raise UserError("--flaw memorize-public needs --published MANIFEST (the copy it learnt)")
    app = create_app(store, token, flaws, published=published_labels(args.published) if args.published else None,
                     engine=_engine(args.engine))
    if generated:
        print(f"home admin bootstrap token (shown once): {token}", file=sys.stderr)
    print(f"reference server on http://{args.host}:{args.port} flaws: {', '.join(sorted(flaws)) or 'none'}",
          file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    finally:
        store.close()
    return 0
