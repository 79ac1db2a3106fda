"""``report.html``: one self-contained page per run (inline CSS and SVG, no script, no network).

Rendered with Jinja2 and autoescape on, from a view in which every value has already gone through
:func:`engine.core.display.shown`: markup in a step name, a header cell or a manifest string is shown as
text, and PHI in it as ``[PHI:...]``. The page's Content-Security-Policy allows no script and no
fetch, so even a rendering bug could not make it load or run anything. Jinja2 is imported here
only, on first use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from engine import __version__
from engine.core.atomic import write_text_atomic
from engine.core.errors import safe_error_text
from engine.reporting.audit_status import audit_status
from engine.reporting.graph import build_graph, graph_view
from engine.reporting.sources import load_recorded_manifest, locator
from engine.reporting.values import texts_memoized
from engine.reporting.view import build_view

HTML_NAME = "report.html"


class ReportRenderError(Exception):
    """The HTML report could not be written (the run's report.json is unaffected)."""


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("engine.reporting", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def _graph(manifest: Any) -> dict[str, Any] | None:
    if manifest is None:
        return None

    try:
        return graph_view(build_graph(manifest))
    except Exception:  # a stage no longer installed: the report is shown without the graph
        return None


def render_html(data: dict[str, Any], run_dir: Path, *, manifest: Any = None, key: Any = None) -> str:
    """The report page for a run's report data; ``manifest`` (the run's, unchanged) adds lines and the graph."""

    if manifest is None:
        manifest = load_recorded_manifest(data)
    mode = str(data.get("mode") or "")
    with texts_memoized():
        view = build_view(data, run_dir=run_dir, audit=audit_status(run_dir, data, key),
                          where=locator(manifest, mode), graph=_graph(manifest))
    view["rendered_by"] = f"rflow {__version__}"
    view["manifest_found"] = manifest is not None
    return str(_environment().get_template("report.html.j2").render(**view))


def write_html(data: dict[str, Any], run_dir: Path, *, manifest: Any = None, key: Any = None) -> Path:
    """Render and write ``RUN_DIR/report.html`` atomically; :class:`ReportRenderError` says why not."""
    path = Path(run_dir) / HTML_NAME
    try:
        write_text_atomic(path, render_html(data, Path(run_dir), manifest=manifest, key=key))
    except OSError as exc:
        raise ReportRenderError(f"report.html not written: {safe_error_text(exc)}") from None
    except Exception as exc:  # a rendering bug must not turn a finished run into an error; it is reported
        raise ReportRenderError(f"report.html not written: internal error ({type(exc).__name__})") from None
    return path
