"""Read a manifest file safely and load it with ruamel.yaml round-trip, keeping positions.

Why so defensive: a manifest is untrusted input that CI validates. The loader refuses, with a
precise position, anything that makes YAML ambiguous or dangerous: oversized files, bytes that are
not UTF-8, tabs in indentation, several documents, duplicate keys, non-string keys, explicit tags,
deep nesting and alias bombs. One parse (ruamel's pure-Python ``safe`` pipeline, YAML 1.2) and
one walk over its nodes (:class:`engine.manifest.nodes.NodeWalker`) give:

* a :class:`~engine.manifest.positions.SourceMap` with start and end of every node,
* plain JSON-like data (dict/list/str/int/float/bool/None, dates left as dates) to validate;

and, on demand, the ruamel round-trip document (comments, order and quoting kept) for editing
tools, parsed from the same text.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import warnings
from pathlib import Path
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.docinfo import DocInfo
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from engine.core.configfile import ConfigFileError, read_config_bytes
from engine.core.display import display_name
from engine.core.errors import safe_excerpt
from engine.manifest.diagnostics import Diagnostic
from engine.manifest.nodes import MAX_NODES, NodeWalker, diag
from engine.manifest.nodes import LoadError as LoadError
from engine.manifest.nodes import unsafe_value as unsafe_value
from engine.manifest.positions import SourceMap

try:  # the C scanner and parser (ruamel.yaml.clib); without it every file takes the pure path
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover - CPython wheels ship it
    _CParser = None

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_ALIASES = 20
"""Aliases per document: enough to share a config block, far too few for an alias bomb."""
MAX_DEPTH = 48

_SLOW_PATH_RE = re.compile(
    r"^%"  # a directive: the C scanner does not record %YAML/%TAG
    r"|[|>][-+0-9]*#"  # a block scalar header and a comment without a space
    r"|[|>][-+0-9]* *(?:#.*)?\n(?: *\n)* +\n"  # a block scalar starting with a line of spaces only
    r"|[!&\t\r\x85\u2028\u2029]",  # tags, anchors, tabs, and line breaks other than \n
    re.MULTILINE,
)
"""What the C scanner reads differently from the pure one (found by tests/manifest/test_loader_fast_path.py)."""
_QUOTED_RE = re.compile(r"""(?<![^\s(])(['"])([^'"]{5,}?)\1(?![^\s,.;:)])""")


@attrs.define
class LoadedDocument:
    """The result of loading one manifest source; ``diagnostics`` holds loader problems only."""

    name: str
    path: Path | None
    text: str
    sha256: str
    data: Any = None
    source_map: SourceMap = attrs.field(factory=SourceMap)
    diagnostics: list[Diagnostic] = attrs.field(factory=list)

    _document: Any = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def document(self) -> Any:
        """The ruamel round-trip document (``CommentedMap``), parsed on first use (None if invalid)."""
        if self._document is None and self.ok and self.text:
            self._document = round_trip_load(self.text)
        return self._document


def make_yaml() -> Any:
    """The ruamel ``YAML`` instance configured like the loader (round-trip, YAML 1.2)."""

    yaml = YAML(typ="rt")
    yaml.max_depth = MAX_DEPTH
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of shipped manifests ("  - id: ...")
    yaml.width = 4096  # never re-wrap long lines on dump
    return yaml


def _safe_problem(text: str | None) -> str:
    """A parser message without long quoted source excerpts (they may hold data)."""
    cleaned = _QUOTED_RE.sub("'…'", (text or "").strip())
    return safe_excerpt(" ".join(cleaned.split()), 200)


def read_source(
    source: str | bytes | Path, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, Path | None, bytes]:
    """``(display name, path, raw bytes)``; a ``str`` with a newline is YAML text, else a path.

    Raises :class:`LoadError` (RF100/RF101) for unreadable or oversized files.
    """

    if isinstance(source, bytes):
        return display_name(name or "<string>"), None, source
    if isinstance(source, str) and ("\n" in source or not source.strip()):
        return display_name(name or "<string>"), None, source.encode("utf-8", "surrogatepass")
    path = Path(source)
    display = display_name(name or source)
    try:
        raw = read_config_bytes(path, max_bytes)
    except ConfigFileError as exc:
        if exc.too_large:
            raise LoadError(_too_large(display, max_bytes)) from None
        raise LoadError(diag(display, 0, 0, "RF100", exc.reason)) from None
    return display, path, raw


def _too_large(name: str, max_bytes: int) -> Diagnostic:
    return diag(
        name, 1, 1, "RF101", f"file is larger than the {max_bytes}-byte cap",
        "manifests are small; raise the cap with --max-bytes if this one really is that large",
    )


def _decode(name: str, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            diag(name, line, col, "RF102", f"byte {exc.start} is not valid UTF-8",
                  "save the file as UTF-8")
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _check_tabs(name: str, text: str) -> None:
    for number, line in enumerate(text.split("\n")):
        stripped = line.lstrip(" \t")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent:
            col = indent.index("\t") + 1
            raise LoadError(
                diag(name, number + 1, col, "RF103", "tab character in indentation",
                      "YAML indentation must use spaces; replace the tab with spaces")
            )


def load_document(
    source: str | bytes | Path, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = MAX_NODES, c_parser: bool = True,
) -> LoadedDocument:
    """Load one manifest source; problems are returned as diagnostics, never raised.

    Other config files (approvals, data dictionaries) are read with it too, so every YAML file
    rflow reads is held to the same rules; ``max_nodes`` lets a large dictionary through.
    ``c_parser=False`` reads with ruamel's pure-Python scanner and parser only: the reference
    pipeline the C fast path (:func:`takes_c_parser`) must give the same document, positions and
    diagnostics as.
    """

    display = display_name(name or ("<string>" if isinstance(source, bytes) or "\n" in str(source) else source))
    try:
        display, path, raw = read_source(source, name=name, max_bytes=max_bytes)
    except LoadError as exc:
        return LoadedDocument(display, None, "", "", diagnostics=[exc.diagnostic])
    digest = hashlib.sha256(raw).hexdigest()
    loaded = LoadedDocument(display, path, "", digest)
    try:
        if len(raw) > max_bytes:
            raise LoadError(_too_large(display, max_bytes))
        loaded.text = _decode(display, raw)
        _check_tabs(display, loaded.text)
        _parse(loaded, max_nodes, c_parser=c_parser)
    except LoadError as exc:
        loaded.diagnostics.append(exc.diagnostic)
    return loaded


class _Guards:
    """Counters shared by the composer hooks of one parse."""

    def __init__(self) -> None:
        self.aliases = 0
        self.tags: list[Any] = []


def _make_loader(guards: _Guards, *, fast: bool = False) -> Any:
    """A pure-Python ``safe`` ruamel pipeline with guarded composition.

    Why not round-trip here: validation needs node positions and values, not comments; the safe
    pipeline gives the same marks faster. The round-trip document is parsed only when a tool asks
    for it (:func:`round_trip_load`). ``fast``: the composer reads the parser and resolver once
    instead of through ruamel's lazy properties on every event (the C parser's events are cheap
    enough that those lookups were a third of composing).
    """

    class GuardedComposer(Composer):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                guards.aliases += 1
                if guards.aliases > MAX_ALIASES:
                    raise _AliasLimit(self.parser.peek_event().start_mark)
            elif self.parser.check_event(ScalarEvent, CollectionStartEvent):
                event = self.parser.peek_event()
                ctag = getattr(event, "ctag", None)
                if ctag is not None and str(ctag) not in ("!", ""):
                    guards.tags.append(event.start_mark)
            return super().compose_node(parent, index)

    class FastComposer(GuardedComposer):
        _fast_resolver: Any = None

        @property
        def parser(self) -> Any:
            return self.loader._parser

        @property
        def resolver(self) -> Any:
            if self._fast_resolver is None:
                self._fast_resolver = self.loader.resolver
            return self._fast_resolver

    yaml = YAML(typ="safe", pure=True)
    yaml.max_depth = MAX_DEPTH
    yaml.Composer = FastComposer if fast else GuardedComposer
    return yaml


def round_trip_load(text: str) -> Any:
    """The ruamel round-trip document of ``text`` (comments, order, quoting kept), for editing tools."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_yaml().load(text)


class _AliasLimit(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__("alias limit")
        self.mark = mark


def takes_c_parser(text: str) -> bool:
    """True when :func:`load_document` reads ``text`` through libyaml's C parser (the fast path).

    For checks that the shipped manifests keep the fast path (``rflow validate`` in CI); False for
    text the C scanner reads differently, for a document with a problem, and where the C extension
    is not installed.
    """
    return _compose_fast(text) is not None


def _compose_fast(text: str) -> tuple[_Guards, Any, Any, Any] | None:
    """The composed document, with libyaml's C scanner and parser under the same guarded composer.

    Why: ruamel's pure-Python scanner and parser take most of the time per manifest; the C ones
    (``ruamel.yaml.clib``, a dependency where wheels exist) produce the same events several times
    faster, and composition, resolution, tags, aliases and depth stay in Python exactly as on the
    pure path. Used only for what it gives the same result on: not without the C extension, not
    for text :data:`_SLOW_PATH_RE` matches, not without a final line break (the two place the end
    of the last node differently there), not for a scalar document, and never for a document with
    a problem — any error, or any diagnostic, is left to the pure pipeline, whose diagnostic is the one
    reported (``tests/manifest/test_loader_fast_path.py`` checks both agree).
    """
    if _CParser is None or not text.endswith("\n") or _SLOW_PATH_RE.search(text):
        return None
    try:
        composed = _compose("<fast>", text, fast=True)
    except Exception:  # the pure pipeline re-parses and names the problem
        return None
    # A scalar document (an error for a manifest anyway) can be a block scalar at column 0, which
    # the two scanners end differently.
    return composed if isinstance(composed[3], (MappingNode, SequenceNode)) else None


def _compose(name: str, text: str, *, fast: bool) -> tuple[_Guards, Any, Any, Any]:
    guards = _Guards()
    yaml = _make_loader(guards, fast=fast)
    # ruamel's scanner records a %YAML/%TAG directive in doc_infos[-1]; YAML.load() adds that entry,
    # get_constructor_parser() does not (without it a directive raised IndexError).
    yaml.doc_infos.append(DocInfo())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = None
        try:
            try:
                # The pure reader checks the characters (ReaderError) on both paths.
                constructor, parser = yaml.get_constructor_parser(text)
                if fast:
                    parser.dispose()
                    parser = yaml._parser = _CParser(text)
                node = constructor.composer.get_single_node()
            except _AliasLimit as exc:
                raise LoadError(
                    diag(name, exc.mark.line + 1, exc.mark.column + 1, "RF107",
                          f"more than {MAX_ALIASES} aliases in one manifest",
                          "write the repeated values out; aliases are capped to stop alias bombs")
                ) from None
            except ReaderError as exc:
                line, col = _offset_to_line_col(text, int(exc.position or 0))
                raise LoadError(
                    diag(name, line, col, "RF104", "character not allowed in YAML (control or special character)",
                          "remove the character or escape it in a double-quoted string")
                ) from None
            except MarkedYAMLError as exc:
                raise LoadError(_open_string(name, text, exc) or _marked_error(name, exc)) from None
            except RecursionError:
                raise LoadError(diag(name, 1, 1, "RF112", "nesting too deep")) from None
            except YAMLError as exc:
                raise LoadError(diag(name, 1, 1, "RF104", f"invalid YAML ({type(exc).__name__})")) from None
        finally:
            if parser is not None:
                parser.dispose()
    return guards, yaml, constructor, node


def _parse(loaded: LoadedDocument, max_nodes: int = MAX_NODES, *, c_parser: bool = True) -> None:
    composed = _compose_fast(loaded.text) if c_parser else None
    if composed is not None:
        with contextlib.suppress(LoadError):
            _build(loaded, composed, max_nodes)
        if loaded.ok and not loaded.diagnostics:
            return
        # Positions of a problem may differ between the scanners: the pure path reports it.
        loaded.diagnostics.clear()
        loaded.data, loaded.source_map = None, SourceMap()
    _build(loaded, _compose(loaded.name, loaded.text, fast=False), max_nodes)


def _build(loaded: LoadedDocument, composed: tuple[_Guards, Any, Any, Any], max_nodes: int) -> None:
    name = loaded.name
    guards, yaml, constructor, node = composed
    info = yaml.doc_infos[-1]
    if info.doc_version is not None or info.tags:
        line = next((i for i, text in enumerate(loaded.text.split("\n")) if text.startswith("%")), 0)
        raise LoadError(diag(name, line + 1, 1, "RF115", "YAML directives (%YAML, %TAG) are not allowed",
                              "remove the line: manifests are always read as YAML 1.2, without tags"))
    if node is None:
        raise LoadError(diag(name, 1, 1, "RF109", "the manifest is empty",
                              "start from the annotated example in docs/manifest.md"))
    for mark in guards.tags[:20]:
        loaded.diagnostics.append(
            diag(name, mark.line + 1, mark.column + 1, "RF111", "explicit YAML tags are not allowed",
                  "remove the '!' tag; manifests use plain YAML values only")
        )
    loaded.source_map = SourceMap(loaded.text.split("\n"))
    data = NodeWalker(loaded, constructor, max_nodes).walk(node, (), None)
    if loaded.ok:
        loaded.data = data


def _offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


_HINTS = (
    ("could not find expected ':'", "a key needs ': ' after it; check the line above for a missing colon"),
    ("mapping values are not allowed", "check the indentation, or quote a value that contains ': '"),
    ("found character '\\t'", "YAML does not allow tabs here; use spaces"),
    ("found undefined alias", "define the anchor (&name) before using the alias (*name)"),
    ("did not find expected key", "check the indentation of this line against its siblings"),
    ("expected <block end>", "check the indentation of this line against its siblings"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
)


def _open_string(name: str, text: str, exc: Any) -> Diagnostic | None:
    """A string left open, reported on the line where it opens (see :mod:`engine.manifest.open_quote`)."""
    from engine.manifest.open_quote import open_string_start

    found = open_string_start(text, exc)
    if found is None:
        return None
    line, col, error_line = found
    ends = "the end of the file" if error_line > text.count("\n") else f"line {error_line}"
    return diag(name, line, col, "RF104", f"invalid YAML: the quoted string that opens here runs on to {ends}",
                 "close the quote on this line (or, for a quote inside the text, use the other quote "
                 "character around it)")


def _marked_error(name: str, exc: Any) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = _safe_problem(exc.problem)
    if isinstance(exc, MaxDepthExceededError):
        return diag(name, line, col, "RF112", f"nesting deeper than {MAX_DEPTH} levels",
                     "flatten the structure; manifests are shallow")
    if isinstance(exc, ComposerError) and "another document" in problem:
        return diag(name, line, col, "RF105", "more than one YAML document in the manifest",
                     "a manifest is one document: remove the '---' separator and what follows, "
                     "or split it into several files")
    context = _safe_problem(exc.context)
    message = problem or context or "invalid YAML"
    if context and problem:
        message = f"{problem} ({context})"
    hint = next((h for needle, h in _HINTS if needle in (exc.problem or "")), "")
    return diag(name, line, col, "RF104", f"invalid YAML: {message}", hint)
