"""The bundled study concatenated N times under its one header: the larger CSV the data-plane benches time.

Imported by the benches next to it (``python bench/NAME.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from stages._common import bundled_path


def write_study_copies(path: Path, copies: int, *, lineterminator: str = "\n", plain: bool = False) -> list[str]:
    """Write the bundled study's rows ``copies`` times under its header to ``path`` (UTF-8, ``csv.writer``
    quoting); return the header. ``plain``: commas inside cells become semicolons, so no cell is quoted
    for a comma. The file has ``copies * study_rows()`` data rows."""
    header, body = _study()
    rows = [[c.replace(",", ";") for c in r] for r in body] if plain else body
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=lineterminator)
        writer.writerow(header)
        for _ in range(copies):
            writer.writerows(rows)
    return header


def study_rows() -> int:
    """The bundled study's data rows."""
    return len(_study()[1])


def _study() -> tuple[list[str], list[list[str]]]:
    with bundled_path("demo_study.csv").open(encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    return header, body
