"""``rflow stages list|show``: what stages are installed."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.cli.parsing import UsageError, action, action_group
from engine.core import exitcodes
from engine.core.display import shown
from engine.core.errors import UnknownStageError


def add_parser(sub: Any) -> None:
    ssub = action_group(sub, "stages", "list the registered stages", dest="stages_command")
    lst = action(ssub, "list", "every stage with id, key, version, reads, writes, modes", _list)
    lst.add_argument("--format", choices=("text", "json"), default="text",
                     help="text: an aligned table (optional reads marked ?); json: a list for programs")
    show = action(ssub, "show", "one stage, with its config schema", _show)
    show.add_argument("stage", help="stage key or numeric id")


def describe(stage: Any) -> dict[str, Any]:
    from engine.core.components import component_name
    from engine.core.stage_config import schema_for_config

    return {
        "id": stage.stage_id,
        "key": stage.key,
        "name": stage.stage_name,
        "version": stage.version,
        "module": stage.__module__,
        "reads": [component_name(t) for t in stage.reads],
        "optional_reads": [component_name(t) for t in stage.optional_reads],
        "writes": [component_name(t) for t in stage.writes],
        "modes": list(stage.modes),
        "config_schema": schema_for_config(stage.Config),
    }


def _list(args: argparse.Namespace) -> int:
    from engine.plugins import default_registry

    stages = [describe(s) for s in default_registry.list()]
    for err in default_registry.plugin_errors:
        sys.stderr.write(f"rflow: warning: {shown(err)}\n")
    if args.format == "json":
        for s in stages:
            s.pop("config_schema")
        json.dump(stages, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return exitcodes.OK
    rows = [
        tuple(shown(cell, limit=200) for cell in (
            str(s["id"]), s["key"], s["version"], _reads(s) or "-",
            ",".join(s["writes"]) or "-",
            ",".join(s["modes"]), s["name"]))
        for s in stages
    ]
    header = ("ID", "KEY", "VERSION", "READS", "WRITES", "MODES", "NAME")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    if any(s["optional_reads"] for s in stages):
        sys.stdout.write("\nREADS ending in ?: optional, used when an earlier step writes them\n")
    return exitcodes.OK


def _reads(stage: dict[str, Any]) -> str:
    """The READS cell: required reads, then optional ones marked ``?``."""
    return ",".join([*stage["reads"], *(f"{name}?" for name in stage["optional_reads"])])


def _show(args: argparse.Namespace) -> int:
    from engine.plugins import default_registry

    try:
        stage = default_registry.get(args.stage)
    except UnknownStageError as exc:
        raise UsageError(str(exc)) from exc
    json.dump(describe(stage), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return exitcodes.OK
