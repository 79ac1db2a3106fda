"""The ``rflow`` command line: one sub-command module per area, imported only when used.

Every failure reaches the user as one sanitized line and an exit code from
:mod:`engine.core.exitcodes` (2 for usage and input errors), never as a traceback. Every echoed path,
id and value goes through :func:`engine.core.display.shown`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence

from engine import __version__
from engine.cli.examples import COMMAND_GROUPS, EXAMPLES, TOP
from engine.cli.parsing import UsageError
from engine.core import exitcodes
from engine.core.display import shown, shown_error
from engine.core.errors import RflowError

# Sub-command modules; each exposes add_parser(subparsers). Kept light at import time.
COMMAND_MODULES = (
    "engine.cli.stages_cmd",
    "engine.cli.phi_cmds",
    "engine.cli.run_cmd",
    "engine.cli.audit_cmd",
    "engine.cli.runs_cmd",
    "engine.cli.manifest_cmds",
    "engine.cli.manifest_edit_cmds",
    "engine.cli.report_cmd",
    "engine.cli.completion_cmd",
)


# Which module defines a top-level command, so that one invocation imports only what it uses.
# A command missing here still works: the parser then imports every module.
COMMAND_INDEX = {
    "stages": "engine.cli.stages_cmd",
    "phi": "engine.cli.phi_cmds",
    "run": "engine.cli.run_cmd",
    "audit": "engine.cli.audit_cmd",
    "runs": "engine.cli.runs_cmd",
    "validate": "engine.cli.manifest_cmds",
    "plan": "engine.cli.manifest_cmds",
    "schema": "engine.cli.manifest_cmds",
    "report": "engine.cli.report_cmd",
    "manifest": "engine.cli.manifest_edit_cmds",
    "completion": "engine.cli.completion_cmd",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]

        self.print_usage(sys.stderr)
        sys.stderr.write(f"rflow: error: {shown(message)}\n")
        raise SystemExit(exitcodes.USAGE)

    def format_help(self) -> str:
        """argparse's help, with the epilog (the examples) kept as written instead of re-wrapped."""
        epilog, self.epilog = self.epilog, None
        try:
            text = super().format_help()
        finally:
            self.epilog = epilog
        return text + (f"\n{epilog.rstrip()}\n" if epilog else "")


class _TopParser(_Parser):
    """``rflow --help``: the commands grouped by task (:data:`engine.cli.examples.COMMAND_GROUPS`)."""

    def format_help(self) -> str:
        helps: dict[str, str] = {}
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups)
        formatter.add_text(self.description)
        grouped = {name for _, names in COMMAND_GROUPS for name in names}
        groups = [*COMMAND_GROUPS, ("other commands", tuple(sorted(set(helps) - grouped)))]
        for title, names in groups:
            present = [name for name in names if name in helps]
            if not present:
                continue
            formatter.start_section(title)
            for name in present:
                formatter.add_argument(argparse.Action([], dest=name, metavar=name, help=helps[name]))
            formatter.end_section()
        formatter.start_section(self._optionals.title)
        formatter.add_arguments(self._optionals._group_actions)
        formatter.end_section()
        text = formatter.format_help()
        return text + (f"\n{self.epilog.rstrip()}\n" if self.epilog else "")


def walk_commands(parser: argparse.ArgumentParser, path: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser under ``parser`` with its command path (``"manifest mode add"``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                child_path = f"{path} {name}".strip()
                yield child_path, child
                yield from walk_commands(child, child_path)


def _attach_examples(parser: argparse.ArgumentParser) -> None:
    for path, child in walk_commands(parser):
        examples = EXAMPLES.get(path)
        if examples and not child.epilog:
            child.epilog = f"examples:\n{examples}"


def _first_command(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The full parser, or, when ``argv`` names a known command, only that command's module."""

    parser = _TopParser(prog="rflow", description="Governed stage engine for clinical-research data: run "
                        "versioned pipelines of stages on study exports, with PHI kept in.", epilog=TOP)
    parser.add_argument("--version", action="version", version=f"rflow {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine events to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    command = _first_command(argv)
    wanted = COMMAND_INDEX.get(command or "")
    modules = [wanted] if wanted in COMMAND_MODULES else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).add_parser(sub)
    _attach_examples(parser)
    return parser


def _robust_streams() -> None:
    """Never fail on printing: a character the terminal's encoding lacks is written escaped."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or unusual stream: leave it
                reconfigure(errors="backslashreplace")


def _error_line(prefix: str, exc: BaseException, *, with_type: bool) -> str:
    text = shown_error(exc)
    if not with_type:
        text = text.split(": ", 1)[-1] if ": " in text else ""
    return f"{prefix}{text or type(exc).__name__}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``rflow`` command; the return value is its exit code."""

    _robust_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks what Tab completes to: answer from the full parser
        from engine.cli.completion_cmd import complete

        complete(build_parser())
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
        return exitcodes.USAGE
    try:
        return int(func(args))
    except (UsageError, RflowError) as exc:  # named errors: the user can act on their message
        sys.stderr.write(_error_line("rflow: error: ", exc, with_type=False))
        return exitcodes.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("rflow: interrupted\n")
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        return exitcodes.OK
    except OSError as exc:
        sys.stderr.write(_error_line("rflow: error: ", exc, with_type=True))
        return exitcodes.USAGE
    except Exception as exc:  # a bug: one sanitized line naming the class, never a traceback
        sys.stderr.write(_error_line("rflow: internal error: ", exc, with_type=True))
        return exitcodes.USAGE
