"""The data sections of the HTML report: PHI findings, data quality, de-identification (counts only).

A step is recognised by what its output holds, not by its stage name, so a plugin stage reporting
the same shape is shown the same way. No value from the data is ever read: PHI findings files hold
categories, columns and positions, and only those are counted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.reporting import charts
from engine.reporting.values import count, items, mapping, number, status_class, text

MAX_FINDINGS_LINES = 2_000_000
"""Cross-tabulating an old report's findings file stops here (the marginal counts stay exact)."""


def _inputs(step: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    found = mapping(mapping(step.get("output")).get("inputs"))
    return [(text(name, 64), mapping(value)) for name, value in found.items()]


def _crosstab_from_file(run_dir: Path, relative: Any) -> Counter[tuple[str, str]] | None:
    """``(column, category)`` counts from a findings JSONL in the run folder (phi_scan's output
    does not hold them; older reports neither)."""
    if not isinstance(relative, str):
        return None
    path = (run_dir / relative).resolve()
    if not path.is_relative_to(run_dir.resolve()) or not path.is_file():
        return None
    from engine.phi.scan.findings_file import FindingsError, crosstab

    try:
        return crosstab(path, MAX_FINDINGS_LINES)
    except (OSError, UnicodeDecodeError, FindingsError):
        return None


def _heat_table(cross: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    categories = sorted({c for _, c in cross})
    columns = sorted({col for col, _ in cross})
    top = max(cross.values(), default=0)
    rows = [{"column": text(col, 80), "total": sum(cross.get((col, c), 0) for c in categories),
             "cells": [{"count": cross.get((col, c), 0), "alpha": charts.heat(cross.get((col, c), 0), top)}
                       for c in categories]} for col in columns]
    return {"categories": [text(c, 40) for c in categories], "rows": rows}


def _phi(step: Mapping[str, Any], run_dir: Path) -> list[dict[str, Any]]:
    out = []
    for name, result in _inputs(step):
        if "by_category" not in result or "columns_classified" not in result:
            continue
        by_category = {text(k, 40): count(v) for k, v in mapping(result.get("by_category")).items()}
        cross: Mapping[tuple[str, str], int] | None = None
        given = mapping(result.get("by_column_category"))
        if given:
            cross = {(text(col, 80), text(cat, 40)): count(n) for col, cats in given.items()
                     for cat, n in mapping(cats).items()}
        else:
            from_file = _crosstab_from_file(run_dir, result.get("findings_path"))
            cross = {(text(col, 80), text(cat, 40)): n for (col, cat), n in from_file.items()} if from_file else None
        rows = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append({
            "step": text(step.get("step_id"), 64), "input": name, "total": count(result.get("findings_total")),
            "rows_with_findings": count(result.get("rows_with_findings")),
            "decision": text(result.get("decision"), 20),
            "heat": _heat_table(cross) if cross else None,
            "by_column": sorted(((text(k, 80), count(v)) for k, v in mapping(result.get("by_column")).items())),
            "chart": charts.as_dict(charts.bar_chart(f"PHI findings by category, input {name}",
                                                     [(k, v, f"{v:,}") for k, v in rows], "bar-phi")),
            "classified": [{"column": text(c.get("column"), 80), "category": text(c.get("category"), 40),
                            "confidence": f"{number(c.get('confidence')):.2f}", "evidence": text(c.get("evidence"), 20),
                            "value_share": f"{number(c.get('value_share')):.0%}", "sampled": count(c.get("sampled"))}
                           for c in map(mapping, items(result.get("columns_classified")))],
        })
    return out


def _quality(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, result in _inputs(step):
        rules = mapping(result.get("rules"))
        columns = mapping(result.get("columns"))
        if not rules and not columns:
            continue
        rule_rows: list[dict[str, Any]] = [{"rule": text(rule_id, 120), "kind": text(r.get("kind"), 40),
                      "severity": text(r.get("severity"), 20), "columns": ", ".join(text(c, 80) for c in
                                                                                  items(r.get("columns"))),
                      "status": text(r.get("status"), 20), "css": "st-failed" if count(r.get("violations")) else "",
                      "checked": count(r.get("checked")), "violations": count(r.get("violations"))}
                     for rule_id, r in ((k, mapping(v)) for k, v in rules.items())]
        violated = sorted((r for r in rule_rows if r["violations"]), key=lambda r: -r["violations"])
        column_rows = [{"column": text(col, 80), "status": text(c.get("status"), 20), "type": text(c.get("type"), 20),
                        "css": status_class("completed" if c.get("status") == "ok" else "failed")}
                       for col, c in ((k, mapping(v)) for k, v in columns.items()) if c.get("status") != "ok"]
        totals = {key: count(result.get(key)) for key in ("errors_total", "warnings_total", "type_errors",
                                                          "format_errors", "required_missing", "not_allowed",
                                                          "ragged_rows", "rows_checked") if key in result}
        out.append({
            "step": text(step.get("step_id"), 64), "input": name, "rules": rule_rows, "columns": column_rows,
            "missing_columns": [text(c, 80) for c in items(result.get("missing_columns"))],
            "unchecked_columns": [text(c, 80) for c in items(result.get("unchecked_columns"))],
            "totals": totals,
            "chart": charts.as_dict(charts.bar_chart(
                f"Violations per rule, input {name}", [(r["rule"], r["violations"], f"{r['violations']:,}")
                                                       for r in violated[:25]], "bar-dq")) if violated else None,
        })
    return out


def _deidentify(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, result in _inputs(step):
        actions = mapping(result.get("actions"))
        if not actions:
            continue
        rescan = mapping(result.get("rescan"))
        residual = mapping(rescan.get("by_column_category"))
        out.append({
            "step": text(step.get("step_id"), 64), "input": name, "rows": count(result.get("rows")),
            "actions": [{"column": text(col, 80), "action": text(a.get("action"), 30), "kind": text(a.get("kind"), 40),
                         "evidence": text(a.get("evidence"), 30)} for col, a in ((k, mapping(v))
                                                                                  for k, v in actions.items())],
            "dropped": [text(c, 80) for c in items(result.get("columns_dropped"))],
            "replacements": sorted((text(k, 40), count(v)) for k, v in mapping(result.get("replacements")).items()),
            "residual_total": count(rescan.get("residual_findings")),
            "residual": [(text(col, 80), text(cat, 40), count(n)) for col, cats in residual.items()
                         for cat, n in mapping(cats).items()],
        })
    return out


def data_sections(data: Mapping[str, Any], run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    phi: list[dict[str, Any]] = []
    quality: list[dict[str, Any]] = []
    deid: list[dict[str, Any]] = []
    for step in map(mapping, items(data.get("steps"))):
        phi += _phi(step, run_dir)
        quality += _quality(step)
        deid += _deidentify(step)
    return {"phi": phi, "quality": quality, "deidentify": deid}
