"""A real browser renders report.html of a DEMO run (real CLI subprocess), with the network off."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.conftest import rflow

from .browser import need_browser, offline_page

SECTIONS = {"summary": "Run", "graph": "Pipeline", "steps": "Steps", "phi": "PHI findings",
            "quality": "Data quality", "deidentify": "De-identification", "warnings": "Warnings and errors"}


def test_chromium_renders_the_demo_report(tmp_path: Path) -> None:
    exe = need_browser()
    run_dir = tmp_path / "run"
    proc = rflow("run", "--out", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = run_dir / "report.html"
    assert f"html report: {html}" in proc.stdout
    report = json.loads((run_dir / "report.json").read_text("utf-8"))
    artifacts = Path(os.environ.get("RFLOW_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "report-demo.png"
    with offline_page(exe) as (page, requests):
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(html.resolve().as_uri())
        assert page.title().startswith(f"rflow run {report['run_id']}")
        for section, heading in SECTIONS.items():
            assert page.locator(f"section#{section} h2").inner_text() == heading
            assert page.locator(f"section#{section}").is_visible()
        assert page.locator("[data-run-status]").first.inner_text() == report["status"] == "completed"
        rows = page.locator("#step-table tbody tr")
        assert rows.count() == len(report["steps"]) == 7
        for step in report["steps"]:
            row = page.locator(f'#step-table tr[data-step="{step["step_id"]}"]')
            assert row.get_attribute("data-status") == step["status"]
            assert row.locator(".badge").first.inner_text() == step["status"]
            assert "demo.yaml:" in row.locator("code.where").first.inner_text()  # a decision and its line
        assert page.locator("#audit-status").inner_text().startswith("intact")
        assert page.locator("svg.graph g.step").count() == 7
        assert page.locator("table.heat tbody tr").count() >= 8  # one row per flagged column
        assert page.locator("svg.chart").count() >= 2
        assert page.locator("script").count() == 0
        page.screenshot(path=str(shot), full_page=True)
    assert requests == [html.resolve().as_uri()]  # nothing but the file itself was fetched
    assert not dialogs
    assert shot.stat().st_size > 10_000
    print(f"report screenshot: {shot}")
