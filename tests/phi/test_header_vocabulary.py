"""Columns are classified by the registry's vocabularies, whatever the header's wording.

By class, not by example: a header written with any of a category's label words (the words that
introduce the value in text), in any case and separator, with a qualifier before it, over cells of
the category's value shape, is that category; an "X of Y" header is classified by its head noun;
a person's role as the header ("Client", "Resident") over cells shaped like names is NAME, and
over study codes it is not.
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.phi.columns import classify_column, header_category
from engine.phi.cues import vocab
from engine.phi.registry import load_registry, normalize_column
from engine.phi.scanner import scan_file

REGISTRY = load_registry()
SHAPED = sorted(c.name for c in REGISTRY.categories
                if c.name in REGISTRY.column_matchers and not REGISTRY.column_matchers[c.name].whole_cell
                and c.labels)
QUALIFIERS = ["", "Patient", "Primary", "Home", "Current", "Pt", "Reported"]
SEPARATORS = [" ", "_", "-", ". ", " / "]


def _spell(words: list[str], sep: str, case: str) -> str:
    text = sep.join(words)
    return {"upper": text.upper(), "title": text.title(), "lower": text.lower()}[case]


@st.composite
def labelled_headers(draw: st.DrawFn) -> tuple[str, str]:
    category = draw(st.sampled_from(SHAPED))
    label = draw(st.sampled_from(REGISTRY.category(category).labels))
    words = [w for w in normalize_column(label).split("_") if w]
    assume(words)
    qualifier = draw(st.sampled_from(QUALIFIERS))
    header = _spell(([qualifier] if qualifier else []) + words, draw(st.sampled_from(SEPARATORS)),
                    draw(st.sampled_from(["upper", "title", "lower"])))
    return category, header


def _values(category: str) -> st.SearchStrategy[str]:
    matcher = REGISTRY.column_matchers[category]
    return st.from_regex(matcher.str_re, fullmatch=True).map(str.strip).filter(
        lambda v: bool(v) and matcher.str_re.fullmatch(v) is not None and all(ok(v) for ok in matcher.validators))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), header=labelled_headers())
def test_a_header_written_with_a_label_word_over_value_shaped_cells_is_identifying(data, header) -> None:
    category, text = header
    cells = data.draw(st.lists(_values(category), min_size=4, max_size=8), label="cells")
    found = classify_column(text, cells)
    assert found.category is not None, (text, cells, found)


GEO = ["city", "town", "county", "village", "hometown", "parish", "borough"]


@settings(max_examples=60, deadline=None)
@given(head=st.sampled_from(GEO), rest=st.sampled_from(["residence", "birth", "origin", "the patient", "record"]),
       case=st.sampled_from(["upper", "title", "lower"]),
       towns=st.lists(st.text(string.ascii_lowercase, min_size=3, max_size=9).map(str.title), min_size=3, max_size=6))
def test_an_x_of_y_header_is_classified_by_its_head(head, rest, case, towns) -> None:
    header = _spell([head, "of", rest], " ", case)
    assert classify_column(header, towns).category == "CITY"


SYLLABLES = ["ka", "zu", "mbe", "ola", "ngo", "th", "rix", "ade", "qui", "lo", "vey", "o"]
made_up = st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=4).map(lambda s: "".join(s).capitalize())
ROLES = [r for r in vocab().rules["names"]["roles"] if len(r) > 3]


@settings(max_examples=60, deadline=None)
@given(role=st.sampled_from(ROLES), case=st.sampled_from(["upper", "title", "lower"]),
       people=st.lists(st.tuples(made_up, made_up, st.sampled_from(["{g} {f}", "{F}, {g}", "{G} {F}"])),
                       min_size=3, max_size=8))
def test_a_role_header_over_name_shaped_cells_is_names_and_over_codes_is_not(role, case, people) -> None:
    header = _spell(role.split(), " ", case)
    cells = [fmt.format(g=g, f=f, G=g.upper(), F=f.upper()) for g, f, fmt in people]
    assert classify_column(header, cells).category == "NAME", (header, cells)
    # not a name column by its header alone ("attending" and "patient" are: deidentify treats them so too)
    if header_category(header) is None:
        codes = [f"{role[:1].upper()}-{i:04d}" for i in range(len(cells))]
        assert classify_column(header, codes).category != "NAME"


def test_image_file_names_a_normalization_turns_blank_are_still_image_file_names() -> None:
    """NFKC makes a space of a no-break space and of a spacing accent ('0\u00a8.BMP' -> '0 \u0308.BMP'); the cell
    as written has the file-name shape, and a photo column of such cells is a photo column."""
    cells = ["E\u00a0.DCM", "0\u00af.TIFf", "0\u00a8.BMP", "0\u00b4.tif", "G.tif", "\u0102.GIF"]
    assert classify_column("PHOTOS", cells).category == "PHOTO"
    assert classify_column("Patient Photo", cells[:4]).category == "PHOTO"


def test_the_scanner_reports_the_photo_cells_de_identification_replaces(tmp_path: Path) -> None:
    """phi_scan reads a labelled cell as de-identification does (as written or normalized): a photo
    column's 'E\u00a0.DCM' is a finding, not only a replaced cell."""
    cells = ["E\u00a0.DCM", "0\u00af.TIFf", "0\u00a8.BMP", "0\u00b4.tif"]
    path = tmp_path / "photos.csv"
    path.write_text("id,patient_photo\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells, 1)), encoding="utf-8")
    found = [(f.category, f.row, f.column) for f in scan_file(path, key=b"k" * 32)]
    assert found == [("PHOTO", row, "patient_photo") for row in range(1, len(cells) + 1)]
