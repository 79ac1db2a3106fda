"""``rflow completion bash|zsh|fish``: the shell code that makes Tab complete rflow's commands and options.

Completion itself is argcomplete's: the shell calls ``rflow`` with ``_ARGCOMPLETE`` set, and
:func:`engine.cli.main` answers from the full parser instead of running a command.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.core import exitcodes

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub: Any) -> None:
    comp = sub.add_parser(
        "completion", help="print the shell code for Tab completion (bash, zsh, fish)",
        description="Print the code that makes your shell complete rflow's commands, options and file "
                    "names on Tab. Load it from your shell's start-up file (see the examples), then open a "
                    "new shell.")
    comp.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    comp.set_defaults(func=_completion)


def _completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["rflow"], shell=args.shell))
    return exitcodes.OK


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (``_ARGCOMPLETE`` set) and exit; a no-op otherwise."""
    import argcomplete

    argcomplete.autocomplete(parser, exit_method=sys.exit)
