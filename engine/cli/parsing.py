"""The argparse scaffolding every command family shares: ``rflow NAME ACTION ...``.

Why one place: each family (``audit``, ``manifest``, ``phi keyring``, ``schema``, ``stages``)
registered its parser, its required ``ACTION`` subparsers and each action's handler by the
same half-dozen lines; the rule (an action is required, named ACTION in the usage line, and
names the function that runs it) now has one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


def action_group(sub: Any, name: str, help: str, *, dest: str, description: str | None = None) -> Any:
    """Register command ``name`` whose actions are subcommands (one required); its subparsers."""
    parser = sub.add_parser(name, help=help, description=description)
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=True)


def action(sub: Any, name: str, help: str, func: Callable[..., Any], **kwargs: Any) -> Any:
    """Register action ``name`` run by ``func``; its parser, to add arguments to."""
    parser = sub.add_parser(name, help=help, **kwargs)
    parser.set_defaults(func=func)
    return parser
