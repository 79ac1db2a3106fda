"""report.html: hostile strings render inert, nothing raw leaves, old and new timestamps, `rflow report`."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.reporting.html import render_html
from tests.e2e.conftest import DEMO_DATA, ROOT, leaked, planted_identifiers, rflow
from tests.e2e.test_terminal_hygiene import ESC, SSN, _data, _manifest

TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "div", "span", "nav", "a",
        "main", "section", "p", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "caption", "svg",
        "defs", "marker", "path", "line", "rect", "text", "g", "figure", "figcaption", "details", "summary", "ul",
        "li", "code", "br", "footer"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "xlink:href")]


def _parsed(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def _assert_inert(page: str) -> None:
    found = _parsed(page)
    assert found.tags <= TAGS, found.tags - TAGS
    assert not found.handlers
    assert all(h.startswith("#") for h in found.hrefs), found.hrefs


def _hostile_report(text: str) -> dict[str, Any]:
    step = {"step_id": text, "stage_key": text, "stage_name": text, "stage_version": text, "status": text,
            "started_at": 1796130430.5, "finished_at": "2026-12-01T13:07:11Z", "duration_s": 0.5,
            "errors": [text], "warnings": [text], "artifacts": [text], "blocked_by": text,
            "output": {"inputs": {text: {
                "findings_total": 3, "rows_with_findings": 1, "by_category": {text: 3}, "by_column": {text: 3},
                "by_column_category": {text: {text: 3}},
                "columns_classified": [{"column": text, "category": text, "confidence": 1, "evidence": text}],
                "rules": {text: {"kind": text, "severity": text, "columns": [text], "status": text, "checked": 1,
                                 "violations": 1}},
                "actions": {text: {"action": text, "kind": text, "evidence": text}},
                "replacements": {text: 1}, "rescan": {"residual_findings": 1, "by_column_category": {text: {text: 1}}},
            }}}}
    return {"schema": "rflow/run-report/v1", "run_id": text, "job_id": text, "rflow_version": text, "status": text,
            "mode": text, "manifest": {"name": text, "version": text, "path": text, "sha256": text},
            "inputs": [{"name": text, "file": text, "size_bytes": 10, "sha256": text, "format": text}],
            "started_at": "2026-12-01T13:07:10+00:00", "finished_at": 1796130431.0, "duration_s": 1.0,
            "steps": [step], "policy_decisions": [{"policy": text, "subject": text, "outcome": text, "reason": text}],
            "error": text, "audit": {"notices": [text]}}


HOSTILE = ('"><script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>'
           f"<a href='javascript:alert(4)'>{ESC}[31m{SSN}</a>]]></style></title>{{{{7*7}}}}")


def test_a_hostile_report_renders_inert(tmp_path: Path) -> None:
    page = render_html(_hostile_report(HOSTILE), tmp_path)
    _assert_inert(page)
    assert "&lt;script&gt;" in page and "[PHI:SSN]" in page
    text = html.unescape(page)
    assert SSN not in text and ESC not in text and "49" not in text.split("<footer")[0].split("</style>")[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from('<>"\'&/=;:{}%#\\ ascriptonerload\x1b\u202e\n'), max_size=60))
def test_any_text_in_any_field_renders_inert(tmp_path: Path, text: str) -> None:
    page = render_html(_hostile_report(text), tmp_path)
    _assert_inert(page)
    assert "\x1b" not in page and "\u202e" not in page


def test_old_and_new_timestamps_both_render(tmp_path: Path) -> None:
    data = _hostile_report("plain")
    data["started_at"], data["steps"][0]["started_at"] = 1796130430.0, "2026-12-01T13:07:10.250000Z"
    page = render_html(data, tmp_path)
    assert "2026-12-01T13:07:10Z" in page
    data["started_at"] = "2026-12-01T13:07:10+00:00"
    assert "2026-12-01T13:07:10Z" in render_html(data, tmp_path)


def test_no_phi_from_data_headers_file_names_or_manifest_reaches_the_html(tmp_path: Path) -> None:
    """The hygiene fixture (SSN in the manifest, a header cell, the file and folder names, the run
    folder) and the bundled data's identifiers: none of them in the page, raw or entity-encoded."""
    manifest = _manifest(tmp_path)
    text = manifest.read_text("utf-8").replace("  - id: upload\n", f'  - id: upload\n    description: "Call {SSN}"\n')
    manifest.write_text(text, "utf-8")
    out = tmp_path / f"run{ESC}[5m{SSN}"
    proc = rflow("run", str(manifest), "--input", f"dataset={_data(tmp_path)}", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (out / "report.html").read_text("utf-8")
    assert "Call [PHI:SSN]" in page  # the step description, in the graph's table
    again = rflow("report", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for text in (page, html.unescape(page), again.stdout, again.stderr):
        assert SSN not in text and ESC not in text and "\u202e" not in text
    demo = tmp_path / "demo"
    assert rflow("run", "--out", str(demo), cwd=tmp_path).returncode == 0
    demo_page = (demo / "report.html").read_text("utf-8")
    assert not leaked(planted_identifiers(), demo_page, html.unescape(demo_page))


def test_rflow_report_rewrites_the_page_and_reads_what_it_can(tmp_path: Path) -> None:
    run_dir = tmp_path / "refused"
    proc = rflow("run", str(ROOT / "manifests" / "study-live.yaml"), "--input", f"dataset={DEMO_DATA}",
                 "--out", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 3
    page = run_dir / "report.html"
    assert 'data-run-status="refused"' in page.read_text("utf-8")  # a refused run has its page too
    page.unlink()
    again = rflow("report", str(run_dir), cwd=tmp_path)
    assert again.returncode == 0 and page.is_file(), again.stderr
    text = page.read_text("utf-8")
    assert text.count('data-status="blocked"') == 7  # every step, with its status
    assert 'st-refused">refused</span></td><td>mode LIVE requires approval' in text
    assert "<code>study-live.yaml:" in text and "require: [irb_approval]</code>" in text  # the line it came from
    missing = rflow("report", str(tmp_path), cwd=tmp_path)
    assert missing.returncode == 2 and "no report.json" in missing.stderr and "Traceback" not in missing.stderr
    opened = rflow("report", str(run_dir), "--open", cwd=tmp_path, env={"BROWSER": "echo opened %s"})
    assert opened.returncode == 0 and "opened file://" in opened.stdout


def test_validate_does_not_import_jinja2(tmp_path: Path) -> None:
    code = ("import sys; from engine.cli import main; rc = main(['validate', 'manifests', '-q']); "
            "print(rc, 'jinja2' in sys.modules, 'engine.reporting.html' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "0 False False", proc.stdout + proc.stderr


def test_report_json_is_untouched_by_rendering(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert rflow("run", "--out", str(run_dir), "--only", "upload", cwd=tmp_path).returncode == 0
    before = (run_dir / "report.json").read_bytes()
    assert rflow("report", str(run_dir), cwd=tmp_path).returncode == 0
    assert (run_dir / "report.json").read_bytes() == before
    assert json.loads(before)["status"] == "completed"
