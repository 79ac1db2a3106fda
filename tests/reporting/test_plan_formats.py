"""`rflow plan --format mermaid|dot|json`: the pipeline graph, golden for the demo, node and edge counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs
import pytest

from engine.manifest import load_manifest
from engine.reporting.graph import PipelineGraph, Read, StepNode, build_graph, to_dot, to_mermaid
from tests.e2e.conftest import ROOT, rflow

GOLDEN = Path(__file__).parent / "golden"
SHIPPED = sorted((ROOT / "manifests").glob("*.yaml"))


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_demo_graph_is_the_golden_one(fmt: str, tmp_path: Path) -> None:
    proc = rflow("plan", str(ROOT / "manifests" / "demo.yaml"), "--format", fmt, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (GOLDEN / f"demo.{fmt}").read_text("utf-8")


def _mermaid_counts(text: str) -> tuple[set[str], int, int]:
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes = {m.group(1) for line in lines if (m := re.fullmatch(r'  (\w+)(?:\["[^"]*"\]|\(\["[^"]*"\]\))', line))}
    edges = [line for line in lines if re.fullmatch(r"  \w+ (-->|-\.->) \w+", line)]
    return nodes, len(edges), sum("-.->" in e for e in edges)


def _dot_counts(text: str) -> tuple[set[str], int, int]:
    assert text.startswith("digraph pipeline {\n") and text.endswith("}\n")
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # quoted strings may hold anything
    assert bare.count("{") == bare.count("}") == 1 and bare.count("\n") == text.count("\n")
    nodes = {m.group(1) for m in re.finditer(r'^  (\w+) \[shape=\w+, label="(?:[^"\\]|\\.)*"', text, re.M)}
    edges = re.findall(r"^  \w+ -> \w+( \[style=dashed\])?;$", text, re.M)
    return nodes, len(edges), sum(bool(e) for e in edges)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_format_has_every_step_component_and_edge(path: Path, tmp_path: Path) -> None:
    graph = build_graph(load_manifest(path))
    want_nodes = len(graph.steps) + len(graph.components)
    optional = sum(o for _, _, o in graph.edges)
    for text, counts in ((to_mermaid(graph), _mermaid_counts), (to_dot(graph), _dot_counts)):
        nodes, edges, dashed = counts(text)
        assert len(nodes) == want_nodes and edges == len(graph.edges) and dashed == optional
    proc = rflow("plan", str(path), "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert data["steps"] and data["mode"]  # the plan as before, and the graph beside it
    assert len(data["graph"]["steps"]) == len(graph.steps)
    assert len(data["graph"]["edges"]) == len(graph.edges)
    assert set(data["graph"]["modes"]) == set(graph.modes)


def test_labels_are_sanitized_and_cannot_break_out() -> None:
    """Hostile names (a plugin's stage, a graph built by a library user) end neither a mermaid label
    nor a dot string, and show no PHI; the manifest's own patterns keep ids plain anyway."""
    bad = 'x"]; a --> b; %% 234-56-7890 \\" -> c; }'
    step = StepNode(bad, bad, bad, (bad,), (Read(bad), Read(bad + "2", True)), (bad + "3",))
    graph = PipelineGraph(bad, bad, (step, attrs.evolve(step, id="second")), {bad: (bad,)})
    mermaid, dot = to_mermaid(graph), to_dot(graph)
    assert "234-56-7890" not in mermaid + dot and "[PHI:SSN]" in mermaid
    nodes, edges, dashed = _mermaid_counts(mermaid)
    assert len(nodes) == 5 and edges == len(graph.edges) == 6 and dashed == 2
    nodes, edges, dashed = _dot_counts(dot)
    assert len(nodes) == 5 and edges == 6 and dashed == 2


def test_a_step_no_mode_runs_is_drawn_as_unused(tmp_path: Path) -> None:
    text = (ROOT / "manifests" / "demo.yaml").read_text("utf-8")
    text = text.replace("steps: [upload, irb_check, schema_check, validate, phi_scan, deidentify, summary]",
                        "steps: [upload, irb_check, schema_check, validate, phi_scan, deidentify]")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(text, "utf-8")
    graph = build_graph(load_manifest(manifest))
    assert "class s_summary unused" in to_mermaid(graph)
    assert 's_summary [shape=box, label="summary\\nsummary@1.0.0\\nmodes: none", style="dashed"];' in to_dot(graph)
