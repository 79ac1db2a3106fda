"""The ``rflow`` command line: one sub-command module per area, imported only when used.

Every failure reaches the user as one sanitized line and an exit code (2 for usage and I/O
errors), never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command modules; each exposes add_parser(subparsers). Kept light at import time.
COMMAND_MODULES = (
    "engine.cli.stages_cmd",
    "engine.phi.cli",
    "engine.cli.run_cmd",
    "engine.cli.audit_cmd",
    "engine.cli.manifest_cmds",
    "engine.cli.manifest_edit_cmds",
)


# Which module defines a top-level command, so that one invocation imports only what it uses.
# A command missing here still works: the parser then imports every module.
COMMAND_INDEX = {
    "stages": "engine.cli.stages_cmd",
    "phi": "engine.phi.cli",
    "run": "engine.cli.run_cmd",
    "audit": "engine.cli.audit_cmd",
    "runs": "engine.cli.audit_cmd",
    "validate": "engine.cli.manifest_cmds",
    "plan": "engine.cli.manifest_cmds",
    "schema": "engine.cli.manifest_cmds",
}


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rflow: error: {message}\n")
        raise SystemExit(2)


def _first_command(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The full parser, or, when ``argv`` names a known command, only that command's module."""
    from engine import __version__

    parser = _Parser(prog="rflow", description="Governed stage engine for clinical-research data.")
    parser.add_argument("--version", action="version", version=f"rflow {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine events to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    command = _first_command(argv)
    wanted = COMMAND_INDEX.get(command or "")
    modules = [wanted] if wanted in COMMAND_MODULES else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from engine.errors import safe_error_text

    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
    if getattr(args, "verbose", False):
        import logging

        from engine.phi import install_log_filter

        handler = logging.StreamHandler(sys.stderr)
        install_log_filter(handler)
        logging.getLogger("rflow").addHandler(handler)
        logging.getLogger("rflow").setLevel(logging.INFO)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except UsageError as exc:
        sys.stderr.write(f"rflow: error: {safe_error_text(exc).split(': ', 1)[-1]}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("rflow: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        sys.stderr.write(f"rflow: error: {safe_error_text(exc)}\n")
        return 2
    except Exception as exc:
        sys.stderr.write(f"rflow: internal error: {safe_error_text(exc)}\n")
        return 2
