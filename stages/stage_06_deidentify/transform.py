"""Cell by cell: pseudonyms, date generalisation or shifts, ZIP3s, ages, scrubbed spans."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from engine import deid_profiles
from engine.phi import schemes
from engine.phi.ages import AGGREGATE as AGE_AGGREGATE
from engine.phi.ages import grouped_age, read_short_age
from engine.phi.keys import derive_subkey
from engine.phi.labels import HEADER_CELL_TOKEN, header_cell_category
from engine.phi.schemes import PURPOSE_DATE_SHIFT, PURPOSE_PSEUDONYM
from stages import _phi
from stages.dictionary import Dictionary, parse_date
from stages.stage_06_deidentify.classify import ISO_DATETIME, Prepared, _Plan
from stages.stage_06_deidentify.config import DeidentifyConfig
from stages.stage_06_deidentify.rescan import FORM_CHECKED, Tally, out_of_form
from stages.tabular import TableReader

_ZIP_TAIL = re.compile(r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?\s*$", re.ASCII)
_ZIP_RE = re.compile(r"^\s*([0-9]{5})(?:-[0-9]{4})?\s*$", re.ASCII)
_INT_RE = re.compile(r"^\s*([0-9]{1,3})\s*$", re.ASCII)


# Memo bounds: short cells (codes, doses, years, lab values) repeat across rows, so their spans
# are looked up once; long free text rarely repeats and would only fill memory.
SPAN_MEMO_CHARS = 64
"""Cells up to this long have their PHI spans memoized per task; a longer cell is searched every time."""
_MEMO_ENTRIES = 1 << 16
_RowIdents = list[tuple[str, str, str]]
"""A row's identifier values to hunt for in its other cells: ``(value, value.lower(), token)``."""


class Transformer:
    """Per-task state: the key, pseudonym/date-shift/span memos (in memory only), counters.

    Also the value-by-value reference of de-identification: the native row loop's pseudonyms, date
    shifts and scrubbed cells are held to what these methods give (``pseudonym_key`` and
    ``shift_key`` are the subkeys it is handed).
    """

    def __init__(self, key: bytes, config: DeidentifyConfig, dictionary: Dictionary | None, as_of_year: int) -> None:
        self.key = key
        # Pseudonyms and date shifts each under their own subkey (engine.phi.schemes, version 2).
        self.pseudonym_key = derive_subkey(key, PURPOSE_PSEUDONYM)
        self.shift_key = derive_subkey(key, PURPOSE_DATE_SHIFT)
        self.config = config
        self.dictionary = dictionary
        self.as_of_year = as_of_year
        self.counts: dict[str, int] = {}
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._shifts: dict[str, int] = {}
        self._spans: dict[tuple[str, str, bool], list[_phi.Span]] = {}
        self.replaced: dict[tuple[str, str, bool, int | None], tuple[str, tuple[str, ...]]] = {}
        self._name_pseudonyms = config.identifiers == "pseudonym"
        self._kept = deid_profiles.kept_categories(attrs.asdict(config))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def pseudonym(self, kind: str, value: str) -> str:
        cache_key = (kind, value)
        found = self._pseudonyms.get(cache_key)
        if found is None:
            found = schemes.pseudonym(self.pseudonym_key, kind, value)
            if len(self._pseudonyms) < 2_000_000:
                self._pseudonyms[cache_key] = found
        return found

    def shift_days(self, subject: str) -> int:
        """The subject's date shift (memoized: a subject's rows usually repeat its code)."""
        found = self._shifts.get(subject)
        if found is None:
            found = schemes.shift_days(self.shift_key, subject, self.config.max_shift_days)
            if len(self._shifts) < _MEMO_ENTRIES:
                self._shifts[subject] = found
        return found

    def date(self, text: str, mode: str, date_format: str | None, shift: int) -> str | None:
        """The date in ``text`` generalised or shifted, or None if it is not a date we can parse."""
        m = ISO_DATETIME.match(text)
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
            if mode == "year":
                return str(day.year)
            try:  # a shift past year 1 or 9999 is no date we can write: the cell is read as unparsed
                moved = day + dt.timedelta(days=shift)
            except OverflowError:
                return None
            return moved.isoformat() + (m.group("rest") or "")
        if date_format:
            day2 = parse_date(text, date_format)
            if day2 is not None:
                if mode == "year":
                    return str(day2.year)
                try:
                    return written(day2 + dt.timedelta(days=shift), date_format)
                except OverflowError:
                    return None
        if mode == "year":
            return year_of(text)
        return None

    def spans(self, text: str, column: str, broad: bool) -> list[_phi.Span]:
        """``_phi.find_spans`` of a cell, memoized for short cells (spans are immutable)."""
        if len(text) > SPAN_MEMO_CHARS:
            return _phi.find_spans(text, column=column, broad=broad)
        memo_key = (text, column, broad)
        found = self._spans.get(memo_key)
        if found is None:
            found = _phi.find_spans(text, column=column, broad=broad)
            if len(self._spans) < _MEMO_ENTRIES:
                self._spans[memo_key] = found
        return found

    def scrub(self, text: str, column: str, broad: bool, row_idents: _RowIdents, shift: int | None = None) -> str:
        """PHI spans replaced, then the row's own identifier values; ``shift``: dates in the text are
        moved by it instead (a subject's offset).

        Spans first: a name the row's identifier column shares only in part ("TIMIX BOATENG" where
        the column holds another Boateng) is found whole before the shared part is replaced.
        """
        if not text:
            return text
        text = self._replace_spans(text, column, broad, shift)
        return self.replace_idents(text, row_idents) if row_idents else text

    def replace_idents(self, text: str, row_idents: _RowIdents) -> str:
        """The row's own identifier values in ``text`` replaced (whole words, any case) and counted."""
        if row_idents:
            low = text.lower()
            for value, needle, token in row_idents:
                if needle not in low:  # cheap precheck: most cells hold none of them
                    continue
                if token == _phi.NAME_TOKEN and self._name_pseudonyms:
                    text, n = _replace_lowered(text, low, needle, self.pseudonym("NAME", value))
                else:
                    text, n = _replace_lowered(text, low, needle, token)
                if n:
                    self.count(token.strip("[]").split(":")[-1], n)
                    low = text.lower()
        return text

    def _replace_spans(self, text: str, column: str, broad: bool, shift: int | None) -> str:
        """The cell's PHI spans replaced and counted; memoized whole (text and counts) for short cells."""
        if len(text) > SPAN_MEMO_CHARS:
            out, counted = self._replaced_counted(text, column, broad, shift)
        else:
            memo_key = (text, column, broad, shift)
            found = self.replaced.get(memo_key)
            if found is None:
                found = self._replaced_counted(text, column, broad, shift)
                if len(self.replaced) < _MEMO_ENTRIES:
                    self.replaced[memo_key] = found
            out, counted = found
        for what in counted:
            self.count(what)
        return out

    def _replaced_counted(self, text: str, column: str, broad: bool, shift: int | None) -> tuple[str, tuple[str, ...]]:
        """``(text with its spans replaced, what to count)``: a pure function of its arguments and the key."""
        spans = self.spans(text, column, broad)
        if spans and self._kept:  # dates/geography: keep (a Limited Data Set): those spans stay
            spans = [s for s in spans if s.category not in self._kept]
        if not spans:
            return text, ()
        counted = [span.category for span in spans]
        names = self._name_pseudonyms and any(s.category == "NAME" for s in spans)
        dates = shift is not None and any(s.category == "DATE" for s in spans)
        if not (names or dates):
            return _phi.replace_spans(text, spans), tuple(counted)

        def replace(span: _phi.Span, value: str) -> str:
            # Names in text get the same keyed pseudonym as in a name column (deterministic from
            # the key and the normalized value, so every partition and file agrees); dates in the
            # subject's text move with the subject's dates, so intervals in notes still hold.
            if names and span.category == "NAME":
                return self.pseudonym("NAME", value)
            if dates and span.category == "DATE":
                moved = self.date(value, "shift", None, shift or 0)
                if moved is not None:
                    counted.append("text_dates_shifted")
                    return moved
            return _phi.replacement(span, value)

        return _phi.replace_spans_with(text, spans, replace), tuple(counted)

    def address(self, text: str) -> str:
        """An address cell reduced to the Safe Harbor three-digit ZIP of the ZIP it holds ('' if none)."""
        zips = [s for s in _phi.find_spans(text) if s.category == "ZIP"]
        if not zips and _ZIP_TAIL.search(text):
            zips = [_phi.Span(m.start(1), m.end(1), "ZIP", "") for m in _ZIP_TAIL.finditer(text)]
        if not zips:
            self.count("addresses_removed")
            return ""
        self.count("addresses_reduced")
        return _phi.zip3(text[zips[-1].start:zips[-1].end])


def replace_word(text: str, value: str, token: str) -> tuple[str, int]:
    """Replace whole-word, case-insensitive occurrences of ``value`` in ``text``; ``(text, count)``.

    A plain scan instead of a regex per value: identifier values change every row, and compiling
    an IGNORECASE pattern for each costs far more than the search.
    """
    return _replace_lowered(text, text.lower(), value.lower(), token)


def _replace_lowered(text: str, low: str, needle: str, token: str) -> tuple[str, int]:
    """:func:`replace_word` given ``low = text.lower()`` and ``needle = value.lower()`` (the caller
    already has both: scrub lowers each cell once, not once per identifier)."""
    if len(low) != len(text) or not needle:
        return text, 0
    i = low.find(needle)
    if i < 0:
        return text, 0
    parts: list[str] = []
    pos = count = 0
    while i >= 0:
        end = i + len(needle)
        if (i == 0 or not text[i - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            parts.append(text[pos:i])
            parts.append(token)
            pos = end
            count += 1
            i = low.find(needle, end)
        else:
            i = low.find(needle, i + 1)
    parts.append(text[pos:])
    return "".join(parts), count


def _ident_columns(plan: _Plan) -> list[tuple[int, bool, str]]:
    """``(index, is_name, token)`` of the identifier columns whose values are hunted in other cells."""
    return [(i, kind == "NAME", _phi.token_for(kind if kind != "IDENTIFIER" else "MRN"))
            for i, (action, kind, _) in enumerate(plan.actions) if action in ("drop", "pseudonym")]


def _row_identifiers(row: list[str], ident_cols: list[tuple[int, bool, str]]) -> _RowIdents:
    """The row's own identifier values (and name parts) to hunt for in its free text, longest first."""
    found: _RowIdents = []
    width = len(row)
    for index, is_name, token in ident_cols:
        value = row[index].strip() if index < width else ""
        if len(value) < 3:
            continue
        found.append((value, value.lower(), token))
        if is_name:
            found.extend((part, part.lower(), token) for part in value.split()
                         if len(part) >= 3 and part[:1].isupper())
    found.sort(key=lambda item: len(item[0]), reverse=True)
    return found


_YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})(?![0-9])")


def year_of(text: str) -> str | None:
    """The year of a bare year (``1937``) or of a date the registry wholly recognises (``4 Mar 1937``).

    None when there is no single four-digit year (``03/04/21``): such a cell is scrubbed instead.
    """
    value = text.strip()
    years = _YEAR.findall(value)
    if len(years) != 1:
        return None
    if years[0] == value:
        return value
    from engine.phi.columns import cell_category

    return years[0] if cell_category(value) == "DATE" else None


def unparsed_date(text: str, scrubbed: str) -> str:
    """A date column's cell that no date rule could read, as the copy shows it.

    What scrubbing leaves of it is a date's remainder (``[PHI:DATE]-63``: a two-digit year that may
    say the person is over 89; ``Wednesday, [PHI:DATE]``: the weekday, another element of the
    date), so a cell with a digit or a date found in it is replaced whole by the date token. A cell
    of letters only in which nothing was found (``unknown``, ``not recorded``) stays as scrubbed.
    """
    if scrubbed == text and not any(c.isdigit() for c in text):
        return scrubbed
    return _phi.token_for("DATE")


def written(day: dt.date, date_format: str) -> str:
    """``day`` in the dictionary's ``date_format``, a year before 1000 with its four digits (the C
    library writes ``%Y`` of 0001-02-03 as ``1``, which no longer reads as the column's format)."""
    return day.strftime(re.sub(r"%(.)", lambda m: f"{day.year:04d}" if m[1] == "Y" else m[0], date_format))


def _is_date(text: str, date_format: str | None) -> bool:
    """Whether ``text`` is an ISO date (or datetime) or a date in the column's dictionary format."""
    return ISO_DATETIME.match(text) is not None or (date_format is not None and parse_date(text, date_format)
                                                      is not None)


def _header_like_cells(row: list[str], out: list[str], checked: list[tuple[int, int]], count: Any,
                       letterless: frozenset[int] = frozenset()) -> list[str]:
    """A headerless file's first row as written, each cell whose input holds PHI read whole as a
    header cell is (a name, an SSN with its label) replaced by a token; ``checked``: ``(output
    index, input index)`` pairs. The row was de-identified as data first, each cell by its column.

    Why: the sniffer reads a first row as data when it looks like data, and a header row that holds
    PHI does; its cells then sit in columns whose values do not say what a header cell is (a bare
    name at the top of a numeric column), so the spans of the data rules miss them. The rule is
    :func:`engine.phi.labels.header_cell_category` (``letterless``: input indexes of columns with
    no letter below), the one phi_scan reports these cells by.
    """
    out = list(out)
    for n, i in checked:
        value = row[i] if i < len(row) else ""
        if out[n] != HEADER_CELL_TOKEN and header_cell_category(value, i in letterless) is not None:
            out[n] = HEADER_CELL_TOKEN
            count("header_cells")
    return out


_PURE = frozenset({"pseudonym", "subject", "year", "shift", "dob", "zip3"})
"""Actions whose output cell is a function of the cell, the key and the subject's shift alone (memoized per column)."""


VALUE_COUNTS = ("pseudonyms", "dates_shifted", "dates_generalized", "birth_years_suppressed")
"""What a keyed pseudonym, a shifted date, a date reduced to its year and a suppressed birth year count."""


def _pure_cell(tx: Transformer, action: str, kind: str, text: str, date_format: str | None, shift: int,
               dob_cutoff: int) -> tuple[str | None, str]:
    """``(output cell, what to count)`` of a :data:`_PURE` action; None: a date no rule reads (scrub it)."""
    pseudonyms, shifted, generalized, suppressed = VALUE_COUNTS
    if action == "pseudonym":
        return tx.pseudonym(kind, text), pseudonyms
    if action == "subject":
        return tx.pseudonym("SUBJECT_ID", text), pseudonyms
    if action in ("year", "shift"):
        new = tx.date(text, action, date_format, shift)
        return new, shifted if action == "shift" else generalized
    if action == "dob":
        year = tx.date(text, "year", date_format, 0)
        if year is None:
            return None, ""
        if int(year) < dob_cutoff:
            return AGE_AGGREGATE, suppressed  # born more than 89 years before as_of: the year is not kept
        return year, generalized
    m = _ZIP_RE.match(text)  # zip3
    if m:
        return _phi.zip3(m.group(1)), "zip_truncated"
    return "", "zip_removed"


def _transform(reader: TableReader, writer: Any, prep: Prepared, tx: Transformer, tally: Tally | None = None, *,
               first_row: bool = False) -> int:
    """Write the de-identified rows; returns how many.

    ``writer.write_row(row, out)`` gets each input row with its output cells (see
    :mod:`~stages.stage_06_deidentify.bytecopy`: the copy keeps the input's bytes around them).

    ``first_row``: the reader starts at the first row of a file read as headerless, whose cells are
    also checked whole as header cells (see :func:`_header_like_cells`). Cells of the identifier
    actions (written in their own form) and of columns the settings keep are not.

    ``tally`` receives the identifier cells whose output is not of their action's form (see
    :func:`~stages.stage_06_deidentify.rescan.out_of_form`), checked on the values as written.

    Everything that depends only on the plan (each kept column's action, kind, name, tier and date
    format; the identifier columns and their tokens) is looked up once here, not per cell.
    """
    plan = prep.plan
    subject_index = prep.subject_index
    date_formats = prep.date_formats
    # Values of identifier columns are also hunted for in the same row's other cells.
    ident_cols = _ident_columns(plan)
    columns = [(i, plan.actions[i][0], plan.actions[i][1], plan.columns[i], plan.actions[i][1] == "FREE_TEXT",
                date_formats[i]) for i in prep.kept]
    checked: list[tuple[int, str, str, str, str | None, dict[str, bool]]] = [
        (n, action, column, kind if kind != "configured" else action.upper(), date_format, {})
        for n, (_, action, kind, column, _, date_format) in enumerate(columns) if action in FORM_CHECKED]
    if tally is None:
        checked = []
    dataset_shift = prep.dataset_shift
    dob_cutoff = tx.as_of_year - 89
    text_shift = prep.text_shift
    count = tx.count
    scrub = tx.scrub
    replaced = tx.replaced
    replace_idents = tx.replace_idents
    write_row = writer.write_row
    header_checked = [(n, i) for n, (i, action, *_) in enumerate(columns)
                      if action not in FORM_CHECKED and action != "keep"] if first_row else []
    memos: list[dict[Any, tuple[str | None, str]]] = [{} for _ in columns]
    ident_memo: dict[tuple[str, ...], _RowIdents] = {}
    rows = 0
    for row in reader:
        rows += 1
        width = len(row)
        idents: _RowIdents = []
        if ident_cols:  # a subject's visits repeat its identifiers: their search list is built once
            ident_key = tuple(row[i] if i < width else "" for i, _, _ in ident_cols)
            found_idents = ident_memo.get(ident_key)
            if found_idents is None:
                found_idents = _row_identifiers(row, ident_cols)
                if len(ident_memo) < _MEMO_ENTRIES:
                    ident_memo[ident_key] = found_idents
            idents = found_idents
        subject = (row[subject_index].strip() if subject_index < width else "") if subject_index is not None else ""
        shift = tx.shift_days(subject) if subject else dataset_shift
        out: list[str] = []
        for n, (i, action, kind, column, broad, date_format) in enumerate(columns):
            text = row[i] if i < width else ""
            if action == "keep" or not text.strip():
                out.append(text)
            elif action == "scrub":  # the plan decided the column is not identifying: spans only, no header guess
                text_shift_days = shift if text_shift else None
                # A short cell seen before: scrub's own memo read here, without two calls a cell.
                hit = replaced.get((text, "", broad, text_shift_days)) if len(text) <= SPAN_MEMO_CHARS else None
                if hit is None:
                    out.append(scrub(text, "", broad, idents, text_shift_days))
                else:
                    for what in hit[1]:
                        count(what)
                    out.append(replace_idents(hit[0], idents) if idents else hit[0])
            elif action in _PURE:
                memo_key = (text, shift) if action == "shift" else text
                found = memos[n].get(memo_key)
                if found is None:
                    found = _pure_cell(tx, action, kind, text, date_format, shift, dob_cutoff)
                    if len(memos[n]) < _MEMO_ENTRIES:
                        memos[n][memo_key] = found
                new, counted = found
                if new is None:  # a date no rule reads: scrubbed like free text, with the row's identifiers
                    out.append(unparsed_date(text, scrub(text, column, True, idents)))
                    count("unparsed_dates")
                else:
                    out.append(new)
                    count(counted)
            elif action == "address":
                out.append(tx.address(text))
            elif action == "age":
                m = _INT_RE.match(text)
                if m and int(m.group(1)) > 89:
                    out.append(AGE_AGGREGATE)
                    count("ages_grouped")
                elif m:
                    out.append(text.strip())
                elif (age := read_short_age(text)) is not None and not age.over_89:
                    out.append(text)  # '45 Yrs Old', '3 mos': an age under 90 in a short form holds nothing to remove
                elif (grouped := grouped_age(text)) is not None:  # 93yoF, 90+ y/o M: '90+' (and 'F', 'M')
                    out.append(grouped)
                    count("ages_grouped")
                else:
                    out.append(scrub(text, column, False, idents))
            else:  # an action classify_column does not produce (drop columns are not kept)
                out.append(scrub(text, "", broad, idents))
        if first_row:
            out = _header_like_cells(row, out, header_checked, count, plan.letterless)
            first_row = False
        for n, action, column, category, date_format, forms in checked:
            value = out[n]
            if not value:
                continue
            bad = forms.get(value)
            if bad is None:
                bad = out_of_form(action, value, action == "shift" and _is_date(value, date_format))
                if len(forms) < _MEMO_ENTRIES:
                    forms[value] = bad
            if bad:
                tally.add(column, category, reader.row)  # type: ignore[union-attr]
        write_row(row, out)
    return rows
