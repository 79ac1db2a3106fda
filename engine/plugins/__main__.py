"""``python -m engine.plugins PACKAGE [--check]``: write or check a plugin package's stage cards."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from engine.core import exitcodes
from engine.plugins import StageRegistry
from engine.plugins.cards import CARD_FILE, cards_document, render


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the card file of a package from its registered stages."""

    parser = argparse.ArgumentParser(prog="python -m engine.plugins", description=main.__doc__)
    parser.add_argument("package", help="the top-level package whose stages' entry points get cards (stages)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped file differs")
    args = parser.parse_args(argv)
    registry = StageRegistry()
    classes = [cls for cls in registry.list() if cls.__module__.split(".")[0] == args.package]
    text = render(cards_document(classes))
    module = importlib.import_module(args.package)
    target = Path(getattr(module, "__file__", "") or ".").parent / CARD_FILE
    if args.check:
        current = target.read_text("utf-8") if target.exists() else ""
        if current != text:
            print(f"{target}: stale; regenerate with python -m engine.plugins {args.package}", file=sys.stderr)
            return exitcodes.FAILED
        return exitcodes.OK
    target.write_text(text, "utf-8")
    print(f"{target}: {len(classes)} stage card(s)")
    return exitcodes.OK


if __name__ == "__main__":
    raise SystemExit(main())
