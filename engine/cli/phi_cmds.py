"""``rflow phi scan FILE``, ``rflow phi keygen``, ``rflow phi registry`` (and, from
:mod:`engine.cli.keyring_cmds`, ``rflow phi keyring`` and ``rflow phi crosswalk``).

Output holds counts, locations and keyed digests only; every error is one sanitized line on
stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.cli.keyring_cmds import add_parsers as add_keyring_parsers
from engine.core import exitcodes
from engine.core.display import shown, shown_error, shown_path
from engine.core.errors import InputFileError
from engine.core.inputfile import require_regular_file
from engine.phi.errors import PhiError
from engine.phi.keys import ENV_KEY_FILE, resolve_key, write_key_file
from engine.phi.labels import label_holds_phi, safe_column_names, safe_file_name
from engine.phi.native_match import regex_engine
from engine.phi.registry import load_registry

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = exitcodes.OK, exitcodes.FAILED, exitcodes.USAGE
DEFAULT_KEY_FILE = "rflow-phi.key"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``phi`` and its sub-commands on an argparse sub-parsers object."""
    phi = subparsers.add_parser("phi", help="scan files for PHI; make a digest key; list the PHI registry")
    phi.set_defaults(func=lambda args: _no_sub(phi))
    sub = phi.add_subparsers(dest="phi_command", metavar="SUBCOMMAND")

    scan = sub.add_parser("scan", help="scan a file; print a summary and hash-only findings")
    scan.add_argument("file", metavar="FILE", help="the file to scan: CSV, TSV, JSON Lines or plain text")
    scan.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    scan.add_argument(
        "--input-format", choices=("csv", "tsv", "jsonl", "text"), default=None,
        help="default: as rflow run's upload decides (suffix, then content)"
    )
    scan.add_argument("--delimiter", default="auto", metavar="CHAR",
                      help="CSV delimiter (default: detected among , ; tab |, as upload does)")
    scan.add_argument("--encoding", default="auto", metavar="CODEC",
                      help="text encoding, a Python codec name (default: detected: BOM, UTF-8, cp1252, latin-1)")
    scan.add_argument("--workers", type=_positive, default=1, help="processes (default 1)")
    scan.add_argument("--limit", type=_non_negative, default=100, help="findings to list (0: all; default 100)")
    scan.add_argument("--fail-on-findings", action="store_true", help="exit 1 when anything is found")
    scan.add_argument(
        "--phi-column",
        action="append",
        default=[],
        metavar="COLUMN=CATEGORY",
        help="override a column's classification (a category such as NAME, or none); repeatable",
    )
    scan.set_defaults(func=cmd_scan)

    keygen = sub.add_parser(
        "keygen", help="write a fresh digest key file (mode 0600) for RFLOW_PHI_KEY_FILE",
        description="Write 32 random bytes, hex-encoded, to a new file readable only by you (mode 0600), "
        "then point RFLOW_PHI_KEY_FILE at it. An existing file is kept unless --force.",
    )
    keygen.add_argument("-o", "--output", metavar="FILE", default=DEFAULT_KEY_FILE,
                        help=f"where to write the key (default: ./{DEFAULT_KEY_FILE})")
    keygen.add_argument("--force", action="store_true", help="replace an existing file")
    keygen.set_defaults(func=cmd_keygen)

    reg = sub.add_parser("registry", help="list the PHI categories of the canonical registry")
    reg.add_argument("--format", choices=("text", "json"), default="text",
                     help="text: a table of categories; json: the registry for programs")
    reg.set_defaults(func=cmd_registry)
    add_keyring_parsers(sub)
    return phi


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _no_sub(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _error(message: str) -> int:
    sys.stderr.write(f"rflow phi: error: {shown(message)}\n")
    return EXIT_USAGE


def _error_of(exc: BaseException) -> int:
    """A named error's message, as :func:`shown_error` shows it (a broken registry with its position)."""
    text = shown_error(exc)
    sys.stderr.write(f"rflow phi: error: {text.split(': ', 1)[-1]}\n")
    return EXIT_USAGE


def cmd_scan(args: argparse.Namespace) -> int:
    """Scan ``args.file``; exit 1 with --fail-on-findings when anything is found."""
    from engine.dataplane.sniff import TabularError, one_column_hint, sniff
    from engine.phi.cells import classify_table, scan_cells
    from engine.phi.columns import category_map, check_overrides, classify_file
    from engine.phi.scan.listed import scan_listed
    from engine.phi.scanner import scan_file

    try:
        engine_name = regex_engine()  # first: with the core loaded, every text of the scan uses it
        require_regular_file(args.file, shown_path(args.file))
        key = resolve_key()
        path = Path(args.file)
        if not path.is_file():
            return _error(f"no such file: {args.file}" if not path.exists() else f"not a regular file: {args.file}")
        table = sniff(path, declared=args.input_format or "auto", encoding=args.encoding, delimiter=args.delimiter)
        fmt = table.format
        hint = one_column_hint(path, table)
        if hint:
            sys.stderr.write(f"rflow phi: warning: {hint}\n")
        if table.encoding not in ("utf-8", "utf-8-sig", "binary") and args.encoding == "auto":
            sys.stderr.write(f"rflow phi: warning: the input is not UTF-8; read as {table.encoding}\n")
        # The byte scanner reads UTF-8 with ',' (csv) or tab (tsv); anything else is scanned cell by cell.
        native = (table.encoding in ("utf-8", "utf-8-sig") and table.has_header
                  and table.delimiter == {"csv": ",", "tsv": "\t"}.get(fmt, ""))
        if not table.has_header:
            sys.stderr.write("rflow phi: warning: the input has no header row (its first row looks like data); "
                             "columns are named col_1, col_2...\n")
        if fmt == "jsonl" and not native:
            return _error(f"a JSON Lines file must be UTF-8 (this one reads as {table.encoding})")
        by_cat: dict[str, int] = {}
        by_col: dict[str, int] = {}
        listed: list[dict[str, Any]] = []
        total = 0
        overrides = dict(item.partition("=")[::2] for item in args.phi_column)
        if any(not k or not v for k, v in overrides.items()):
            return _error("--phi-column takes COLUMN=CATEGORY")
        check_overrides(overrides)
        if native:
            classes = classify_file(args.file, fmt, overrides=overrides) if fmt in ("csv", "tsv") else []
        else:
            classes = classify_table(path, table, overrides)
        categories = category_map(classes) if classes else None
        # Header cells are shown only when they hold no PHI (checked whole), else as column_N.
        safe_names = dict(zip([c.column for c in classes], safe_column_names([c.column for c in classes]),
                              strict=True))
        shown_column = functools.partial(_shown_column, safe_names=safe_names)  # pickles, for --workers
        quick = (scan_listed(args.file, fmt, key, categories, shown_column, args.limit, args.workers)
                 if native else None)  # fmt: skip
        if quick is not None:  # counted by the core; only the listed findings read back
            counts, first = quick
            total = counts["findings_total"]
            by_cat = dict(counts["by_category"])
            for col, n in counts["by_column"].items():
                by_col[col or "<text>"] = by_col.get(col or "<text>", 0) + n
            listed = [{"category": f.category, "row": f.row, "column": f.column, "offset": f.offset,
                       "length": f.length, "digest": f.digest} for f in first]  # fmt: skip
        findings = (scan_file(args.file, fmt, key=key, workers=args.workers, categories=categories)  # type: ignore[arg-type]
                    if native else scan_cells(path, table, key, categories)) if quick is None else ()
        for f in findings:
            total += 1
            by_cat[f.category] = by_cat.get(f.category, 0) + 1
            col = _shown_column(f.column, safe_names) or "<text>"
            by_col[col] = by_col.get(col, 0) + 1
            if args.limit == 0 or len(listed) < args.limit:
                listed.append(
                    {
                        "category": f.category,
                        "row": f.row,
                        "column": _shown_column(f.column, safe_names),
                        "offset": f.offset,
                        "length": f.length,
                        "digest": f.digest,
                    }
                )
    except (PhiError, TabularError, InputFileError) as exc:
        return _error_of(exc)
    except ValueError as exc:  # an unknown override category; the message names the column and choices
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot read input: {exc.strerror or type(exc).__name__}")
    report = {
        "file": shown_path(path.with_name(safe_file_name(path.name))),
        "input_format": fmt,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "registry_version": load_registry().version,
        "regex_engine": engine_name,
        "key_source": key.source,
        "total": total,
        "by_category": dict(sorted(by_cat.items())),
        "by_column": dict(sorted(by_col.items())),
        "columns": [{**c.as_dict(), "column": safe_names[c.column]} for c in classes],
        "findings": listed,
        "findings_truncated": total > len(listed),
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(_text_report(report))
    return EXIT_FINDINGS if args.fail_on_findings and total else EXIT_OK


def _shown_column(column: str | None, safe_names: dict[str, str]) -> str | None:
    """A finding's column as reported: its safe header name (a JSON key path is checked whole too)."""
    if column is None:
        return None
    found = safe_names.get(column)
    if found is None:
        found = safe_names[column] = "[PHI:COLUMN]" if label_holds_phi(column) else shown(column)
    return found


def _text_report(report: dict[str, Any]) -> str:
    lines = [f"PHI scan of {report['file']} ({report['input_format']}): {report['total']} finding(s)"]
    if report["key_source"] == "random":
        lines.append("note: no RFLOW_PHI_KEY / RFLOW_PHI_KEY_FILE set; digests use a per-run random key "
                     "(make a key with: rflow phi keygen)")
    identifying = [c for c in report["columns"] if c["category"] is not None]
    if report["columns"]:
        lines.append("")
        if identifying:
            lines.append(f"{'column (classified)':<24}{'category':<14}{'confidence':>10}  {'evidence':<9}{'share':>7}")
            lines.extend(
                f"{shown(c['column'], limit=24):<24}{c['category']:<14}{c['confidence']:>10.2f}  {c['evidence']:<9}"
                f"{c['value_share']:>7.2f}"
                for c in identifying
            )
        else:
            lines.append("columns: none classified as identifying")
    if report["by_category"]:
        lines.append("")
        lines.append(f"{'category':<14}{'count':>10}")
        lines.extend(f"{k:<14}{v:>10}" for k, v in report["by_category"].items())
        lines.append("")
        lines.append(f"{'column':<24}{'count':>10}")
        lines.extend(f"{k[:24]:<24}{v:>10}" for k, v in report["by_column"].items())
    if report["findings"]:
        lines.append("")
        lines.append(f"{'category':<13}{'row':>8}  {'column':<18}{'offset':>12}{'len':>5}  digest (HMAC-SHA-256)")
        for f in report["findings"]:
            row = "" if f["row"] is None else str(f["row"])
            col = "" if f["column"] is None else f["column"][:18]
            off = "" if f["offset"] is None else str(f["offset"])
            lines.append(f"{f['category']:<13}{row:>8}  {col:<18}{off:>12}{f['length']:>5}  {f['digest']}")
        if report["findings_truncated"]:
            lines.append(f"... {report['total'] - len(report['findings'])} more (use --limit 0 to list all)")
    return "\n".join(lines) + "\n"


def cmd_keygen(args: argparse.Namespace) -> int:
    """Write a fresh key file with mode 0600; refuse to replace one without --force."""

    try:
        path = write_key_file(args.output, force=args.force)
    except FileExistsError:
        return _error(f"{shown_path(args.output)} exists; use --force to replace it")
    except OSError as exc:
        return _error(f"cannot write {shown_path(args.output)}: {exc.strerror or type(exc).__name__}")
    where = shown_path(os.path.abspath(path))
    sys.stdout.write(f"wrote a new PHI digest key to {where} (mode 0600)\n"
                     f"use it with: export {ENV_KEY_FILE}={where}\n")
    return EXIT_OK


def cmd_registry(args: argparse.Namespace) -> int:
    """List the categories of the canonical registry."""

    try:
        registry = load_registry()
    except PhiError as exc:
        return _error_of(exc)
    rows: list[dict[str, Any]] = []
    for cat in registry.categories:
        tiers = sorted({p.tier for p in registry.guard.patterns if p.category.name == cat.name})
        rows.append(
            {
                "name": cat.name,
                "safe_harbor": cat.letter,
                "identifier": cat.identifier,
                "token": cat.token,
                "confidence": cat.confidence,
                "tiers": tiers,
                "labelled": cat.labelled,
                "description": cat.description,
            }
        )
    if args.format == "json":
        sys.stdout.write(json.dumps({"version": registry.version, "categories": rows}, indent=2) + "\n")
        return EXIT_OK
    out = [f"PHI registry {registry.version}: {len(rows)} categories", ""]
    out.append(f"{'name':<13}{'SH':<5}{'conf':>5}  {'tiers':<12}{'token':<20}identifier")
    for r in rows:
        out.append(
            f"{r['name']:<13}{r['safe_harbor']:<5}{r['confidence']:>5.2f}  {','.join(r['tiers']):<12}"
            f"{r['token']:<20}{r['identifier']}{' (labelled)' if r['labelled'] else ''}"
        )
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rflow phi: error: {shown(message)}\n")
        raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: ``main(["phi", "scan", FILE])`` or ``main(["scan", FILE])``."""
    parser = _Parser(prog="rflow")
    subs = parser.add_subparsers(dest="command", parser_class=_Parser)
    add_parser(subs)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] != "phi":
        args_list = ["phi", *args_list]
    args = parser.parse_args(args_list)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        sys.stderr.write("rflow phi: interrupted\n")
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback: type only, the message may quote input
        return _error(f"internal error ({type(exc).__name__})")
