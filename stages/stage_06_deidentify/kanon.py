"""k-anonymity of a de-identified copy over its declared quasi-identifiers, as counts only.

An equivalence class is the set of rows that share one combination of quasi-identifier values;
a class smaller than ``k`` singles its rows out. What is reported: how many classes there are,
how many are below ``k``, how many rows they hold, and the smallest class size. Never a value,
and never which combination: that would be the identifying fact itself.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stages.tabular import _ensure_csv_limit


def class_sizes(rows: Any, indexes: Sequence[int]) -> Counter[bytes]:
    """Rows per combination of the values at ``indexes``, keyed by a 16-byte digest of it.

    Digests, not the tuples: memory stays bounded per class whatever the width of the values.
    """
    sizes: Counter[bytes] = Counter()
    for row in rows:
        combo = "\x1f".join(row[i] if i < len(row) else "" for i in indexes)
        sizes[hashlib.blake2b(combo.encode("utf-8", "surrogatepass"), digest_size=16).digest()] += 1
    return sizes


def summarize(sizes: Counter[bytes], k: int, quasi_identifiers: Sequence[str]) -> dict[str, Any]:
    """The counts the report gives (see the module docstring)."""
    small = [n for n in sizes.values() if n < k]
    return {
        "k": k,
        "quasi_identifiers": list(quasi_identifiers),
        "rows": sum(sizes.values()),
        "classes": len(sizes),
        "classes_below_k": len(small),
        "rows_in_classes_below_k": sum(small),
        "smallest_class": min(sizes.values()) if sizes else 0,
        "satisfied": not small,
    }


def k_anonymity(path: Path, quasi_identifiers: Sequence[str], k: int, max_field_chars: int,
                delimiter: str = ",") -> dict[str, Any]:
    """k-anonymity of the copy at ``path`` (a CSV with a header, as deidentify writes it, in ``delimiter``).

    A quasi-identifier the copy no longer has (its column was dropped) cannot single anyone out:
    it is listed under ``dropped`` and the classes are formed over the others.
    """
    _ensure_csv_limit(max_field_chars + 1)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=False)
        header = next(reader, [])
        present = [q for q in quasi_identifiers if q in header]
        indexes = [header.index(q) for q in present]
        sizes = class_sizes(reader, indexes)
    result = summarize(sizes, k, present)
    result["dropped"] = [q for q in quasi_identifiers if q not in present]
    return result
