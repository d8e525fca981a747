"""``platebench corpus``: validate, describe, generate and import labeled corpora."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.corpus.manifest import MANIFEST_NAME, write_manifest
from harness.corpus.model import Corpus, CorpusError
from harness.corpus.synth import DEFAULT_N, DEFAULT_SEED, progress_lines, synth_corpus
from harness.corpus.validate import load_corpus
from harness.errors import UserError


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _load(path: str) -> Corpus | None:
    """Load and validate, printing the full problem report (and returning None) when invalid."""
    try:
        return load_corpus(path)
    except CorpusError as exc:
        console = _console()
        console.print(f"invalid corpus {path}: {len(exc.problems)} problem(s)", markup=False)
        for problem in exc.problems:
            console.print(f"  - {problem}", markup=False)
        return None


def _validate(args: argparse.Namespace) -> int:
    corpus = _load(args.path)
    if corpus is None:
        return 1
    _console().print(
        f"valid: {len(corpus)} samples, corpus sha256 {corpus.manifest_sha256} ({corpus.format}: {corpus.name})",
        markup=False,
    )
    return 0


def _histogram_table(title: str, column: str, counts: Counter[str] | Counter[int], total: int) -> Table:
    table = Table(title=title)
    table.add_column(column)
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for key in sorted(counts):
        table.add_row(str(key), str(counts[key]), f"{counts[key] / total:.1%}")
    return table


def _stats(args: argparse.Namespace) -> int:
    corpus = _load(args.path)
    if corpus is None:
        return 1
    plates = [p for s in corpus for p in s.plates]
    console = _console()
    console.print(
        f"{corpus.name} ({corpus.format}): {len(corpus)} samples, {len(plates)} plates, "
        f"corpus sha256 {corpus.manifest_sha256}",
        markup=False,
    )
    tags = Counter(f"{k}={v}" for s in corpus for k, v in s.tags.items())
    tag_table = Table(title="samples by tag")
    tag_table.add_column("tag")
    tag_table.add_column("value")
    tag_table.add_column("samples", justify="right")
    for key in sorted(tags):
        name, value = key.split("=", 1)
        tag_table.add_row(name, value, str(tags[key]))
    console.print(tag_table)
    jurisdictions = Counter(p.jurisdiction or "(none)" for p in plates)
    console.print(_histogram_table("plates by jurisdiction", "jurisdiction", jurisdictions, len(plates)))
    console.print(
        _histogram_table("plate length", "characters", Counter(len(p.text) for p in plates), len(plates))
    )
    characters = Counter(c for p in plates for c in p.text)
    console.print(
        _histogram_table("characters (all plates)", "character", characters, sum(characters.values()))
    )
    return 0


def _synth(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise UserError("--n must be at least 1")
    out = Path(args.out)
    if (out / MANIFEST_NAME).exists() and not args.force:
        raise UserError(f"{out / MANIFEST_NAME} exists; pass --force to overwrite")
    try:
        manifest = synth_corpus(out, n=args.n, seed=args.seed, progress=progress_lines(sys.stderr))
    except OSError as exc:
        raise UserError(f"cannot write the corpus to {out}: {exc.strerror or exc}") from exc
    corpus = load_corpus(manifest)
    _console().print(
        f"wrote {len(corpus)} samples to {out} (seed {args.seed}), corpus sha256 {corpus.manifest_sha256}",
        markup=False,
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    corpus = _load(args.source)
    if corpus is None:
        return 1
    if corpus.format == "manifest":
        raise UserError(f"{args.source} is already a platebench manifest")
    out = Path(args.out)
    manifest = out / MANIFEST_NAME
    if manifest.exists() and not args.force:
        raise UserError(f"{manifest} exists; pass --force to overwrite")
    header = {
        "name": args.name or corpus.name,
        "description": f"Imported from {corpus.format} labels; images are referenced in place, not copied.",
    }
    if args.license:
        header["license"] = args.license
    try:
        write_manifest(manifest, header, corpus.samples)
    except OSError as exc:
        raise UserError(f"cannot write {manifest}: {exc.strerror or exc}") from exc
    _console().print(
        f"wrote {manifest}: {len(corpus)} samples, corpus sha256 {corpus.manifest_sha256} (unchanged by import)",
        markup=False,
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``platebench corpus ...``."""
    corpus = subparsers.add_parser("corpus", help="validate, describe, generate or import a labeled corpus")
    commands = corpus.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND")
    corpus.set_defaults(handler=lambda _args: corpus.print_help() or 2)

    validate = commands.add_parser(
        "validate", help="check every label and image; print all problems (exit 1) or the corpus identity"
    )
    validate.add_argument(
        "path", help="corpus folder (manifest.jsonl or OpenALPR layout), manifest or CSV file"
    )
    validate.set_defaults(handler=_validate)

    stats = commands.add_parser("stats", help="counts by tag, plate-length and character histograms")
    stats.add_argument("path", help="corpus folder, manifest or CSV file")
    stats.set_defaults(handler=_stats)

    synth = commands.add_parser("synth", help="generate the deterministic synthetic corpus")
    synth.add_argument("--out", required=True, help="folder to write images/ and manifest.jsonl into")
    synth.add_argument("--n", type=int, default=DEFAULT_N, help=f"number of samples (default {DEFAULT_N})")
    synth.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    synth.add_argument("--force", action="store_true", help="overwrite an existing manifest in --out")
    synth.set_defaults(handler=_synth)

    imp = commands.add_parser(
        "import",
        help="write a platebench manifest for an OpenALPR folder or CSV (images stay where they are)",
    )
    imp.add_argument("--from", dest="source", required=True, help="OpenALPR folder or labels CSV")
    imp.add_argument(
        "--out", required=True, help="folder for manifest.jsonl (image paths are written relative to it)"
    )
    imp.add_argument("--name", help="corpus name for the manifest header")
    imp.add_argument("--license", help="licence of the images (SPDX id or text) for the header")
    imp.add_argument("--force", action="store_true", help="overwrite an existing manifest in --out")
    imp.set_defaults(handler=_import)

    publish = commands.add_parser(
        "publish", help="write the published copy of a corpus: its public images, some labels altered as canaries"
    )
    publish.add_argument("path", help="the city's corpus (folder, manifest or CSV)")
    publish.add_argument("--out", required=True, help="folder for the published manifest.jsonl")
    publish.add_argument("--seed", type=int, required=True,
                         help="the secret canary seed (keep it; give it to runs as --canary-seed)")
    publish.set_defaults(handler=_publish)


def _publish(args: argparse.Namespace) -> int:
    """Handler of ``platebench corpus publish``."""
    from harness.probes.canaries import CANARIES, write_published_copy

    corpus = _load(args.path)
    if corpus is None:
        return 1
    path = write_published_copy(corpus, args.seed, Path(args.out))
    print(f"wrote {path}: the public images, {CANARIES} labels altered as canaries (seed kept secret: pass it to "
          "platebench run --probes --canary-seed)")
    return 0
