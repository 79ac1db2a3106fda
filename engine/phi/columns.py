"""Classify the columns of a table before scanning it: by header, by a sample of values, or by override.

Why: the most common leak in a study export is a column of names or addresses whose cells no
pattern matches ("Okafor", "12 Elm"). A column recognised as identifying is treated whole, every
cell, by the scanner and by de-identification. Evidence is reported with the category:

- ``header``: the normalized header is one of the category's column words in the registry
  (``patient_name``, ``surname``, ``addr1``, ``dob``...);
- ``values``: at least ``VALUE_SHARE`` of the sampled non-empty cells are wholly PHI of one category
  (a pattern covers the cell, or for names every word is a dictionary name);
- ``both`` also when a category's column word stands anywhere in the header (``Patient ZIP
  (5-digit)``, ``phone_primary``) and at least ``VALUE_SHARE`` of the cells have that category's
  value shape (a bare ``02139`` matches no pattern, but in such a column it is a ZIP);
- ``both``; ``override`` (a manifest's ``phi_columns``); ``none``.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from engine.core.errors import safe_excerpt
from engine.phi import envpin
from engine.phi.cues import Vocab, vocab
from engine.phi.errors import PhiInputError
from engine.phi.labels import label_holds_phi, name_shaped
from engine.phi.names import is_name_cell
from engine.phi.registry import PhiRegistry, load_registry, normalize_column
from engine.phi.spans import cell_span, column_category, find_spans

SAMPLE_ROWS = 200
VALUE_SHARE = 0.6
MIN_VALUES = 3
HEADER_CONFIDENCE = 0.9
NONE = "none"
# Header words that make a column about identifiers rather than of them ("mrn_count", "phone_verified").
NOT_VALUES = frozenset({
    "count", "counts", "n", "total", "flag", "type", "status", "missing", "valid", "verified", "present",
    "has", "is", "length", "len", "format", "source", "changed", "updated", "pct", "percent", "share",
})  # fmt: skip


@attrs.frozen
class ColumnClass:
    """How one column was classified. Holds no value: counts and shares only."""

    column: str
    category: str | None
    confidence: float
    evidence: str
    """``header``, ``values``, ``both``, ``override`` or ``none``."""
    value_share: float = 0.0
    """Share of the sampled non-empty cells that are wholly PHI of ``category`` (or of the best one)."""
    sampled: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain metadata for reports."""
        return {
            "column": self.column,
            "category": self.category,
            "confidence": self.confidence,
            "evidence": self.evidence,
            "value_share": self.value_share,
            "sampled": self.sampled,
        }


def categories() -> tuple[str, ...]:
    """Category names an override may use (``none`` aside)."""
    return tuple(c.name for c in load_registry().categories)


def check_overrides(overrides: Mapping[str, str] | None) -> dict[str, str | None]:
    """Overrides as ``column -> category`` (None for ``none``); ValueError names a bad entry."""
    known = set(categories())
    out: dict[str, str | None] = {}
    for column, value in (overrides or {}).items():
        if value == NONE:
            out[column] = None
        elif value in known:
            out[column] = value
        else:
            choices = ", ".join(sorted(known))
            raise ValueError(f"phi_columns.{safe_excerpt(column, 40)}: unknown category; use one of {choices} or none")
    return out


def cell_category(text: str) -> str | None:
    """The category a cell wholly holds (a pattern spans it, or every word is a name), or None."""
    value = text.strip()
    if not value:
        return None
    spans = find_spans(value)
    if spans:
        covered = sum(s.end - s.start for s in spans)
        if len({s.category for s in spans}) == 1 and covered >= 0.6 * len(value):
            return spans[0].category
        if {s.category for s in spans} <= {"ADDRESS", "CITY", "ZIP"} and covered >= 0.6 * len(value):
            return "ADDRESS"
    return "NAME" if is_name_cell(value) else None


# Missing-value markers of exports: not values, so they neither confirm nor refute a column's shape.
MISSING = frozenset({"n/a", "na", "n.a.", "none", "null", "nil", "nan", "-", "--", "?", "unknown", "unk", "missing",
                     "not available", "not applicable", "not recorded", "declined", "refused", "tbd", "pending"})


def classify_column(
    name: str, values: Iterable[str], *, override: str | None = None, overridden: bool = False,
    seen: dict[str, str | None] | None = None,
) -> ColumnClass:
    """Classify one column from its header and sampled values (``overridden``: the override decides).

    ``seen``: cells already judged (:func:`cell_category`, which depends on the cell alone), shared
    by the columns of one table: exports repeat a value down a column and across columns.
    """
    if overridden:
        return ColumnClass(name, override, 1.0, "override")
    cells = [v for v in values if v and v.strip() and v.strip().casefold() not in MISSING]
    counts: Counter[str] = Counter()
    if seen is None:
        seen = {}
    for cell in cells:
        cat = seen[cell] if cell in seen else seen.setdefault(cell, cell_category(cell))
        if cat is not None:
            counts[cat] += 1
    by_header = header_category(name)
    best, hits = counts.most_common(1)[0] if counts else (None, 0)
    share = round(hits / len(cells), 3) if cells else 0.0
    by_values = best if len(cells) >= MIN_VALUES and share >= VALUE_SHARE else None
    if by_header is not None:
        agree = by_values == by_header
        share_h = round(counts[by_header] / len(cells), 3) if cells else 0.0
        return ColumnClass(
            name,
            by_header,
            max(HEADER_CONFIDENCE, share_h) if agree else HEADER_CONFIDENCE,
            "both" if agree else "header",
            share_h,
            len(cells),
        )
    if by_values is not None:
        return ColumnClass(name, by_values, share, "values", share, len(cells))
    if role_header(name) and len(cells) >= MIN_VALUES:
        named = round(sum(name_shaped(c) for c in cells) / len(cells), 3)
        if named >= VALUE_SHARE:
            return ColumnClass(name, "NAME", named, "both", named, len(cells))
    if anonymous_header(name) and len(cells) >= MIN_VALUES:
        named = round(sum(name_cell_whole(c) for c in cells) / len(cells), 3)
        if named >= VALUE_SHARE:
            return ColumnClass(name, "NAME", named, "values", named, len(cells))
    if len(cells) >= MIN_VALUES and (postal := postcode_share(cells)) >= VALUE_SHARE:
        return ColumnClass(name, "ZIP", postal, "values", postal, len(cells))
    hinted = header_hint(name)
    # The header names the category: a few cells are enough when every one has its shape.
    if hinted is not None and cells:
        matcher = load_registry().column_matchers[hinted]
        shaped = round(sum(cell_span(c, matcher) is not None for c in cells) / len(cells), 3)
        if shaped >= VALUE_SHARE if len(cells) >= MIN_VALUES else shaped == 1.0:
            return ColumnClass(name, hinted, shaped, "both", shaped, len(cells))
    return ColumnClass(name, None, 0.0, NONE, share, len(cells))


def postcode_share(cells: Sequence[str]) -> float:
    """Share of ``cells`` that are each wholly a postcode of letters the ZIP value rule takes (a Dutch
    ``1012 AB``), in a column whose letter pairs vary as postcodes do: a dose or a unit repeats its
    letters down a column (``1200 MG``, ``1000 MG``), two thirds of a column's postcodes differ."""
    matcher = load_registry().column_matchers["ZIP"]
    pairs = [c.strip()[-2:] for c in cells if c.strip()[-2:].isalpha() and cell_span(c, matcher) is not None]
    if not pairs or Counter(pairs).most_common(1)[0][1] > max(1, len(pairs) // 3):
        return 0.0
    return round(len(pairs) / len(cells), 3)


def header_category(name: str) -> str | None:
    """The category a column's header names by itself: a header the registry's ``context.headers``
    hold whole (``name``, ``Name``, ``patient``), else one of its column words ending the header.

    The one rule of both ``phi_scan`` and ``deidentify``: such a column is that category whatever
    its cells, however few (two rows ``Ann``, ``Bo`` under ``Name`` are names).
    """
    return load_registry().header_category(normalize_column(name)) or column_category(name)


def header_hint(name: str) -> str | None:
    """A category named by the header (values must confirm it): one of its column words stands
    anywhere in the header, else one of its label words does ("Implant S/N", "Driver lic", "Birth
    Cert") or the header is the start of a label ("Registration" of "registration number").

    Headers are written with the words that introduce the value in text, so the category's label
    vocabulary serves both. Whole-cell categories (names, addresses) are left out: any cell would
    confirm them.
    """
    tokens = normalize_column(name).split("_")
    # Only the words whose first token stands in the header can hold; tried in the order of the
    # scan below (every category's column words, then every category's labels).
    by_first = _hint_index(load_registry())
    tried = {entry[0]: entry for t in set(tokens) for entry in by_first.get(t, ())}
    for _, kind, cat, words in (tried[order] for order in sorted(tried)):
        if kind == 0 and _holds(tokens, words):
            return cat
        if kind == 1 and words != [""] and (_holds(tokens, words) or words[: len(tokens)] == tokens):
            return cat
    return None


_HINTS: dict[int, tuple[PhiRegistry, dict[str, list[tuple[int, int, str, list[str]]]]]] = {}


def _hint_index(registry: PhiRegistry) -> dict[str, list[tuple[int, int, str, list[str]]]]:
    """Each shaped (not whole-cell) category's column words and normalized label words, split into
    tokens once per registry and listed under their first token as ``(order, kind, category,
    words)``: kind 0 a column word, 1 a label, ``order`` the place :func:`header_hint` tries it
    (:func:`header_hint` runs for every column of every input)."""
    hit = _HINTS.get(id(registry))
    if hit is not None and hit[0] is registry:
        return hit[1]
    shaped = [
        (c.name, [w.split("_") for w in c.columns], [normalize_column(label).split("_") for label in c.labels])
        for c in registry.categories
        if (m := registry.column_matchers.get(c.name)) is not None and not m.whole_cell
    ]
    ordered = [(0, cat, words) for cat, columns, _ in shaped for words in columns]
    ordered += [(1, cat, words) for cat, _, labels in shaped for words in labels]
    index: dict[str, list[tuple[int, int, str, list[str]]]] = {}
    for order, (kind, cat, words) in enumerate(ordered):
        index.setdefault(words[0], []).append((order, kind, cat, words))
    _HINTS[id(registry)] = (registry, index)
    return index


def _holds(tokens: list[str], words: list[str]) -> bool:
    """``words`` stand together in ``tokens``, and no other token makes the column about them
    ("mrn_count", "phone_verified": see :data:`NOT_VALUES`)."""
    for i in range(len(tokens) - len(words) + 1):
        if tokens[i : i + len(words)] == words:
            return not NOT_VALUES & set(tokens[:i] + tokens[i + len(words):])
    return False


def role_header(name: str) -> bool:
    """The header is a person's role ("Client", "Resident", "Patient", "Next of kin"), one of the
    name cues' role words: its cells are names when they look like names."""
    return normalize_column(name) in _roles(vocab())


_ROLES: dict[int, tuple[object, frozenset[str]]] = {}


def _roles(v: Vocab) -> frozenset[str]:
    """The name cues' role words, normalized once per vocabulary."""
    hit = _ROLES.get(id(v))
    if hit is None or hit[0] is not v:
        hit = _ROLES[id(v)] = (v, frozenset(normalize_column(r) for r in v.rules["names"]["roles"]))
    return hit[1]


_ANONYMOUS = re.compile(r"col(?:umn)?_?[0-9]+")


def anonymous_header(name: str) -> bool:
    """A header that says nothing of its column: a generated name (``col_3`` of a file without a
    header row, ``column_3`` for a header that held PHI). Only the cells can tell what it holds."""
    return _ANONYMOUS.fullmatch(normalize_column(name)) is not None


def name_cell_whole(text: str) -> bool:
    """A cell with a name's shape that the whole-cell name rule of headers reads as a person's name
    (``Lailtes Ngata``, ``Łukasz Zięcik``; not ``Chest Pain``): names in no dictionary included."""
    return name_shaped(text) and label_holds_phi(text.strip())


def letterless_columns(rows: Sequence[Sequence[str]], width: int) -> frozenset[int]:
    """Column indexes whose cells below the first row of ``rows`` (a sample) hold no letter.

    It says where a headerless file's first-row cell of a name's shape is no value of its column
    (see :func:`engine.phi.labels.header_cell_category`). Why a sample decides, and why it is
    sound: a letter below can only *keep* a name-shaped first cell, never replace one, so reading
    fewer rows can only replace more cells (a header word lost, never a name kept); a letter first
    seen after the sample leaves the column letterless. A column with no row below in the sample
    (a one-row file) is undecided, and counts as letterless. phi_scan and deidentify call this on
    the same sample (the first :data:`SAMPLE_ROWS` rows), so the scan and the copy agree.
    """
    below = rows[1:]
    return frozenset(
        i for i in range(width)
        if not _has_letter("".join(row[i] for row in below if i < len(row)))
    )


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _has_letter(text: str) -> bool:
    """Any character of ``text`` is a letter (``str.isalpha``); ASCII text by one regex search (a
    wide file's sample is a million cells), other text character by character."""
    if text.isascii():
        return _ASCII_LETTER.search(text) is not None
    return any(ch.isalpha() for ch in text)


def classify_columns(
    header: Sequence[str], rows: Iterable[Sequence[str]], overrides: Mapping[str, str] | None = None
) -> list[ColumnClass]:
    """Classify every column of a table from its header and sample rows."""
    checked = check_overrides(overrides)
    samples: list[list[str]] = [[] for _ in header]
    for row in rows:
        for i, cell in enumerate(row[: len(header)]):
            samples[i].append(cell)
    seen: dict[str, str | None] = {}
    with envpin.pinned():  # the engine settings, read once for every sampled cell of every column
        return [
            classify_column(col, samples[i], override=checked.get(col), overridden=col in checked, seen=seen)
            for i, col in enumerate(header)
        ]


def classify_file(
    path: str | Path,
    format: str = "csv",
    *,
    overrides: Mapping[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    encoding: str = "utf-8-sig",
) -> list[ColumnClass]:
    """Classify the columns of a CSV/TSV file from its header and first ``sample_rows`` rows."""
    if format not in ("csv", "tsv"):
        return []
    delim = "\t" if format == "tsv" else ","
    try:
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delim)
            header = [h.strip() for h in next(reader, [])]
            rows = []
            for n, row in enumerate(reader):
                if n >= sample_rows:
                    break
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise PhiInputError(f"the input is not valid UTF-8 (byte offset {exc.start} of the sample)") from None
    except csv.Error:
        raise PhiInputError("the sample rows are not valid CSV") from None
    except OSError as exc:
        raise PhiInputError(f"cannot read the input: {exc.strerror or type(exc).__name__}") from None
    return classify_columns(header, rows, overrides)


def category_map(classes: Iterable[ColumnClass]) -> dict[str, str | None]:
    """``column -> category`` (None: not identifying) for the scanner and de-identification."""
    return {c.column: c.category for c in classes}
