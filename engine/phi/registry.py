"""Load the canonical PHI registry and compile it into matchers (reading and checking the file:
:mod:`engine.phi.registry_check`).

Everything in rflow that recognizes PHI is derived from ``registry.yaml`` through this module:
one combined alternation per tier (a single pass over the text finds every category, far faster
than pattern-by-pattern), compiled for both ``str`` (sanitizer) and ``bytes`` (file scanner).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from engine.phi import core_plan
from engine.phi.errors import PhiRegistryError
from engine.phi.fastform import case_trie, expand_ignorecase_words, fast_form
from engine.phi.label_rule import LabelGrammar, LabelRule, label_order
from engine.phi.native_lazy import deferred_compile, lazy_compile
from engine.phi.normalize import FOLD
from engine.phi.registry_check import line_of, read_bytes, read_document, validate_document
from engine.phi.senses import LabelSenses
from engine.phi.validators import NORMALIZERS, VALIDATORS

Tier = Literal["scan", "guard"]
DEFAULT_REGISTRY = Path(__file__).with_name("registry.yaml")

_COLUMN_TAIL = ("number", "no", "num", "nbr", "id")


@attrs.frozen
class Category:
    """One PHI category as declared in the registry (metadata only, no compiled state)."""

    name: str
    letter: str
    identifier: str
    description: str
    token: str
    confidence: float
    normalize: str
    labels: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    value_regex: str | None = None
    value_validators: tuple[str, ...] = ()
    params: Mapping[str, Any] = attrs.field(factory=dict)
    pattern_ids: tuple[str, ...] = ()
    whole_cell: bool = False
    """Every non-empty cell of a column of this category is PHI (names, addresses, cities)."""
    headers: tuple[str, ...] = ()
    """Normalized column names that name a column of this category by themselves, matched whole."""

    @property
    def labelled(self) -> bool:
        """True when the category has context labels (only PHI next to a label or in a column)."""
        return bool(self.labels or self.columns)


@attrs.frozen
class CompiledPattern:
    """One alternative of a tier's combined regex, with what to run on its match."""

    id: str
    category: Category
    tier: str
    source: str
    validators: tuple[Callable[[str], bool], ...]
    normalizer: Callable[[str], str]
    value_group: int | None
    str_re: re.Pattern[str]
    bytes_re: re.Pattern[bytes]
    group: int = 0
    has_value: bool = False
    """True when the pattern has a ``value`` group (the finding is that group, not the whole match)."""
    left: str = "[A-Za-z0-9]"
    """The declared left boundary: a character class that must not precede the match."""
    reject_after: re.Pattern[str] | None = None
    """Declared exclusion words: a match followed by one of them is rejected (checked in code)."""
    reject_after_bytes: re.Pattern[bytes] | None = None
    senses: LabelSenses | None = None
    """For a labelled pattern: label words that, in another sense, introduce no value (checked in code)."""
    label: LabelRule | None = None
    """For a labelled pattern: its declared parts, which the native core decides it from."""


@attrs.frozen
class CompiledTier:
    """The combined regex of a tier and, per outer group index, the pattern that produced it."""

    name: str
    patterns: tuple[CompiledPattern, ...]
    str_re: re.Pattern[str]
    bytes_re: re.Pattern[bytes]
    by_group: tuple[CompiledPattern | None, ...]
    # For each pattern (same order as ``patterns``), its position in ``patterns``.
    position: Mapping[str, int]


@attrs.frozen
class ColumnMatcher:
    """Cells of a labelled column: fullmatch of the category's value regex plus its validators."""

    category: Category
    str_re: re.Pattern[str]
    bytes_re: re.Pattern[bytes]
    validators: tuple[Callable[[str], bool], ...]
    normalizer: Callable[[str], str]

    @property
    def whole_cell(self) -> bool:
        """True when every non-empty cell of the column is PHI, whatever it holds."""
        return self.category.whole_cell


# A whole-cell column accepts any non-empty cell (the scanner strips spaces and quotes first).
_ANY_CELL = "(?s:.+)"


@attrs.frozen
class PhiRegistry:
    """The loaded registry: categories in priority order and the two compiled tiers."""

    version: str
    categories: tuple[Category, ...]
    scan: CompiledTier
    guard: CompiledTier
    column_matchers: Mapping[str, ColumnMatcher]
    source: str
    prefilter: re.Pattern[str]
    sha256: str | None = None
    """SHA-256 of the file's bytes when loaded from a file (None for a document built in memory)."""

    def category(self, name: str) -> Category:
        """The category called ``name`` (KeyError if unknown)."""
        for cat in self.categories:
            if cat.name == name:
                return cat
        raise KeyError(name)

    def tier(self, name: Tier) -> CompiledTier:
        """The compiled ``scan`` or ``guard`` tier."""
        return self.scan if name == "scan" else self.guard

    def column_category(self, column: str | None) -> ColumnMatcher | None:
        """The matcher for a column whose name labels it as a PHI category, if any."""
        if not column:
            return None
        tokens = normalize_column(column).split("_")
        candidates = [tokens]
        if len(tokens) > 1 and tokens[-1] in _COLUMN_TAIL:
            candidates.append(tokens[:-1])
        if "of" in tokens[1:]:  # "County of residence", "Date of birth": the head noun names the column
            candidates.append(tokens[: tokens.index("of")])
        words, longest = _column_words(self)
        best: int | None = None
        for c in candidates:
            for k in range(1, min(len(c), longest) + 1):
                rank = words.get(tuple(c[-k:]))
                if rank is not None and (best is None or rank < best):
                    best = rank
        return None if best is None else self.column_matchers[self.categories[best].name]

    def header_category(self, normalized: str) -> str | None:
        """The category whose ``headers`` hold the normalized column name ``normalized`` exactly, or None.

        Unlike :meth:`column_category` (a column word ending the name), only the whole name counts:
        de-identification decides such a column by its name alone, before its type or its cells.
        """
        for cat in self.categories:
            if normalized in cat.headers:
                return cat.name
        return None


_COLUMN_WORDS: dict[int, tuple[PhiRegistry, dict[tuple[str, ...], int], int]] = {}


def _column_words(registry: PhiRegistry) -> tuple[dict[tuple[str, ...], int], int]:
    """Each column word of a category with a matcher (as tokens) -> the first such category's
    index, and the longest word's length: :meth:`PhiRegistry.column_category` looks up the name's
    endings instead of trying every word of every category (it runs for every column of an input)."""
    hit = _COLUMN_WORDS.get(id(registry))
    if hit is not None and hit[0] is registry:
        return hit[1], hit[2]
    words: dict[tuple[str, ...], int] = {}
    for rank, cat in enumerate(registry.categories):
        if cat.name in registry.column_matchers:
            for word in cat.columns:
                words.setdefault(tuple(word.split("_")), rank)
    longest = max((len(w) for w in words), default=0)
    _COLUMN_WORDS[id(registry)] = (registry, words, longest)
    return words, longest


def normalize_column(name: str) -> str:
    """``patientId`` / ``Patient ID`` / ``patient-id`` -> ``patient_id``; accents folded, so that the
    registry's ASCII column words name ``Prénom``, ``Straße``, ``Teléfono``, ``Miejscowość`` too."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name.translate(FOLD))
        name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --- compiling ----------------------------------------------------------------------------------


def _label_regex(labels: Sequence[str], doc: Mapping[str, Any]) -> str:
    """Labels as one alternation, longest first, spaces also matching '_' or '-', then the window."""
    words = label_order(labels)
    bound = doc["label_boundary"]
    # A label word is followed by a separator, or glued to a value of label_boundary.glued form
    # (MRN04857211); a label ending in '#' or '/' is its own separator.
    glued = f"(?:(?!{bound['after_label']})(?![0-9])|(?={bound['glued']}(?!{bound['right']})))"
    alts = [
        case_trie([w]).replace("\\ ", "[ \\t_-]?") + (glued if w[-1].isalnum() else f"(?!{bound['after_label']})")
        for w in words
    ]
    out = f"(?<!{bound['left']})(?:" + "|".join(alts) + ")"
    window = doc["label_window"]
    if window["max_words"] and (window["words"] or "word" in window):
        # A window word is a listed filler (any case) or, when ``word`` is declared, any word of that
        # form ("zip code where she lives is 05885"); ``punctuation`` may stand before a word and a
        # closing parenthesis after it ("registration no. (per front desk) KZ-71581").
        alts = [case_trie(sorted(window["words"], key=len, reverse=True))] if window["words"] else []
        alts += [f"(?:{window['word']})"] if "word" in window else []
        punct = f"(?:{window['punctuation']}[ \\t]*){{0,2}}" if "punctuation" in window else "[:#=-]?[ \\t]*"
        # A window word ends where a value would: "A-0101" is one token, not the word "A" and a value.
        out += f"(?:\\.?[ \\t]*{punct}(?:{'|'.join(alts)})(?!{bound['right']})\\)?){{0,{window['max_words']}}}"
    return out


def compose(pattern: Mapping[str, Any]) -> str:
    """The Python ``re`` form of a registry pattern: its declared boundaries as lookarounds.

    Python's backtracking engine applies them natively; an engine without lookaround applies the
    same declared fields around its match instead (see :mod:`engine.phi.dialect`).
    """
    bound = pattern["boundary"]
    src = f"(?<!{bound['left']})" + pattern["regex"]
    if "right" in bound:
        src += f"(?!{bound['right']})"
    if "followed_by" in pattern:
        src += f"(?={pattern['followed_by']})"
    return src


def _reject_after(pattern: Mapping[str, Any]) -> str | None:
    rule = pattern.get("not_followed_by")
    if not rule:
        return None
    words = "|".join(re.escape(w).replace("\\ ", "[ \\t]+") for w in sorted(rule["words"], key=len, reverse=True))
    return f"{rule.get('gap', '')}(?i:{words})(?:[^A-Za-z]|$)"


def _tier_numbering(patterns: Sequence[CompiledPattern]) -> tuple[int, dict[str, int]]:
    """Group numbers of a tier's combined alternation, from its patterns' own numbering.

    Both spellings of the alternation (:func:`fast_form` and the plain one) hold the same capturing
    groups in the same order: per pattern ``(?P<p{i}>`` then its groups, ``value`` renamed
    ``p{i}v``; every other group they add is non-capturing.
    """
    index: dict[str, int] = {}
    count = 0
    for i, pat in enumerate(patterns):
        count += 1
        index[f"p{i}"] = count
        value = pat.str_re.groupindex.get("value")
        if value is not None:
            index[f"p{i}v"] = count + value
        count += pat.str_re.groups
    return count, index


def _compile_tier(name: str, patterns: list[CompiledPattern]) -> CompiledTier:
    sources = [p.source for p in patterns]

    @functools.cache
    def combined() -> str:
        # Spelt out only where the Python path runs the tier (the core compiles the patterns).
        return fast_form(sources) or "|".join(
            f"(?P<p{i}>{src.replace('(?P<value>', f'(?P<p{i}v>')})" for i, src in enumerate(sources)
        )

    numbering = _tier_numbering(patterns)
    str_re = deferred_compile(combined, re.ASCII, numbering)
    bytes_re = deferred_compile(lambda: combined().encode("ascii"), 0, numbering)
    rebuilt = tuple(
        attrs.evolve(p, value_group=str_re.groupindex.get(f"p{i}v"), group=str_re.groupindex[f"p{i}"])
        for i, p in enumerate(patterns)
    )
    by_group: list[CompiledPattern | None] = [None] * (str_re.groups + 1)
    for pat in rebuilt:
        by_group[pat.group] = pat
    position = {p.id: i for i, p in enumerate(rebuilt)}
    return CompiledTier(name, rebuilt, str_re, bytes_re, tuple(by_group), position)


def build_registry(
    doc: Mapping[str, Any], source: str = "<memory>", *, checked: bool = False, data: bytes | None = None
) -> PhiRegistry:
    """Compile a registry document into categories and tiers, refusing one that fails validation.

    ``checked`` skips the validation only for a document already known valid: the bundled file
    whose bytes the native core was built from (see :func:`_bundled_and_checked`). ``data``, the
    file's bytes, gives each problem of a refused document its line.
    """
    problems = [] if checked else validate_document(doc)
    if problems and data is not None:
        problems = [line_of(data, p) for p in problems[:5]] + problems[5:]
    if problems:
        shown = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        raise PhiRegistryError(f"invalid PHI registry {source}: {shown}")
    sep = doc["label_separator"]
    senses = LabelSenses.from_doc(doc.get("label_senses"))
    grammar = LabelGrammar.from_doc(doc)
    rules: dict[str, LabelRule] = {}
    categories: list[Category] = []
    all_patterns: list[CompiledPattern] = []
    column_matchers: dict[str, ColumnMatcher] = {}
    for raw in doc["categories"]:
        context = raw.get("context", {})
        value = raw.get("value")
        cat = Category(
            name=raw["name"],
            letter=raw["safe_harbor"]["letter"],
            identifier=raw["safe_harbor"]["identifier"],
            description=" ".join(raw["description"].split()),
            token=raw["token"],
            confidence=float(raw["confidence"]),
            normalize=raw["normalize"],
            labels=tuple(context.get("labels", ())),
            columns=tuple(context.get("columns", ())),
            value_regex=value["regex"] if value else None,
            value_validators=tuple(value.get("validators", ())) if value else (),
            params=dict(raw.get("params", {})),
            pattern_ids=tuple(p["id"] for p in raw["patterns"]),
            whole_cell=bool(context.get("whole_cell", False)),
            headers=tuple(context.get("headers", ())),
        )
        categories.append(cat)
        normalizer = NORMALIZERS[cat.normalize]
        specs: list[tuple[str, str, str, Sequence[str], str, str | None, LabelSenses | None]] = []
        if value and cat.labels:
            # A value never stops inside a hyphenated token (a UUID segment after "dea" is no licence).
            bound = doc["label_boundary"]
            labelled = f"{_label_regex(cat.labels, doc)}{sep}(?P<value>{value['regex']})(?!{bound['right']})"
            pid = f"{cat.name.lower().replace('_', '-')}-labelled"
            counted = _reject_after({"not_followed_by": doc.get("label_value_not_followed_by")})
            specs.append((pid, "scan", labelled, cat.value_validators, bound["left"], counted, senses))
            rules[pid] = LabelRule(tuple(label_order(cat.labels)), value["regex"], grammar)
        specs.extend(
            (p["id"], p["tier"], compose(p), p.get("validators", ()), p["boundary"]["left"], _reject_after(p), None)
            for p in raw["patterns"]
        )
        for pid, tier, raw_src, vals, left, after, label_senses in specs:
            src = expand_ignorecase_words(raw_src)
            compiled = lazy_compile(src, re.ASCII)
            all_patterns.append(
                CompiledPattern(
                    id=pid,
                    category=cat,
                    tier=tier,
                    source=src,
                    validators=tuple(VALIDATORS[v] for v in vals),
                    normalizer=normalizer,
                    value_group=None,
                    str_re=compiled,
                    bytes_re=lazy_compile(src.encode("ascii"), 0, (compiled.groups, compiled.groupindex)),
                    has_value="value" in compiled.groupindex,
                    left=left,
                    reject_after=lazy_compile(after, re.ASCII) if after else None,
                    reject_after_bytes=lazy_compile(after.encode("ascii")) if after else None,
                    senses=label_senses,
                    label=rules.get(pid),
                )
            )
        if cat.columns and (value or cat.whole_cell):
            full = _ANY_CELL if cat.whole_cell else f"(?:{value['regex']})"
            column_matchers[cat.name] = ColumnMatcher(
                category=cat,
                str_re=re.compile(full, re.ASCII),
                bytes_re=re.compile(full.encode("ascii")),
                validators=tuple(VALIDATORS[v] for v in cat.value_validators),
                normalizer=normalizer,
            )
    scan = _compile_tier("scan", [p for p in all_patterns if p.tier == "scan"])
    guard = _compile_tier("guard", all_patterns)
    return PhiRegistry(
        version=str(doc["metadata"]["version"]),
        categories=tuple(categories),
        scan=scan,
        guard=guard,
        column_matchers=column_matchers,
        source=source,
        prefilter=re.compile(doc["prefilter"], re.ASCII),
    )


def _bundled_and_checked(path: Path, sha256: str) -> bool:
    """True when the bytes of SHA-256 ``sha256`` are the bundled registry the loaded native core was built from.

    Those exact bytes are validated by the test suite (tests/phi/test_registry.py validates the
    bundled file, tests/phi/test_native.py that the core embeds it), so validating them again at
    every start-up only costs time (jsonschema's import and run, about 0.13 s). Any other file,
    an edited bundled file, or a process without the core loaded is validated. The core is
    only consulted once something else imported it: ``rflow validate`` never loads it.
    """
    core = sys.modules.get("engine._native")
    if core is None or path.resolve() != DEFAULT_REGISTRY.resolve():
        return False
    return bool(core.registry_sha256() == sha256)


def _document(path: Path, data: bytes, sha256: str) -> Any:
    """The document in ``data``: shipped as data when :mod:`engine.phi.core_plan` was made from
    these very bytes (no YAML parser at start-up), else parsed."""
    plan = core_plan.shipped()
    if plan is not None and plan["registry_sha256"] == sha256:
        return plan["registry"]
    return read_document(path, data)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> PhiRegistry:
    p = Path(path)
    data = read_bytes(p)
    sha256 = hashlib.sha256(data).hexdigest()
    built = build_registry(
        _document(p, data, sha256), source=p.name, checked=_bundled_and_checked(p, sha256), data=data
    )
    return attrs.evolve(built, sha256=sha256)


def load_registry(path: str | Path | None = None) -> PhiRegistry:
    """The compiled registry (the canonical one by default); cached per path, the one cache of it.

    Span lookups call this for every cell, so the default builds no new path object.
    """
    return _load_cached(str(DEFAULT_REGISTRY) if path is None else str(Path(path)))
