"""A report.html that cannot be written leaves the run as it was, and says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.reporting import html


def _fail(path: Path, text: str) -> None:
    raise OSError(28, "No space left on device")


def test_a_page_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(html, "write_text_atomic", _fail)
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--only", "upload"]) == 0
    captured = capsys.readouterr()
    assert "rflow: warning: report.html not written: OSError" in captured.err
    assert "rflow report RUN_DIR writes it again" in captured.err
    assert (out / "report.json").is_file() and not (out / "report.html").exists()
    monkeypatch.undo()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").is_file()


def test_a_rendering_bug_is_named_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise KeyError("x")

    monkeypatch.setattr(html, "render_html", broken)
    with pytest.raises(html.ReportRenderError, match=r"internal error \(KeyError\)"):
        html.write_html({}, tmp_path)
