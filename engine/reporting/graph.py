"""The pipeline graph: steps, the components each reads and writes, and which mode runs which steps.

One model for ``rflow plan --format mermaid|dot|json`` and the graph in the HTML report, so the
picture a user pastes into a wiki is the one the report shows. Every label goes through
:func:`engine.core.display.shown` (manifest text is user-typed), then through the format's own escaping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from engine.core.components import component_name
from engine.core.display import shown
from engine.plugins import default_registry

if TYPE_CHECKING:
    from engine.core.contract import Stage


@attrs.frozen
class Read:
    component: str
    optional: bool = False


@attrs.frozen
class StepNode:
    """One manifest step: what it runs and reads and writes, and the modes that run it."""

    id: str
    stage: str
    description: str
    modes: tuple[str, ...]
    reads: tuple[Read, ...]
    writes: tuple[str, ...]


@attrs.frozen
class PipelineGraph:
    name: str
    version: str
    steps: tuple[StepNode, ...]
    modes: dict[str, tuple[str, ...]]
    """Mode name -> the step ids it runs, in order."""

    @property
    def components(self) -> tuple[str, ...]:
        """Every component read or written, in order of first appearance."""
        seen: dict[str, None] = {}
        for step in self.steps:
            for read in step.reads:
                seen.setdefault(read.component)
            for name in step.writes:
                seen.setdefault(name)
        return tuple(seen)

    @property
    def edges(self) -> tuple[tuple[str, str, bool], ...]:
        """``(from, to, optional)`` with ``c:`` component and ``s:`` step node ids."""
        out: list[tuple[str, str, bool]] = []
        for step in self.steps:
            out.extend((f"c:{r.component}", f"s:{step.id}", r.optional) for r in step.reads)
            out.extend((f"s:{step.id}", f"c:{w}", False) for w in step.writes)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": {"name": shown(self.name, 200), "version": shown(self.version, 64)},
            "modes": {shown(m, 64): [shown(s, 64) for s in ids] for m, ids in self.modes.items()},
            "steps": [{"id": shown(s.id, 64), "stage": shown(s.stage, 120), "description": shown(s.description, 300),
                       "modes": [shown(m, 64) for m in s.modes],
                       "reads": [{"component": shown(r.component, 120), "optional": r.optional} for r in s.reads],
                       "writes": [shown(w, 120) for w in s.writes]} for s in self.steps],
            "components": [shown(c, 120) for c in self.components],
            "edges": [{"from": shown(a, 130), "to": shown(b, 130), "optional": o} for a, b, o in self.edges],
        }


def build_graph(manifest: Any, registry: Any = None) -> PipelineGraph:
    """The graph of a loaded, valid manifest (every step, whether or not a mode runs it)."""

    if registry is None:
        registry = default_registry
    modes = {name: tuple(mode.steps) for name, mode in manifest.governance.modes.items()}
    steps = []
    for step in manifest.steps:
        stage: type[Stage] = registry.get(step.stage_ref)
        reads = tuple(Read(component_name(t)) for t in stage.reads)
        reads += tuple(Read(component_name(t), True) for t in stage.optional_reads)
        steps.append(StepNode(
            id=step.id, stage=f"{stage.key}@{stage.version}", description=step.description or "",
            modes=tuple(m for m, ids in modes.items() if step.id in ids), reads=reads,
            writes=tuple(component_name(t) for t in stage.writes)))
    return PipelineGraph(str(manifest.metadata.name), str(manifest.metadata.version), tuple(steps), modes)


_PLAIN_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _node_ids(graph: PipelineGraph) -> dict[str, str]:
    """Node ids both formats accept: ``s_`` / ``c_`` and the name when it is a plain identifier that
    :func:`shown` leaves alone, else a number (an id is not escaped, so it never carries raw text)."""
    ids: dict[str, str] = {}
    names = [f"s:{s.id}" for s in graph.steps] + [f"c:{c}" for c in graph.components]
    for number, node in enumerate(names):
        kind, _, name = node.partition(":")
        plain = _PLAIN_ID.fullmatch(name) is not None and shown(name, 64) == name
        candidate = f"{kind}_{name}" if plain else f"{kind}__{number}"
        ids[node] = candidate if candidate not in ids.values() else f"{kind}__{number}"
    return ids


def _step_lines(step: StepNode) -> list[str]:
    lines = [shown(step.id, 64), shown(step.stage, 120)]
    lines.append("modes: " + (", ".join(shown(m, 32) for m in step.modes) or "none"))
    return lines


def _labelled_nodes(
    graph: PipelineGraph, ids: dict[str, str], escape: Callable[[str], str], line_break: str
) -> Iterator[tuple[str, str, Any]]:
    """``(node id, escaped label, step)`` for every step, then ``(..., None)`` for every component."""
    for step in graph.steps:
        yield ids["s:" + step.id], line_break.join(escape(line) for line in _step_lines(step)), step
    for component in graph.components:
        yield ids["c:" + component], escape(shown(component, 120)), None


def _mermaid_text(text: str) -> str:
    """Mermaid's entity codes for the characters that end or mark up a quoted label."""
    return "".join({'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#amp;"}.get(ch, ch) for ch in text)


def to_mermaid(graph: PipelineGraph) -> str:
    """A ``flowchart LR``: steps as boxes, components as stadiums, optional reads dotted."""
    ids = _node_ids(graph)
    out = ["flowchart LR", f"  %% {_mermaid_text(shown(graph.name, 200))} {_mermaid_text(shown(graph.version, 64))}"]
    for node, label, step in _labelled_nodes(graph, ids, _mermaid_text, "<br/>"):
        out.append(f'  {node}["{label}"]' if step is not None else f'  {node}(["{label}"])')
    for source, target, optional in graph.edges:
        out.append(f"  {ids[source]} {'-.->' if optional else '-->'} {ids[target]}")
    out.append("  classDef component fill:#eef3fb,stroke:#5b7db1")
    out.append("  classDef unused stroke-dasharray:4 3,color:#777")
    if graph.components:
        out.append("  class " + ",".join(ids["c:" + c] for c in graph.components) + " component")
    unused = [ids["s:" + s.id] for s in graph.steps if not s.modes]
    if unused:
        out.append("  class " + ",".join(unused) + " unused")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph: PipelineGraph) -> str:
    """A Graphviz ``digraph``: steps as boxes, components as ellipses, optional reads dashed."""
    ids = _node_ids(graph)
    title = _dot_text(f"{shown(graph.name, 200)} {shown(graph.version, 64)}")
    out = ["digraph pipeline {", "  rankdir=LR;", f'  label="{title}";', '  node [fontname="Helvetica"];']
    for node, label, step in _labelled_nodes(graph, ids, _dot_text, "\\n"):
        if step is None:
            out.append(f'  {node} [shape=ellipse, label="{label}"];')
        else:
            style = ', style="dashed"' if not step.modes else ""
            out.append(f'  {node} [shape=box, label="{label}"{style}];')
    for source, target, optional in graph.edges:
        out.append(f"  {ids[source]} -> {ids[target]}{' [style=dashed]' if optional else ''};")
    out.append("}")
    return "\n".join(out) + "\n"


def graph_document(plan: Any, graph: PipelineGraph, fmt: str) -> str:
    """``rflow plan`` output: mermaid or dot text, or the plan's JSON with the graph under ``graph``."""
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)

    return json.dumps({**plan.to_dict(), "graph": graph.to_dict()}, indent=2, default=str) + "\n"


STEP_W, STEP_H, COMP_W, ROW, COMP_X = 230, 40, 200, 52, 470


def graph_view(graph: PipelineGraph) -> dict[str, Any]:
    """The graph as the HTML report draws it: steps left, components right, curved edges (numbers and text)."""
    comps = graph.components
    height = max(len(graph.steps), len(comps), 1) * ROW
    step_y = {s.id: i * ROW + 6 for i, s in enumerate(graph.steps)}
    comp_gap = height / max(len(comps), 1)
    comp_y = {c: round(i * comp_gap + (comp_gap - STEP_H) / 2, 1) for i, c in enumerate(comps)}
    edges = []
    for source, target, optional in graph.edges:
        writes = source.startswith("s:")
        step, comp = (source[2:], target[2:]) if writes else (target[2:], source[2:])
        y1, y2 = step_y[step] + STEP_H / 2 + (-6 if writes else 6), comp_y[comp] + STEP_H / 2 + (-6 if writes else 6)
        x1, x2 = 20 + STEP_W, COMP_X
        mid = (x1 + x2) / 2
        path = (f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" if writes
                else f"M{x2},{y2} C{mid},{y2} {mid},{y1} {x1},{y1}")
        edges.append({"d": path, "css": "edge-write" if writes else ("edge-read-opt" if optional else "edge-read")})
    steps = [{"id": shown(s.id, 64), "stage": shown(s.stage, 60), "y": step_y[s.id],
              "modes": ", ".join(shown(m, 32) for m in s.modes) or "no mode", "unused": not s.modes,
              "description": shown(s.description, 300),
              "reads": ", ".join(shown(r.component, 80) + ("?" if r.optional else "") for r in s.reads) or "-",
              "writes": ", ".join(shown(w, 80) for w in s.writes) or "-"} for s in graph.steps]
    return {"steps": steps, "components": [{"name": shown(c, 60), "y": comp_y[c]} for c in comps],
            "edges": edges, "width": COMP_X + COMP_W + 20, "height": height + 12, "step_w": STEP_W,
            "step_h": STEP_H, "comp_x": COMP_X, "comp_w": COMP_W,
            "modes": [{"name": shown(m, 32), "steps": ", ".join(shown(s, 64) for s in ids) or "-"}
                      for m, ids in graph.modes.items()]}
