"""``rflow validate``, ``rflow plan`` and ``rflow schema export``: manifests in CI and editors.

Exit codes: 0 clean, 1 problems found (errors, or warnings with ``--strict``), 2 usage or I/O
errors (a path that does not exist, an unreadable file, a bad option).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine.cli.parsing import UsageError, action, action_group
from engine.core import exitcodes
from engine.core.atomic import write_text_atomic
from engine.core.display import display_name, shown
from engine.core.errors import safe_excerpt

DEFAULT_DIR = "manifests"
PARALLEL_MIN_FILES = 24
"""Below this many files a process pool costs more than it saves."""
MAX_AUTO_JOBS = 4
_SUFFIXES = (".yaml", ".yml")


def add_parser(sub: Any) -> None:
    val = sub.add_parser(
        "validate", help="check manifests: YAML, schema and semantics, with file:line:col diagnostics",
        description="Validate pipeline manifests. PATHs are files, directories (searched recursively for "
        "*.yaml/*.yml) or glob patterns; default: manifests/. Exit 0 clean, 1 problems, 2 usage/I/O errors.",
    )
    val.add_argument("paths", nargs="*", metavar="PATH", help="files, directories or globs (default: manifests/)")
    val.add_argument("--format", choices=("text", "json", "github"), default="text", help="output format")
    val.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    val.add_argument("--max-bytes", type=int, default=None, metavar="N", help="size cap per file (default 1 MiB)")
    val.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    val.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                     help=f"validate in N processes (default: one per CPU, up to {MAX_AUTO_JOBS}, "
                     f"when there are at least {PARALLEL_MIN_FILES} files)")
    val.set_defaults(func=_validate)

    pl = sub.add_parser("plan", help="show the ordered steps a mode would run (nothing runs)")
    pl.add_argument("manifest", metavar="MANIFEST", help="the pipeline manifest (YAML) to plan")
    pl.add_argument("--mode", default=None, help="governance mode (default: the manifest's default_mode)")
    pl.add_argument("--format", choices=("text", "json", "mermaid", "dot"), default="text",
                    help="text (default); json (the plan and the pipeline graph); mermaid or dot: the pipeline "
                         "graph of every step, the components it reads and writes, and the modes that run it")
    pl.set_defaults(func=_plan)

    ssub = action_group(sub, "schema", "JSON Schemas for editors and external validators", dest="schema_command")
    exp = action(ssub, "export", "the manifest schema with every stage's config schema bundled in", _schema_export)
    exp.add_argument("--out", "-o", default=None, metavar="FILE", help="write here instead of stdout")
    exp.add_argument("--plain", action="store_true", help="the base schema, without stage configs")


def expand_paths(patterns: list[str]) -> list[Path]:
    """Files named by ``patterns`` (files, dirs searched recursively, globs), sorted, unique.

    Raises ``UsageError`` for a pattern that matches nothing.
    """

    found: dict[str, Path] = {}
    for pattern in patterns:
        matches: list[Path]
        if any(ch in pattern for ch in "*?["):
            matches = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))]
        else:
            matches = [Path(pattern)] if os.path.lexists(pattern) else []
        if not matches:
            raise UsageError(f"no such file, directory or match: {safe_excerpt(pattern, 200)}")
        for match in matches:
            if match.is_dir():
                for root, dirs, files in os.walk(match):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for fname in sorted(files):
                        if fname.endswith(_SUFFIXES):
                            path = Path(root) / fname
                            found.setdefault(str(path), path)
            else:
                found.setdefault(str(match), match)
    return list(found.values())


def _validate(args: argparse.Namespace) -> int:
    from engine.manifest.diagnostics import RENDERERS, has_errors, summary_line
    from engine.manifest.loader import DEFAULT_MAX_BYTES

    patterns = args.paths or [DEFAULT_DIR]
    files = expand_paths(patterns)
    max_bytes = args.max_bytes if args.max_bytes and args.max_bytes > 0 else DEFAULT_MAX_BYTES
    everything = []
    io_error = False
    for diagnostics in _analyze_all(files, max_bytes, args.jobs):
        io_error = io_error or any(d.code == "RF100" for d in diagnostics)
        everything.extend(diagnostics)
    out = RENDERERS[args.format](everything)
    sys.stdout.write(out)
    if args.format == "text" and not args.quiet:
        stream = sys.stdout if everything else sys.stderr
        stream.write(summary_line(everything, len(files)) + "\n")
    if io_error:
        return exitcodes.USAGE
    return exitcodes.FAILED if has_errors(everything, strict=args.strict) else exitcodes.OK


def _analyze_one(item: tuple[str, int]) -> list[Any]:
    """One file's diagnostics; whatever goes wrong is this file's RF119, never the whole command's.

    Why in process: a try around each file isolates it at no cost, where a process per file would
    multiply validate's wall time in CI.
    """
    from engine.manifest import Diagnostic, analyze

    path, max_bytes = item
    try:
        return analyze(Path(path), name=path, max_bytes=max_bytes).diagnostics
    except Exception as exc:  # a bug must not hide the other files' results
        return [Diagnostic(display_name(path), 0, 0, "RF119",
                           f"the file could not be checked (internal error: {type(exc).__name__})",
                           hint="the other files were checked; please report this file's shape as a bug")]


def _analyze_all(files: list[Path], max_bytes: int, jobs: int) -> list[list[Any]]:
    """Diagnostics per file, in file order; large batches in forked processes (:mod:`engine.core.pool`).

    Why processes: YAML parsing is pure Python and takes most of the time per file; forked
    workers (which inherit the already imported registry and validators) scale it by cores.
    Where fork is unavailable, or for few files, it stays in this process.
    """
    from engine.core.pool import can_fork, cpu_count, ordered_map

    items = [(str(p), max_bytes) for p in files]
    if jobs <= 0:
        jobs = min(cpu_count(), MAX_AUTO_JOBS) if len(items) >= PARALLEL_MIN_FILES else 1
    jobs = min(jobs, len(items))
    if jobs <= 1 or not can_fork():
        return [_analyze_one(item) for item in items]
    # The first file is done here, before forking, so every worker inherits the imported stages,
    # schema and compiled validators instead of loading them again.
    first = _analyze_one(items[0])
    return [first, *ordered_map(_analyze_one, items[1:], jobs, chunksize=max(1, len(items) // (jobs * 4)),
                                    in_process=True)]


def _plan(args: argparse.Namespace) -> int:
    from engine.manifest import ManifestError, UnknownModeError, load_manifest, plan, render_text

    try:
        manifest = load_manifest(Path(args.manifest), name=args.manifest)
        the_plan = plan(manifest, args.mode)
    except UnknownModeError as exc:

        first = exc.diagnostics[0]
        raise UsageError(f"{first.message}; {first.hint}") from None
    except ManifestError as exc:
        if any(d.code == "RF100" for d in exc.diagnostics):

            raise UsageError(f"{safe_excerpt(args.manifest, 200)}: {exc.diagnostics[0].message}") from None
        sys.stderr.write(render_text(exc.diagnostics))
        sys.stderr.write("rflow: the manifest is invalid; no plan\n")
        return exitcodes.FAILED
    if args.format in ("json", "mermaid", "dot"):
        from engine.reporting.graph import build_graph, graph_document

        sys.stdout.write(graph_document(the_plan, build_graph(manifest), args.format))
    else:
        sys.stdout.write("".join(shown(line, 2000) + "\n" for line in the_plan.render_text().splitlines()))
    return exitcodes.OK


def _schema_export(args: argparse.Namespace) -> int:
    from engine.manifest.schema import bundled_schema, load_schema

    schema = load_schema() if args.plain else bundled_schema()
    text = json.dumps(schema, indent=2) + "\n"
    if args.out:

        write_text_atomic(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return exitcodes.OK
