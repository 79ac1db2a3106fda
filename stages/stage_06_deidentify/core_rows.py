"""deidentify's row loop on the native core (``engine._native.DeidRows``): same bytes, same counts.

Why: with the byte copy in the core, the Python row loop itself (reading the rows, the per-column
memo look-ups, the row's own identifiers hunted in each cell) was most of the deidentify task
(docs/benchmarks.md). Here the core reads a block of the part's text, looks every kept cell up in
its column's memo and writes the copy; Python answers, once a block and in one batch, only what
the core has not seen: the output of a new cell (computed by the reference's own functions), the
keyed pseudonym of a new name, and the few rows only Python computes (a byte outside ASCII, a
cell whose output depends on the row in a way the core does not decide), which go through
:func:`.transform._transform` itself. ``_transform`` stays the reference (``RFLOW_PHI_CORE_DEID_ROWS=0``
or ``RFLOW_PHI_CORE_DEID=0``); tests/native/test_deid_rows.py requires identical copies, counts and
rescans on both paths.

A part the core does not read exactly as the row reader does (see ``native/src/deid_rows.rs``)
comes back as None: the caller redoes it on the reference path, which decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from engine.phi import native_deid, schemes
from engine.phi.ages import AGGREGATE as AGE_AGGREGATE
from engine.phi.ages import grouped_age, read_short_age
from stages import _phi
from stages.stage_06_deidentify.classify import Prepared
from stages.stage_06_deidentify.rescan import FORM_CHECKED, Tally, out_of_form
from stages.stage_06_deidentify.transform import (
    _INT_RE,
    _PURE,
    VALUE_COUNTS,
    Transformer,
    _ident_columns,
    _is_date,
    _pure_cell,
    _transform,
)

BLOCK_CHARS = 1 << 20
"""Characters of the copy handed to the core's row loop at a time (a setting; tests make it small)."""
FIXED, IDENTS, ROW = 1, 2, 3
"""Answer kinds: the output cell whatever the row; the row's identifiers still to replace in it;
only Python computes the row."""
ANY_SUBJECT = 8
"""Or-ed into a kind: the output is the same whatever the subject's shift (text with no date in it)."""
_Answer = tuple[int, str, list[str], bool]


class _Rows:
    """The rows only Python computes, as :func:`._transform` reads them (``row``: the row number)."""

    def __init__(self, rows: list[tuple[int, int, list[str]]]) -> None:
        self._rows = rows
        self.row = 0

    def __iter__(self) -> Iterator[list[str]]:
        for _, no, fields in self._rows:
            self.row = no
            yield fields


class _Outs:
    def __init__(self) -> None:
        self.outs: list[list[str]] = []

    def write_row(self, row: list[str], out: list[str]) -> None:
        self.outs.append(list(out))


class _Events:
    """A :class:`.rescan.Tally` stand-in that keeps each residue, to add them to the tally in row order."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, str]] = []

    def add(self, column: str, category: str, row: int) -> None:
        self.events.append((row, column, category))


class _Answers:
    """The reference's output cells for the core's misses (see the module docs)."""

    def __init__(self, prep: Prepared, tx: Transformer) -> None:
        plan = prep.plan
        self.prep = prep
        self.tx = tx
        self.columns = [(plan.actions[i][0], plan.actions[i][1], plan.columns[i], plan.actions[i][1] == "FREE_TEXT",
                         prep.date_formats[i]) for i in prep.kept]
        self.dob_cutoff = tx.as_of_year - 89
        self.text_shift = prep.text_shift

    def _bad(self, n: int, value: str) -> bool:
        action, _, _, _, date_format = self.columns[n]
        if action not in FORM_CHECKED or not value:
            return False
        return out_of_form(action, value, action == "shift" and _is_date(value, date_format))

    def _scrubbed(self, n: int, text: str, column: str, broad: bool, shift: int | None) -> _Answer:
        base, counted = self.tx._replaced_counted(text, column, broad, shift)
        return (ROW if self.columns[n][0] in FORM_CHECKED else IDENTS), base, list(counted), False

    def _counted(self, fn: Callable[[], str]) -> tuple[str, list[str]]:
        tx = self.tx
        saved, tx.counts = tx.counts, {}
        try:
            out = fn()
        finally:
            got, tx.counts = tx.counts, saved
        return out, [what for what, n in got.items() for _ in range(n)]

    def __call__(self, n: int, text: str, subject: str) -> _Answer:
        action, kind, _, broad, date_format = self.columns[n]
        tx = self.tx
        shift = tx.shift_days(subject) if subject else self.prep.dataset_shift
        if action == "scrub":
            if not self.text_shift:
                return self._scrubbed(n, text, "", broad, None)
            kind_, out, counts, bad = self._scrubbed(n, text, "", broad, shift)
            # The subject's shift changes only the dates found in the text (see _replaced_counted).
            spans = tx.spans(text, "", broad)
            if not any(s.category == "DATE" and s.category not in tx._kept for s in spans):
                kind_ |= ANY_SUBJECT
            return kind_, out, counts, bad
        if action in _PURE:
            new, counted = _pure_cell(tx, action, kind, text, date_format, shift, self.dob_cutoff)
            if new is None:
                return ROW, "", [], False
            return FIXED, new, [counted], self._bad(n, new)
        if action == "address":
            out, counts = self._counted(lambda: tx.address(text))
            return FIXED, out, counts, self._bad(n, out)
        if action == "age":
            m = _INT_RE.match(text)
            if m and int(m.group(1)) > 89:
                return FIXED, AGE_AGGREGATE, ["ages_grouped"], self._bad(n, AGE_AGGREGATE)
            if m:
                return FIXED, text.strip(), [], self._bad(n, text.strip())
            if (age := read_short_age(text)) is not None and not age.over_89:
                return FIXED, text, [], self._bad(n, text)
            if (grouped := grouped_age(text)) is not None:
                return FIXED, grouped, ["ages_grouped"], self._bad(n, grouped)
            return ROW, "", [], False
        return self._scrubbed(n, text, "", broad, None)


def _blocks(lines: Iterable[str]) -> Iterator[str]:
    """The text in blocks of about :data:`BLOCK_CHARS`, then ``""``.

    A file is read in blocks of that many characters (the core reads records across any cut);
    other sources line by line, joined.
    """
    read = getattr(lines, "read", None)
    if read is not None:
        while chunk := read(BLOCK_CHARS):
            yield chunk
        yield ""
        return
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= BLOCK_CHARS:
            yield "".join(block)
            block, size = [], 0
    if block:
        yield "".join(block)
    yield ""


def core_rows(prep: Prepared, tx: Transformer, delimiter: str, skip_first: bool, max_field_chars: int) -> Any | None:
    """The core's row loop for one part, or None: the reference path (core off, or a delimiter it does not take)."""
    plan = prep.plan
    text_shift = prep.text_shift
    # Memo modes (native/src/deid_rows.rs): kept; by cell; by cell and subject; by cell and subject
    # for text, most of whose cells no subject changes.
    specs = [(i, 0 if action == "keep" else 2 if action == "shift" else 3 if action == "scrub" and text_shift else 1,
              action in FORM_CHECKED) for i in prep.kept for action in (plan.actions[i][0],)]
    idents = [(i, is_name, token, token.strip("[]").split(":")[-1],
               token == _phi.NAME_TOKEN and tx._name_pseudonyms) for i, is_name, token in _ident_columns(plan)]
    core = native_deid.deid_rows(delimiter, specs, idents, prep.subject_index, skip_first, max_field_chars)
    if core is not None and native_deid.values_enabled():
        _keyed_values(core, prep, tx)
    return core


_ASK, _PSEUDONYM, _SHIFT, _YEAR, _DOB = range(5)


def _keyed(kind: str) -> tuple[str, str, bool]:
    """A pseudonym kind as the core computes it: ``(kind, prefix, only its digits)`` (see :mod:`engine.phi.schemes`)."""
    return kind, schemes.prefix(kind), kind in schemes.DIGIT_KINDS


def _keyed_values(core: Any, prep: Prepared, tx: Transformer) -> None:
    """Let the core answer the keyed values of ASCII cells itself (native/src/deid_values.rs): pseudonyms,
    shifted ISO dates, ISO dates' years and birth years; it asks Python for any value it does not decide."""
    plan = prep.plan
    answer = _Answers(prep, tx)
    dob_cutoff = tx.as_of_year - 89
    rules: list[tuple[int, str, str, bool, bool, int]] = []
    for n, i in enumerate(prep.kept):
        action, kind, _ = plan.actions[i]
        if action in ("pseudonym", "subject"):
            name, prefix, digits = _keyed("SUBJECT_ID" if action == "subject" else kind)
            # The letters never decide the form check: a sample pseudonym of this prefix does.
            rules.append((_PSEUDONYM, name, prefix, digits, answer._bad(n, f"{prefix}_{'a' * 12}"), 0))
        elif action == "shift":
            rules.append((_SHIFT, "", "", False, False, 0))
        elif action in ("year", "dob"):  # a year of four digits is in form; the aggregate is checked here
            rules.append((_YEAR if action == "year" else _DOB, AGE_AGGREGATE, "", False,
                          answer._bad(n, AGE_AGGREGATE), dob_cutoff))
        else:
            rules.append((_ASK, "", "", False, False, 0))
    core.values(tx.pseudonym_key, tx.shift_key, tx.config.max_shift_days, prep.dataset_shift, list(VALUE_COUNTS),
                rules, _keyed("NAME"))


def transform_on_core(core: Any, lines: Iterable[str], out: IO[str], prep: Prepared, tx: Transformer, tally: Tally,
                      checkpoint: Callable[[], Any], *, last: bool) -> int | None:
    """Write the de-identified rows of one part with the core's row loop; how many, or None (see the module docs).

    ``last``: the part ends the file (else its text must end with a line end, as the range
    reader's end-of-part check requires).
    """
    answer = _Answers(prep, tx)
    plan = prep.plan
    checked = {n: (plan.columns[i], kind if kind != "configured" else action.upper())
               for n, i in enumerate(prep.kept) for action, kind, _ in (plan.actions[i],)}
    tail = ""
    try:
        for block in _blocks(lines):
            checkpoint()
            if block:
                tail = block[-1]
            core.feed(block)
            status, misses, names, python_rows = core.scan()
            if status == native_deid.BAIL:
                return None
            answers = [answer(n, text, subject) for n, text, subject in misses]
            python_rows += core.resolve(answers, [tx.pseudonym("NAME", value) for value in names])
            events = _Events()
            outs = _Outs()
            if python_rows:
                python_rows.sort()
                _transform(_Rows(python_rows), outs, prep, tx, events)  # type: ignore[arg-type]
            residues = core.write([(k, cells) for (k, _, _), cells in zip(python_rows, outs.outs, strict=True)])
            out.write(core.take())
            found = events.events + [(row, *checked[n]) for row, n in residues]
            for row, column, category in sorted(found, key=lambda e: e[0]):
                tally.add(column, category, row)
    except UnicodeDecodeError:
        return None
    if not last and tail not in ("\n", "\r"):
        return None
    for what, n in core.counts():
        tx.count(what, n)
    rows: int = core.rows
    return rows
