"""Stage 6, ``deidentify``: a de-identified copy of each input, rescanned before it is trusted.

Every column gets one action, decided in this order: the config's ``columns`` override, the data
dictionary's ``phi`` kind, the column's name (the PHI registry's column context plus name,
address, e-mail, phone, subject, birth-date and age words), then a sample of its values (a column
of dates). Actions:

* ``drop`` / ``pseudonym`` — direct identifiers (names, MRNs, SSNs, phones, e-mails, addresses):
  removed, or replaced by a keyed pseudonym (HMAC; the same value gets the same pseudonym);
* ``subject`` — the subject code: a keyed pseudonym, and the key of per-subject date shifts;
* ``year`` / ``shift`` — dates: generalised to the year (Safe Harbor), or shifted by a per-subject
  offset of up to ``max_shift_days`` (keeps intervals; not Safe Harbor);
* ``dob`` — birth dates: the year, and nothing for anyone 90 or older;
* ``zip3`` — the first three ZIP digits, ``000`` for the sparsely populated prefixes;
* ``age`` — ages over 89 become ``90+``;
* ``scrub`` — every other column: PHI spans replaced by category tokens (``[PHI:SSN]``), plus the
  row's own identifier values (a patient's name from the name column, wherever it recurs);
* ``keep`` — copied as is (only by explicit config).

The copy is written atomically, then rescanned by the PHI scanner; remaining findings fail the step
(``fail_on_residual``). Shifted dates are dates by design and are not counted as residue.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import attrs

from engine import InputDataset, StageContext, StageResult, register_stage
from engine.phi.categories import OVERRIDE_SCHEMA
from engine.types import ANY_MODE
from stages import _phi
from stages._common import (
    StageConfigError,
    atomic_output,
    format_counts,
    input_entities,
    input_path,
    keyed_digest,
    relative_to_workspace,
    safe_slug,
)
from stages.components import DatasetProfile, DeidentifiedDataset, PhiFindingsSummary
from stages.dictionary import Dictionary, load_dictionary, parse_date
from stages.tabular import (
    DEFAULT_MAX_FIELD_CHARS,
    TableFormat,
    TableReader,
    TabularError,
    _ensure_csv_limit,
    cell,
    open_table,
    safe_column_names,
)

ACTIONS = ("drop", "pseudonym", "subject", "year", "shift", "dob", "zip3", "address", "age", "scrub", "keep")
IDENTIFIER_KINDS = {"NAME", "SSN", "MRN", "PHONE", "EMAIL", "ADDRESS", "IDENTIFIER"}
SAMPLE_ROWS = 200

_HEADER_WORDS: list[tuple[str, frozenset[str]]] = [
    ("subject", frozenset({"subject_id", "subject", "participant_id", "participant", "study_id", "record_id"})),
    ("dob", frozenset({"dob", "date_of_birth", "birth_date", "birthdate", "birthday"})),
    ("age", frozenset({"age", "age_years", "age_at_enrollment", "age_at_visit", "patient_age"})),
    ("NAME", frozenset({
        "name", "patient_name", "full_name", "first_name", "last_name", "given_name", "family_name", "surname",
        "middle_name", "maiden_name", "nickname", "patient", "fname", "lname", "firstname", "lastname",
    })),
    ("ADDRESS", frozenset({"address", "street", "street_address", "addr", "address1", "address2", "address_line1",
                           "address_line2", "city", "town"})),
    ("EMAIL", frozenset({"email", "e_mail", "email_address"})),
    ("PHONE", frozenset({"phone", "telephone", "tel", "mobile", "cell", "fax", "phone_number", "home_phone"})),
]
_FREE_TEXT_WORDS = ("note", "notes", "comment", "comments", "text", "narrative", "remarks", "description", "memo")
_ZIP_TAIL = re.compile(r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?\s*$", re.ASCII)
_ZIP_RE = re.compile(r"^\s*([0-9]{5})(?:-[0-9]{4})?\s*$", re.ASCII)
_INT_RE = re.compile(r"^\s*([0-9]{1,3})\s*$", re.ASCII)
_ISO_DATETIME = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?P<rest>[T ][0-9:.+-Z]*)?\s*$", re.ASCII)


@attrs.frozen
class DeidentifyConfig:
    """How each kind of column is de-identified, and how strict the rescan is."""

    dictionary: str | None = attrs.field(
        default=None,
        metadata={"description": "Data dictionary whose 'phi' kinds classify columns ('bundled:NAME' or a path)."},
    )
    columns: dict[str, str] = attrs.field(
        factory=dict,
        metadata={"description": "Per-column action override: " + ", ".join(ACTIONS) + ".",
                  "schema": {"additionalProperties": {"enum": list(ACTIONS)}}},
    )
    identifiers: Literal["drop", "pseudonym"] = attrs.field(
        default="drop", metadata={"description": "What direct-identifier columns become."}
    )
    dates: Literal["year", "shift"] = attrs.field(
        default="year", metadata={"description": "'year' (Safe Harbor) or a per-subject 'shift'."}
    )
    max_shift_days: int = attrs.field(
        default=180, metadata={"description": "Largest date shift, in days, either way.",
                               "schema": {"minimum": 1, "maximum": 3650}}
    )
    subject_column: str | None = attrs.field(
        default=None, metadata={"description": "Column keying per-subject date shifts; default: detected."}
    )
    fail_on_residual: bool = attrs.field(
        default=True, metadata={"description": "Fail when the rescan of the copy still finds PHI."}
    )
    inputs: list[str] = attrs.field(factory=list, metadata={"description": "Input names; empty: every input."})
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )
    phi_columns: dict[str, str] = attrs.field(
        factory=dict,
        metadata={"description": "Column classification overrides: column -> PHI category (NAME, ADDRESS...) "
                  "or 'none' (not identifying: only PHI spans in it are scrubbed).",
                  "schema": OVERRIDE_SCHEMA},
    )


# -- classification -------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip()).lower()).strip("_")


def classify_column(
    name: str, config: DeidentifyConfig, dictionary: Dictionary | None, sample: list[str], *,
    phi_clear: bool = False,
) -> tuple[str, str, str]:
    """``(action, kind, evidence)`` for one column; evidence is config, dictionary, header or values.

    ``phi_clear``: ``phi_scan`` already ran the PHI column classification on this column (same
    name, same sample, no override) and found no category, so it is not run again.
    """
    ident = config.identifiers
    dates = config.dates
    if name in config.columns:
        action = config.columns[name]
        if action not in ACTIONS:
            raise StageConfigError(f"columns.{name[:40]}: unknown action; expected one of {', '.join(ACTIONS)}")
        return action, "configured", "config"
    override = config.phi_columns.get(name)
    if override is not None:
        if override == "none":
            return "scrub", "none", "config"
        return _action_for(override, config), override, "config"
    spec = dictionary.columns.get(name) if dictionary else None
    if spec is not None and spec.phi:
        kind = spec.phi
        by_kind = {"SUBJECT_ID": "subject", "DATE_OF_BIRTH": "dob", "DATE": dates, "ZIP": "zip3", "AGE": "age",
                   "FREE_TEXT": "scrub", "none": "scrub"}
        return (ident if kind in IDENTIFIER_KINDS else by_kind[kind]), kind, "dictionary"
    norm = _norm(name)
    for kind, words in _HEADER_WORDS:
        if norm in words:
            action = {"subject": "subject", "dob": "dob", "age": "age", "ADDRESS": "address"}.get(kind, ident)
            return action, kind.upper() if kind in ("subject", "dob", "age") else kind, "header"
    if not phi_clear:
        from engine.phi.columns import classify_column as classify_phi_column

        found = classify_phi_column(name, sample)
        if found.category is not None:
            return _action_for(found.category, config), found.category, found.evidence
    if norm.endswith("_date") or norm.startswith("date_") or norm in ("date", "dt") or norm.endswith("_dt"):
        return dates, "DATE", "header"
    values = [v for v in sample if v.strip()]
    if values and sum(1 for v in values if _ISO_DATETIME.match(v)) >= 0.9 * len(values):
        return dates, "DATE", "values"
    if any(word in norm.split("_") for word in _FREE_TEXT_WORDS):
        return "scrub", "FREE_TEXT", "header"
    return "scrub", "none", "default"


def _action_for(category: str, config: DeidentifyConfig) -> str:
    """The action for a column classified as PHI ``category``."""
    return {"ZIP": "zip3", "DATE": config.dates, "ADDRESS": "address", "AGE_OVER_89": "age"}.get(
        category, config.identifiers)


def rescan_categories(columns: list[str]) -> dict[str, str | None]:
    """Columns whose header names a whole-cell category (names, addresses) are not treated whole by
    the rescan: they hold pseudonyms or ZIP3s by now; their cells are still scanned by pattern."""
    out: dict[str, str | None] = {}
    for column in columns:
        matcher = _phi.column_matcher(column)
        if matcher is not None and matcher.whole_cell:
            out[column] = None
    return out


# -- transforms -----------------------------------------------------------------------------------


# Memo bounds: short cells (codes, doses, years, lab values) repeat across rows, so their spans
# are looked up once; long free text rarely repeats and would only fill memory.
_SPAN_MEMO_CHARS = 64
_MEMO_ENTRIES = 1 << 16
_RowIdents = list[tuple[str, str, str]]
"""A row's identifier values to hunt for in its other cells: ``(value, value.lower(), token)``."""


class _Transformer:
    """Per-task state: the key, pseudonym/date-shift/span memos (in memory only), counters."""

    def __init__(self, key: bytes, config: DeidentifyConfig, dictionary: Dictionary | None, today: dt.date) -> None:
        self.key = key
        self.config = config
        self.dictionary = dictionary
        self.today = today
        self.counts: dict[str, int] = {}
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._shifts: dict[str, int] = {}
        self._spans: dict[tuple[str, str, bool], list[_phi.Span]] = {}
        self._name_pseudonyms = config.identifiers == "pseudonym"
        self.restricted_zip3 = frozenset(
            _phi.registry().category("ZIP").params.get("restricted_zip3", ())
        )

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def pseudonym(self, kind: str, value: str) -> str:
        norm = " ".join(value.split()).lower()
        if kind in ("SSN", "PHONE", "MRN"):
            digits = re.sub(r"[^0-9]", "", norm)
            norm = digits or norm
        cache_key = (kind, norm)
        found = self._pseudonyms.get(cache_key)
        if found is None:
            prefix = "SUBJ" if kind == "SUBJECT_ID" else kind[:5]
            found = f"{prefix}_{_letters(keyed_digest(self.key, 'pseudonym:' + kind, norm))}"
            if len(self._pseudonyms) < 2_000_000:
                self._pseudonyms[cache_key] = found
        return found

    def shift_days(self, subject: str) -> int:
        """The subject's date shift (memoized: a subject's rows usually repeat its code)."""
        found = self._shifts.get(subject)
        if found is None:
            span = self.config.max_shift_days
            digest = keyed_digest(self.key, "date-shift", " ".join(subject.split()).lower())
            found = int(digest[:8], 16) % (2 * span + 1) - span or 1
            if len(self._shifts) < _MEMO_ENTRIES:
                self._shifts[subject] = found
        return found

    def date(self, text: str, mode: str, date_format: str | None, shift: int) -> str | None:
        """The date in ``text`` generalised or shifted, or None if it is not a date we can parse."""
        m = _ISO_DATETIME.match(text)
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
            if mode == "year":
                return str(day.year)
            moved = day + dt.timedelta(days=shift)
            return moved.isoformat() + (m.group("rest") or "")
        if date_format:
            day2 = parse_date(text, date_format)
            if day2 is not None:
                return str(day2.year) if mode == "year" else (day2 + dt.timedelta(days=shift)).strftime(date_format)
        return None

    def spans(self, text: str, column: str, broad: bool) -> list[_phi.Span]:
        """``_phi.find_spans`` of a cell, memoized for short cells (spans are immutable)."""
        if len(text) > _SPAN_MEMO_CHARS:
            return _phi.find_spans(text, column=column, broad=broad)
        memo_key = (text, column, broad)
        found = self._spans.get(memo_key)
        if found is None:
            found = _phi.find_spans(text, column=column, broad=broad)
            if len(self._spans) < _MEMO_ENTRIES:
                self._spans[memo_key] = found
        return found

    def scrub(self, text: str, column: str, broad: bool, row_idents: _RowIdents) -> str:
        if not text:
            return text
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
        spans = self.spans(text, column, broad)
        if not spans:
            return text
        for span in spans:
            self.count(span.category)
        if self._name_pseudonyms and any(s.category == "NAME" for s in spans):
            # Names in text get the same keyed pseudonym as in a name column (deterministic from
            # the key and the normalized value, so every partition and file agrees).
            return _phi.replace_spans_with(
                text, spans, lambda span, value: self.pseudonym("NAME", value) if span.category == "NAME"
                else _phi.replacement(span, value))
        return _phi.replace_spans(text, spans)

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


def _letters(hex_digest: str, n: int = 12) -> str:
    """``n`` lowercase letters from a hex digest (~56 bits for 12).

    Letters only, because a pseudonym must not look like what it replaces: with digits in it, a
    pseudonym in an ``mrn`` column is an MRN-shaped value to the scanner's column context.
    """
    value = int(hex_digest[:16], 16)
    out = []
    for _ in range(n):
        value, r = divmod(value, 26)
        out.append(chr(97 + r))
    return "".join(out)


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


# -- per input ------------------------------------------------------------------------------------


@attrs.frozen
class _Plan:
    columns: list[str]
    actions: list[tuple[str, str, str]]


def scanned_clear_columns(profile: DatasetProfile, raw_header: Sequence[str],
                          columns_classified: Mapping[str, str] | None) -> frozenset[str]:
    """Columns that ``phi_scan``'s classification proves unidentified, so deidentify need not redo it.

    ``phi_scan`` lists every column it classified as PHI or that an override named; a column it
    does not list got no category from the same function, header and 200-row sample that
    :func:`classify_column` would use. That holds only for CSV/TSV (other formats are not
    classified there) and for columns whose reported name is the stripped raw header (the name
    phi_scan classified; a renamed duplicate or ``column_N`` is not). Listed columns are always
    recomputed: an override of phi_scan's is not deidentify's, and the evidence is not recorded.
    """
    if columns_classified is None or profile.format not in ("csv", "tsv"):
        return frozenset()
    return frozenset(
        name for name, raw in zip(profile.columns, raw_header, strict=False)
        if name == raw.lstrip("\ufeff").strip() and name not in columns_classified
    )


def _check_config_columns(config: DeidentifyConfig, columns: list[str]) -> None:
    unknown = sorted(set(config.columns) - set(columns))
    if unknown:
        raise StageConfigError(f"columns: no column named {unknown[0][:40]!r} in the input")
    unknown = sorted(set(config.phi_columns) - set(columns))
    if unknown:
        raise StageConfigError(f"phi_columns: no column named {unknown[0][:40]!r} in the input")


def _plan(path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None,
          columns_classified: Mapping[str, str] | None = None) -> tuple[_Plan, tuple[str, ...]]:
    """Each column's action from a sample of the first rows; and the raw header (one pass).

    Errors come in the order they always did: a sampled row's, then the config's, then the header's.
    """
    columns = list(profile.columns)
    samples: list[list[str]] = [[] for _ in columns]
    if not profile.rows:
        _check_config_columns(config, columns)
    with open_table(path, profile, max_field_chars=config.max_field_chars) as reader:
        raw_header = tuple(reader.raw_header)
        if profile.rows:
            for n, row in enumerate(reader):
                if n >= SAMPLE_ROWS:
                    break
                for i in range(len(samples)):
                    samples[i].append(cell(row, i))
    if profile.rows:
        _check_config_columns(config, columns)
    clear = scanned_clear_columns(profile, raw_header, columns_classified)
    actions = [classify_column(c, config, dictionary, samples[i], phi_clear=c in clear) for i, c in enumerate(columns)]
    return _Plan(columns, actions), raw_header


@attrs.frozen
class Prepared:
    """What every partition of one input needs, decided once from the whole input (blocking)."""

    plan: _Plan
    raw_header: tuple[str, ...]
    kept: tuple[int, ...]
    subject_index: int | None
    date_formats: tuple[str | None, ...]
    dataset_shift: int
    today: dt.date
    data_start: int
    ranges: tuple[tuple[int, int, bool], ...]
    """``(start, end, last)`` byte ranges of the data rows; one ``(0, size, True)`` when not split."""
    rescan_columns: tuple[str, ...] = ()
    """Output columns the rescan does not treat as whole cells (see :func:`rescan_categories`)."""

    @property
    def out_columns(self) -> list[str]:
        return [self.plan.columns[i] for i in self.kept]

    @property
    def shifted_columns(self) -> list[str]:
        return [self.plan.columns[i] for i in self.kept if self.plan.actions[i][0] == "shift"]


def prepare_input(
    path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None, key: bytes,
    partition_bytes: int, today: dt.date | None = None, columns_classified: Mapping[str, str] | None = None,
) -> Prepared:
    """Classify the columns (from a sample) and split the input into row-aligned byte ranges.

    ``columns_classified``: ``phi_scan``'s classification of this input, if it ran (see
    :func:`scanned_clear_columns`).
    """
    from engine.executors.partitions import SPLITTABLE_ENCODINGS, plan_byte_ranges

    plan, raw_header = _plan(path, profile, config, dictionary, columns_classified)
    actions = [a for a, _, _ in plan.actions]
    if config.subject_column is not None:
        if config.subject_column not in plan.columns:
            raise StageConfigError(f"subject_column: no column named {config.subject_column[:40]!r}")
        subject_index: int | None = plan.columns.index(config.subject_column)
    else:
        subject_index = next((i for i, a in enumerate(actions) if a == "subject"), None)
    date_formats = tuple(
        dictionary.columns[c].date_format if dictionary and c in dictionary.columns else None for c in plan.columns
    )
    size = path.stat().st_size
    ranges: tuple[tuple[int, int, bool], ...] = ((0, size, True),)
    data_start = 0
    if (size > partition_bytes and profile.format in ("csv", "tsv", "text")
            and profile.encoding.lower() in SPLITTABLE_ENCODINGS):
        table = profile.format != "text"
        data_start, planned = plan_byte_ranges(path, partition_bytes, header=table, quoted=table)
        if len(planned) > 1:
            ranges = tuple((r.start, r.end, r.last) for r in planned)
    tx = _Transformer(key, config, None, today or dt.date.today())
    kept = tuple(i for i, a in enumerate(actions) if a != "drop")
    rescan_columns = tuple(rescan_categories([plan.columns[i] for i in kept]))
    return Prepared(plan, raw_header, kept, subject_index, date_formats, tx.shift_days(profile.sha256), tx.today,
                    data_start, ranges, rescan_columns)


_SENTINEL = "\x1e\x1frflow-partition-end\x1f\x1e"


class _Bounded(io.RawIOBase):
    """``length`` bytes of ``source`` from its position, then ``suffix`` (the partition-end sentinel)."""

    def __init__(self, source: IO[bytes], length: int, suffix: bytes) -> None:
        self._source = source
        self._left = length
        self._suffix = suffix

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._left > 0:
            n = self._source.readinto(view[: min(len(view), self._left)])  # type: ignore[attr-defined]
            if n:
                self._left -= n
                return int(n)
            self._left = 0
        n = min(len(view), len(self._suffix))
        view[:n] = self._suffix[:n]
        self._suffix = self._suffix[n:]
        return n

    def close(self) -> None:
        self._source.close()
        super().close()


class RangeReader(TableReader):
    """The rows of ``[start, end)`` of a CSV/TSV/text file whose header was read elsewhere.

    Why the sentinel: partition boundaries are found by quote parity, the rows by the csv module.
    A line that ends the range is appended to every range but the last; if the csv module does
    not read it back as a row of its own, the range ended inside a quoted field (malformed quoting
    fooled the parity count) and ``split_ok`` turns False: the input is then processed whole.
    """

    def __init__(self, path: Path, fmt: TableFormat, raw_header: tuple[str, ...], start: int, end: int,
                 last: bool, **kwargs: Any) -> None:
        self._span = (start, end, last)
        self._given_header = list(raw_header)
        self.split_ok = True
        super().__init__(path, fmt, **kwargs)

    def _open(self) -> None:
        start, end, last = self._span
        source = self._text.detach()
        source.seek(start)
        check = not last and self.fmt.format != "text"
        raw = _Bounded(source, end - start, b"" if not check else (_SENTINEL + "\n").encode("ascii"))
        encoding = "utf-8" if self.fmt.encoding == "utf-8-sig" else self.fmt.encoding
        self._text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=encoding, errors="strict",
                                      newline="")
        self.raw_header = self._given_header
        self.columns = safe_column_names(self.raw_header)
        if self.fmt.format in ("csv", "tsv"):
            _ensure_csv_limit(self.max_field_chars + 1)
            reader = csv.reader(self._text, delimiter=self.fmt.delimiter or ",", strict=False)
            self._csv = reader
            rows = self._csv_rows(reader)
            self._rows = self._until_sentinel(rows) if check else rows
        else:
            self._rows = self._text_rows()

    def _until_sentinel(self, rows: Iterator[list[str]]) -> Iterator[list[str]]:
        previous: list[str] | None = None
        for row in rows:
            if previous is not None:
                yield previous
            previous = row
        if previous == [_SENTINEL]:
            self.row -= 1
            return
        self.split_ok = False
        if previous is not None:
            yield previous


@attrs.frozen
class DeidPart:
    """One task: a byte range of one input, what to do with each column, where to write.

    Plain data (it crosses processes). The key is a secret, not PHI: it travels with the task and
    never appears in a repr, a task key or a log. Rows are written to ``out`` (a part file in the
    run folder); only counts come back.
    """

    path: str
    start: int
    end: int
    last: bool
    whole: bool
    out: str
    profile: DatasetProfile
    config: DeidentifyConfig
    prepared: Prepared
    key: bytes = attrs.field(repr=False)


def deidentify_part(part: DeidPart) -> dict[str, Any]:
    """Task: de-identify one range into its part file, then rescan the part; counts only.

    Returns ``rows``, ``replacements``, ``rescan`` (counts, first rows relative to the part) and
    ``split_ok``; or ``error`` (a position-only message) with ``rows`` read before it.
    """
    from engine.executors import task_checkpoint

    prep = part.prepared
    tx = _Transformer(part.key, part.config, None, prep.today)
    rows = 0
    try:
        if part.whole:
            reader: TableReader = open_table(Path(part.path), part.profile, max_field_chars=part.config.max_field_chars,
                                             checkpoint=task_checkpoint)
        else:
            fmt = TableFormat(format=part.profile.format, encoding=part.profile.encoding,
                              delimiter=part.profile.delimiter, has_bom=part.profile.has_bom)
            reader = RangeReader(Path(part.path), fmt, prep.raw_header, part.start, part.end, part.last,
                                 max_field_chars=part.config.max_field_chars, checkpoint=task_checkpoint)
        with reader, open(part.out, "w", encoding="utf-8", newline="") as fh:
            rows = _transform(reader, csv.writer(fh, lineterminator="\n"), prep, tx)
    except TabularError as exc:
        return {"error": str(exc), "rows": rows}
    split_ok = getattr(reader, "split_ok", True)
    skip = {c: {"DATE"} for c in prep.shifted_columns}
    categories: dict[str, str | None] = dict.fromkeys(prep.rescan_columns)
    check = _rescan_part(Path(part.out), tuple(prep.out_columns), skip, part.key, categories) if split_ok else None
    return {"rows": rows, "replacements": tx.counts, "rescan": check, "split_ok": split_ok}


def _transform(reader: TableReader, writer: Any, prep: Prepared, tx: _Transformer) -> int:
    """Write the de-identified rows; returns how many.

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
    dataset_shift = prep.dataset_shift
    dob_cutoff = tx.today.year - 89
    restricted_zip3 = tx.restricted_zip3
    count = tx.count
    scrub = tx.scrub
    writerow = writer.writerow
    rows = 0
    for row in reader:
        rows += 1
        width = len(row)
        idents = _row_identifiers(row, ident_cols) if ident_cols else []
        subject = (row[subject_index].strip() if subject_index < width else "") if subject_index is not None else ""
        shift = tx.shift_days(subject) if subject else dataset_shift
        out: list[str] = []
        for i, action, kind, column, broad, date_format in columns:
            text = row[i] if i < width else ""
            if action == "keep" or not text.strip():
                out.append(text)
            elif action == "scrub":  # the plan decided the column is not identifying: spans only, no header guess
                out.append(scrub(text, "", broad, idents))
            elif action == "pseudonym":
                out.append(tx.pseudonym(kind, text))
                count("pseudonyms")
            elif action == "subject":
                out.append(tx.pseudonym("SUBJECT_ID", text))
                count("pseudonyms")
            elif action in ("year", "shift"):
                new = tx.date(text, action, date_format, shift)
                if new is None:
                    out.append(scrub(text, column, True, idents))
                    count("unparsed_dates")
                else:
                    out.append(new)
                    count("dates_shifted" if action == "shift" else "dates_generalized")
            elif action == "dob":
                year = tx.date(text, "year", date_format, 0)
                if year is None:
                    out.append(scrub(text, column, True, idents))
                    count("unparsed_dates")
                elif int(year) < dob_cutoff:
                    out.append("")
                    count("birth_years_suppressed")
                else:
                    out.append(year)
                    count("dates_generalized")
            elif action == "address":
                out.append(tx.address(text))
            elif action == "zip3":
                m = _ZIP_RE.match(text)
                if m:
                    prefix = m.group(1)[:3]
                    out.append("000" if prefix in restricted_zip3 else prefix)
                    count("zip_truncated")
                else:
                    out.append("")
                    count("zip_removed")
            elif action == "age":
                m = _INT_RE.match(text)
                if m and int(m.group(1)) > 89:
                    out.append("90+")
                    count("ages_grouped")
                elif m:
                    out.append(text.strip())
                else:
                    out.append(scrub(text, column, False, idents))
            else:  # an action classify_column does not produce (drop columns are not kept)
                out.append(scrub(text, "", broad, idents))
        writerow(out)
    return rows


def _rescan_part(path: Path, header: tuple[str, ...], skip: dict[str, set[str]], key: bytes,
                 categories: Mapping[str, str | None]) -> dict[str, Any]:
    """Scan a headerless part of the copy with the PHI scanner, as the whole copy would be scanned.

    ``categories``: :func:`rescan_categories` of the header, decided once per input.
    """
    from engine.executors import task_checkpoint
    from engine.phi import scan_range

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    size = path.stat().st_size
    findings = scan_range(path, 0, size, format="csv", header=header, key=key,
                          categories=categories) if size else iter(())
    for n, finding in enumerate(findings):
        if n % 4096 == 0:
            task_checkpoint()
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and len(first_rows) < 10 and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {"by_category": by_category, "by_column": by_column, "first_rows": first_rows}


def plan_parts(path: Path, profile: DatasetProfile, config: DeidentifyConfig, prepared: Prepared, key: bytes,
               parts_dir: Path, whole: bool = False) -> list[DeidPart]:
    """The tasks of one input: one per byte range, or one for the whole file."""
    if whole or len(prepared.ranges) == 1:
        return [DeidPart(str(path), 0, path.stat().st_size, True, True, str(parts_dir / "whole.csv"), profile,
                         config, prepared, key)]
    return [DeidPart(str(path), start, end, last, False, str(parts_dir / f"{i:05d}.csv"), profile, config,
                     prepared, key)
            for i, (start, end, last) in enumerate(prepared.ranges)]


_ROW_RE = re.compile(r"data row ([0-9]+)")


def _shift_rows(message: str, base: int) -> str:
    """A part's position-only error message with its row numbers made global."""
    return _ROW_RE.sub(lambda m: f"data row {int(m.group(1)) + base}", message)


def merge_parts(parts: list[DeidPart], results: list[dict[str, Any]], out_path: Path, key: bytes) -> dict[str, Any]:
    """Concatenate the parts under one header (hashing as it goes), rescan the header, sum the counts.

    Raises the first part's error in file order, its row number made global.
    """
    prior = 0
    for res in results:
        if "error" in res:
            raise TabularError(_shift_rows(res["error"], prior))
        prior += res["rows"]
    prep = parts[0].prepared
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(prep.out_columns)
    header = line.getvalue().encode("utf-8")
    digest = hashlib.sha256(header)
    with atomic_output(out_path, newline="") as out:
        out.flush()
        raw: IO[bytes] = out.buffer  # type: ignore[attr-defined]
        raw.write(header)
        for part in parts:
            with open(part.out, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    raw.write(block)
    skip = {c: {"DATE"} for c in prep.shifted_columns}
    replacements: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    checks = [(0, _rescan_header(out_path, len(header), skip, key))]
    offset = 0
    for res in results:
        for k, v in res["replacements"].items():
            replacements[k] = replacements.get(k, 0) + v
        checks.append((offset, res["rescan"]))
        offset += res["rows"]
    for base, check in checks:
        for k, v in check["by_category"].items():
            by_category[k] = by_category.get(k, 0) + v
        for k, v in check["by_column"].items():
            by_column[k] = by_column.get(k, 0) + v
        for row in check["first_rows"]:
            if len(first_rows) < 10 and row + base not in first_rows:
                first_rows.append(row + base)
    return {
        "rows": prior,
        "sha256": digest.hexdigest(),
        "replacements": dict(sorted(replacements.items())),
        "rescan": {"residual_findings": sum(by_category.values()), "by_category": by_category,
                   "by_column": by_column, "first_rows": first_rows},
    }


def _rescan_header(path: Path, header_len: int, skip: dict[str, set[str]], key: bytes) -> dict[str, Any]:
    from engine.phi import scan_range

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    for finding in scan_range(path, 0, header_len, format="csv", key=key, categories={}):
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {"by_category": by_category, "by_column": by_column, "first_rows": first_rows}


def describe_input(prep: Prepared) -> dict[str, Any]:
    """The metadata of one input's de-identification that does not depend on its rows."""
    plan = prep.plan
    actions = [a for a, _, _ in plan.actions]
    return {
        "columns": prep.out_columns,
        "columns_dropped": [plan.columns[i] for i, a in enumerate(actions) if a == "drop"],
        "actions": {plan.columns[i]: {"action": a, "kind": k, "evidence": e} for i, (a, k, e) in
                    enumerate(plan.actions)},
        "shifted_columns": prep.shifted_columns,
        "subject_column": plan.columns[prep.subject_index] if prep.subject_index is not None else None,
    }


def deidentify_input(
    path: Path, out_path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None,
    key: bytes, checkpoint: Callable[[], None] | None = None, today: dt.date | None = None,
) -> dict[str, Any]:
    """Write the de-identified copy of one input in this thread (blocking); metadata about it."""
    prep = prepare_input(path, profile, config, dictionary, key, 1 << 62, today)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        parts = plan_parts(path, profile, config, prep, key, Path(tmp))
        results = [deidentify_part(p) for p in parts]
        merged = merge_parts(parts, results, out_path, key)
    return {**describe_input(prep), "rows": merged["rows"], "replacements": merged["replacements"],
            "rescan": merged["rescan"], "sha256": merged["sha256"]}


def rescan(path: Path, skip: dict[str, set[str]], key: bytes,
           checkpoint: Callable[[], None] | None = None) -> dict[str, Any]:
    """Scan the written copy with the PHI scanner itself (not the code that scrubbed it).

    ``skip`` maps column -> categories accepted there by design (shifted dates).
    """
    from engine.phi import scan_file

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    from engine.phi.columns import classify_file

    columns = [c.column for c in classify_file(path, "csv", sample_rows=0)]
    for n, finding in enumerate(scan_file(path, "csv", key=key, categories=rescan_categories(columns))):
        if checkpoint is not None and n % 4096 == 0:
            checkpoint()
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and len(first_rows) < 10 and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {
        "residual_findings": sum(by_category.values()),
        "by_category": by_category,
        "by_column": by_column,
        "first_rows": first_rows,
    }


def _resolve_key(context: StageContext) -> tuple[bytes, str]:
    if context.phi_key:
        return context.phi_key, "run"
    from engine.phi import resolve_key

    key = resolve_key()
    return key.key, key.source


@register_stage
class Deidentify:
    """Write a de-identified copy of every input, then rescan it."""

    stage_id = 6
    stage_name = "De-identify"
    key = "deidentify"
    version = "1.0.0"
    reads = (InputDataset, DatasetProfile)
    optional_reads = (PhiFindingsSummary,)
    """phi_scan's column classification, when it ran, spares re-classifying columns it proved clear."""
    writes = (DeidentifiedDataset,)
    modes = (ANY_MODE,)
    Config = DeidentifyConfig
    removes_phi = True

    async def execute(self, context: StageContext) -> StageResult:
        config: DeidentifyConfig = context.config
        try:
            dictionary = await context.run_blocking(load_dictionary, config.dictionary) if config.dictionary else None
        except StageConfigError as exc:
            return StageResult.failed(f"config dictionary: {exc}")
        bad = sorted(a for a in config.columns.values() if a not in ACTIONS)
        if bad:
            return StageResult.failed(f"config columns: unknown action(s); expected one of {', '.join(ACTIONS)}")
        names = {d.name for _, d in input_entities(context.world)}
        unknown = sorted(set(config.inputs) - names)
        if unknown:
            return StageResult.failed(f"config inputs: no input named {unknown[0][:40]!r}")
        key, key_source = _resolve_key(context)
        warnings: list[str] = []
        if key_source == "random":
            warnings.append("no PHI key configured: pseudonyms and date shifts are stable within this run only")
        if config.dates == "shift":
            warnings.append("dates are shifted, not generalised to the year: not HIPAA Safe Harbor")
        outputs: dict[str, Any] = {}
        artifacts: list[str] = []
        errors: list[str] = []
        # Decide each input's column actions and byte ranges here, run every input's partitions as
        # one batch on the run's executor, then merge each input in file order.
        today = dt.date.today()
        parts_root = context.workspace / ".parts" / safe_slug(context.step_id or self.key)
        jobs: list[tuple[str, Any, Path, Prepared, list[DeidPart]]] = []
        try:
            for entity, dataset in input_entities(context.world):
                if config.inputs and dataset.name not in config.inputs:
                    continue
                profile = context.world.get(entity, DatasetProfile)
                if profile is None:
                    warnings.append(f"input {dataset.name!r} has no profile (upload failed?); not de-identified")
                    continue
                out_path = context.artifact_path(f"deidentified/{safe_slug(dataset.name)}.csv")
                parts_dir = parts_root / f"{len(jobs):04d}"
                parts_dir.mkdir(parents=True, exist_ok=True)
                scanned = context.world.get(entity, PhiFindingsSummary)
                try:
                    prep = await context.run_blocking(
                        prepare_input, input_path(dataset), profile, config, dictionary, key,
                        context.partition_bytes, today, scanned.columns_classified if scanned else None)
                except (StageConfigError, TabularError) as exc:
                    return StageResult.failed(f"input {dataset.name!r}: {exc}")
                parts = plan_parts(input_path(dataset), profile, config, prep, key, parts_dir)
                jobs.append((entity, dataset, out_path, prep, parts))
            label = context.step_id or self.key
            done = await context.map_tasks(deidentify_part, [p for *_, parts in jobs for p in parts], label=label)
            per_job: list[list[dict[str, Any]]] = []
            for *_, parts in jobs:
                per_job.append(done[:len(parts)])
                done = done[len(parts):]
            # A range that ended inside a quoted field (malformed quoting) is redone whole.
            redo = [n for n, results in enumerate(per_job) if not all(r.get("split_ok", True) for r in results)]
            if redo:
                for n in redo:
                    entity, dataset, out_path, prep, _ = jobs[n]
                    whole = plan_parts(input_path(dataset), jobs[n][4][0].profile, config, prep, key,
                                       parts_root / f"{n:04d}", whole=True)
                    jobs[n] = (entity, dataset, out_path, prep, whole)
                again = await context.map_tasks(deidentify_part, [jobs[n][4][0] for n in redo], label=label)
                for n, result in zip(redo, again, strict=True):
                    per_job[n] = [result]
            for (entity, dataset, out_path, prep, parts), results in zip(jobs, per_job, strict=True):
                try:
                    merged = await context.run_blocking(merge_parts, parts, results, out_path, key)
                except (StageConfigError, TabularError) as exc:
                    return StageResult.failed(f"input {dataset.name!r}: {exc}")
                meta = describe_input(prep)
                check = merged["rescan"]
                sha = merged["sha256"]
                rel = relative_to_workspace(out_path, context.workspace)
                outputs[dataset.name] = {
                    "path": rel, "sha256": sha, "rows": merged["rows"], "columns": len(meta["columns"]),
                    "columns_dropped": meta["columns_dropped"], "actions": meta["actions"],
                    "replacements": merged["replacements"], "rescan": check,
                }
                if check["residual_findings"]:
                    shown = format_counts(check["by_category"])
                    message = (f"input {dataset.name!r}: the rescan of the de-identified copy found "
                               f"{check['residual_findings']} PHI finding(s) ({shown})")
                    if config.fail_on_residual:
                        # A copy that failed its rescan is not de-identified: it must not stay behind.
                        out_path.unlink(missing_ok=True)
                        outputs[dataset.name].update(path=None, sha256=None)
                        errors.append(message + "; the copy was deleted")
                        continue
                    warnings.append(message)
                artifacts.append(rel)
                context.world.add(
                    entity,
                    DeidentifiedDataset(
                        path=rel, sha256=sha, rows=merged["rows"], columns=tuple(meta["columns"]),
                        columns_dropped=tuple(meta["columns_dropped"]), replacements=merged["replacements"],
                        residual_findings=check["residual_findings"],
                    ),
                )
                context.logger.info("de-identified input %s: %d rows", dataset.name, merged["rows"])
        finally:
            shutil.rmtree(parts_root, ignore_errors=True)
            with contextlib.suppress(OSError):
                parts_root.parent.rmdir()  # .parts, once no step uses it
        output = {
            "inputs": outputs,
            "residual_findings": sum(o["rescan"]["residual_findings"] for o in outputs.values()),
            "key_source": key_source,
            "dates": config.dates,
            "identifiers": config.identifiers,
        }
        if errors:
            return StageResult.failed(*errors, output=output, artifacts=artifacts, warnings=warnings)
        return StageResult.completed(output, artifacts=artifacts, warnings=warnings)
