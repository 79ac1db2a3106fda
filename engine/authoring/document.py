"""``ManifestDocument``: a manifest file opened for editing, with one method per edit.

Every edit is a transaction: it splices the text (see :mod:`engine.authoring.text`),
validates the whole result with :func:`engine.manifest.validate_manifest`, and only then becomes
the document's state. A refused edit raises :class:`EditError` and leaves the document (and the
file) exactly as it was. ``save`` writes atomically and refuses if the file changed on disk since
it was read; ``diff`` shows what ``save`` would write.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.authoring import paths
from engine.authoring.errors import EditError, EditUsageError
from engine.authoring.fmt import format_text
from engine.authoring.templates import render_template
from engine.authoring.text import DocPath, SpliceError, TextDoc, plain_copy
from engine.core.atomic import write_text_atomic
from engine.core.errors import safe_excerpt
from engine.core.stage_config import schema_for_config
from engine.core.versions import parse_version
from engine.manifest.api import validate_manifest
from engine.manifest.diagnostics import Diagnostic, has_errors
from engine.manifest.loader import LoadError, read_source, unsafe_value
from engine.manifest.model import Step
from engine.manifest.schema import show
from engine.manifest.semantic import DataFlow
from engine.plugins import registry_or_default

_MODES = ("governance", "modes")


class ManifestDocument:
    """A manifest's text and the edits made to it, always valid between edits."""

    def __init__(self, text: str, *, path: Path | None = None, name: str | None = None, registry: Any = None) -> None:
        self.path = path
        self.name = name or (str(path) if path is not None else "<string>")
        self.registry: Any = registry_or_default(registry)
        self._bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.original = text
        self._disk_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self._doc = self._parse(text[len(self._bom):])
        self.history: list[str] = []
        self.notes: list[str] = []
        """Things the user should know about the edits (e.g. steps dropped from modes by --force)."""
        self.diagnostics: list[Diagnostic] = []

    # -- opening and saving ----------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, registry: Any = None, name: str | None = None) -> ManifestDocument:
        try:
            display, real, raw = read_source(Path(path), name=name or str(path))
        except LoadError as exc:
            raise EditUsageError(f"{safe_excerpt(path, 200)}: {exc.diagnostic.message}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EditError(f"{safe_excerpt(display, 200)}: the file is not UTF-8 text") from None
        doc = cls(text, path=real, name=display, registry=registry)
        doc._disk_sha = hashlib.sha256(raw).hexdigest()
        return doc

    @classmethod
    def from_text(cls, text: str, *, name: str = "<string>", registry: Any = None) -> ManifestDocument:
        return cls(text, name=name, registry=registry)

    @classmethod
    def new(cls, name: str, template: str = "demo", *, path: str | os.PathLike[str] | None = None,
            registry: Any = None) -> ManifestDocument:
        """A new manifest from a template (``demo``, ``live``, ``minimal``), valid and commented."""

        target = Path(path) if path is not None else None
        text = render_template(name, template, target)
        doc = cls(text, path=target, name=str(target) if target else f"{name}.yaml", registry=registry)
        doc.original = ""
        problems = doc.validate()
        if has_errors(problems):
            raise EditError("the template does not validate with the installed stages", problems)
        return doc

    def _parse(self, text: str) -> TextDoc:
        try:
            return TextDoc(text, self.name)
        except SpliceError as exc:
            raise EditError(f"{safe_excerpt(self.name, 200)}: {exc}", exc.diagnostics) from None

    @property
    def text(self) -> str:
        return self._bom + self._doc.text

    @property
    def data(self) -> Any:
        """The manifest as plain data (a copy)."""
        return plain_copy(self._doc.data)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def validate(self) -> list[Diagnostic]:
        self.diagnostics = validate_manifest(self._doc.text, registry=self.registry, name=self.name)
        return self.diagnostics

    def diff(self, context: int = 3) -> str:
        """A unified diff from the text as opened to the text now."""
        lines = difflib.unified_diff(self.original.splitlines(keepends=True), self.text.splitlines(keepends=True),
                                     fromfile=self.name, tofile=self.name, n=context)
        out = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        return out

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically (same folder temp file, fsync, rename; the file mode is kept)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise EditUsageError("no file to save to; pass a path")
        if has_errors(self.validate()):
            raise EditError("the manifest is invalid; not saved", self.diagnostics)
        if path is None and self.original and target.exists():
            current = hashlib.sha256(target.read_bytes()).hexdigest()
            if current != self._disk_sha:
                raise EditError(f"{safe_excerpt(self.name, 200)} changed on disk since it was read; "
                                "nothing was written",
                                hint="run the edit again")
        write_atomic(target, self.text)
        self.original = self.text
        self._disk_sha = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        self.path = target
        return target

    # -- the transaction -------------------------------------------------------------------------
    def _commit(self, doc: TextDoc, what: str) -> None:
        found = validate_manifest(doc.text, registry=self.registry, name=self.name)
        if has_errors(found):
            raise EditError(f"{what}: the result would be an invalid manifest; nothing was changed", found)
        self._doc = doc
        self.diagnostics = found
        self.history.append(what)

    def _splice(self, action: Any, *args: Any) -> TextDoc:
        try:
            result: TextDoc = action(*args)
        except SpliceError as exc:
            raise EditError(str(exc), exc.diagnostics) from None
        return result

    # -- lookups ---------------------------------------------------------------------------------
    def _step_ids(self, doc: TextDoc | None = None) -> list[str]:
        data = (doc or self._doc).data
        return [str(s.get("id")) for s in data.get("steps", []) if isinstance(s, Mapping)]

    def _modes(self, doc: TextDoc | None = None) -> dict[str, Any]:
        data = (doc or self._doc).data
        modes = data.get("governance", {}).get("modes", {}) if isinstance(data.get("governance"), Mapping) else {}
        return modes if isinstance(modes, dict) else {}

    def _require_step(self, step_id: str, what: str = "step") -> int:
        ids = self._step_ids()
        if step_id not in ids:
            raise EditUsageError(f"no {what} {show(step_id)} in this manifest",
                                 hint="steps: " + ", ".join(map(show, ids)))
        return ids.index(step_id)

    def _require_mode(self, mode: str) -> dict[str, Any]:
        modes = self._modes()
        if mode not in modes:
            raise EditUsageError(f"no mode {show(mode)} in this manifest", hint="modes: " + ", ".join(map(show, modes)))
        body = modes[mode]
        return body if isinstance(body, dict) else {}

    # -- generic edits ---------------------------------------------------------------------------
    def set(self, dotted: str, value: Any) -> None:
        """Set the value at a dotted path, creating missing mapping keys in their canonical place."""
        _refuse_unsafe(value, self.name)
        doc = self._set(self._doc, dotted, value)
        self._commit(doc, f"set {paths.display(paths.split(dotted))}")

    def set_text(self, dotted: str, text: str) -> None:
        """Like :meth:`set`, with the value given as YAML text and typed by the schema at the path."""
        self.set(dotted, self.parse_value(dotted, text))

    def parse_value(self, dotted: str, text: str) -> Any:
        """``text`` as the value it would be at ``dotted`` (see :mod:`engine.authoring.paths`)."""
        try:
            found, tail = paths.resolve(self._doc.data, dotted)
            schema = paths.schema_at(self._doc.data, (*found, *tail), self.registry)
            return paths.parse_value(text, schema)
        except paths.PathError as exc:
            raise EditUsageError(str(exc)) from None

    def _set(self, doc: TextDoc, dotted: str, value: Any) -> TextDoc:
        try:
            found, tail = paths.resolve(doc.data, dotted)
        except paths.PathError as exc:
            raise EditUsageError(str(exc)) from None
        if not tail:
            if not found:
                raise EditUsageError("cannot replace the whole manifest")
            return self._splice(doc.replace, found, value)
        container = doc.get(found)
        nested = value
        for key in reversed(tail[1:]):
            nested = {key: nested}
        if container is None and found:
            return self._splice(doc.replace, found, {tail[0]: nested})
        if not isinstance(container, dict):
            raise EditUsageError(f"{paths.display(found)} is not a mapping; cannot add {show(tail[0])} to it")
        index = paths.insert_index(found, list(container), tail[0])
        return self._splice(doc.insert_entry, found, index, tail[0], nested)

    def unset(self, dotted: str) -> None:
        """Remove the key or list item at a dotted path; a mapping left empty goes too."""
        try:
            found, tail = paths.resolve(self._doc.data, dotted)
        except paths.PathError as exc:
            raise EditUsageError(str(exc)) from None
        if tail:
            raise EditUsageError(f"{paths.display(paths.split(dotted))} is not set")
        if len(found) == 2 and found[0] == "steps":
            raise EditUsageError("use remove-step to remove a step (it also removes it from every mode)")
        if not found:
            raise EditUsageError("cannot remove the whole manifest")
        doc = self._delete(self._doc, found)
        self._commit(doc, f"unset {paths.display(paths.split(dotted))}")

    def _delete(self, doc: TextDoc, path: DocPath) -> TextDoc:
        """Delete ``path``; then remove mappings the deletion left empty (not the root)."""
        doc = self._splice(doc.delete, path)
        parent = tuple(path[:-1])
        while len(parent) >= 1 and doc.get(parent) == {} and isinstance(doc.get(parent[:-1]), dict):
            doc = self._splice(doc.delete, parent)
            parent = parent[:-1]
        return doc

    # -- steps -----------------------------------------------------------------------------------
    def add_step(self, step_id: str, stage: str | int, *, after: str | None = None, before: str | None = None,
                 config: Mapping[str, Any] | None = None, description: str | None = None,
                 timeout_s: float | None = None, modes: Iterable[str] = ()) -> None:
        """Add a step after/before another (default: last), and to each of ``modes``.

        In a mode the step goes right after/before the anchor if the mode lists it, else after the
        nearest step that precedes it in the steps list (else first).
        """
        ids = self._step_ids()
        if step_id in ids:
            raise EditUsageError(f"step {show(step_id)} exists already")
        index = self._anchor_index(ids, after, before)
        modes = list(dict.fromkeys(modes))
        for mode in modes:
            self._require_mode(mode)
        step: dict[str, Any] = {"id": step_id, "stage": int(stage) if str(stage).isdigit() else stage}
        if description is not None:
            step["description"] = description
        if timeout_s is not None:
            step["timeout_s"] = timeout_s
        if config:
            step["config"] = dict(config)
        doc = self._splice(self._doc.insert_item, ("steps",), index, step)
        new_ids = self._step_ids(doc)
        for mode in modes:
            listed = [str(s) for s in self._modes(doc)[mode].get("steps", [])]
            position = self._mode_position(listed, new_ids, step_id, after, before)
            doc = self._splice(doc.insert_item, (*_MODES, mode, "steps"), position, step_id)
        where = f" after {show(after)}" if after else (f" before {show(before)}" if before else "")
        self._commit(doc, f"added step {show(step_id)}{where}" + (f" (modes: {', '.join(modes)})" if modes else ""))

    def parse_config(self, stage: str | int, items: Iterable[str]) -> dict[str, Any]:
        """``KEY=VALUE`` options for a stage's config, each value typed by the stage's config schema."""

        found = self.registry.find(Step(id="new", stage=stage).stage_ref)
        schema = schema_for_config(found.Config) if found is not None else {}
        out: dict[str, Any] = {}
        for item in items:
            key, sep, text = item.partition("=")
            if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", key):
                raise EditUsageError("--config takes KEY=VALUE, with KEY a config option name")
            try:
                out[key] = paths.parse_value(text, schema.get("properties", {}).get(key, {}))
            except paths.PathError as exc:
                raise EditUsageError(f"--config {key}: {exc}") from None
        return out

    def _anchor_index(self, ids: list[str], after: str | None, before: str | None) -> int:
        if after is not None and before is not None:
            raise EditUsageError("give --after or --before, not both")
        anchor = after if after is not None else before
        if anchor is None:
            return len(ids)
        if anchor not in ids:
            raise EditUsageError(f"no step {show(anchor)} in this manifest", hint="steps: " + ", ".join(map(show, ids)))
        return ids.index(anchor) + (1 if after is not None else 0)

    @staticmethod
    def _mode_position(listed: list[str], ids: list[str], step_id: str, after: str | None, before: str | None) -> int:
        if after is not None and after in listed:
            return listed.index(after) + 1
        if before is not None and before in listed:
            return listed.index(before)
        for earlier in reversed(ids[: ids.index(step_id)]):
            if earlier in listed:
                return listed.index(earlier) + 1
        return 0

    def remove_step(self, step_id: str, *, force: bool = False) -> None:
        """Remove a step from the steps list and from every mode (and its gates there).

        Refused if a later step in some mode reads a component only this step writes; with
        ``force`` those steps are dropped from that mode too (their definitions stay). Refused,
        even with ``force``, if a gate expression refers to the step: edit the gate first.
        """
        self._require_step(step_id)
        modes = self._modes()
        referencing = [(m, g) for m, body in modes.items() for g, expr in (body.get("gates") or {}).items()
                       if g != step_id and re.search(rf"(?<![A-Za-z0-9_]){re.escape(step_id)}\s*\.", str(expr))]
        if referencing:
            mode, gate = referencing[0]
            raise EditError(f"the gate on step {show(gate)} in mode {show(mode)} refers to step {show(step_id)}",
                            hint=f"change or unset governance.modes.{mode}.gates.{gate} first")
        drop: dict[str, list[str]] = {}
        for mode, body in modes.items():
            listed = [str(s) for s in body.get("steps", [])]
            if step_id not in listed:
                continue
            dependents = self._dependents(listed, step_id)
            if dependents and not force:
                dep, comp = dependents[0]
                raise EditError(
                    f"step {show(dep)} in mode {show(mode)} reads {comp!r}, which only step {show(step_id)} writes "
                    "before it", hint="remove or move that step first, or use --force to drop it from the mode too")
            drop[mode] = [step_id, *(d for d, _ in dependents)]
            for dep, _ in dependents:
                self.notes.append(f"step {dep!r} was removed from mode {mode!r} too (it needs what {step_id!r} writes)")
        doc = self._doc
        for mode, gone in drop.items():
            for gated in gone:
                if gated in (self._modes(doc)[mode].get("gates") or {}):
                    doc = self._delete(doc, (*_MODES, mode, "gates", gated))
            for gated in gone:
                listed = [str(s) for s in self._modes(doc)[mode]["steps"]]
                doc = self._splice(doc.delete, (*_MODES, mode, "steps", listed.index(gated)))
        doc = self._splice(doc.delete, ("steps", self._step_ids(doc).index(step_id)))
        self._commit(doc, f"removed step {show(step_id)}")

    def _dependents(self, listed: list[str], step_id: str) -> list[tuple[str, str]]:
        """Steps of a mode (and the component) that lose an input when ``step_id`` leaves it, transitively."""

        data = self._doc.data
        by_id = {str(s.get("id")): s for s in data.get("steps", []) if isinstance(s, Mapping)}

        def stage_of(sid: str) -> Any:
            step = by_id.get(sid)
            if step is None:
                return None
            try:
                return self.registry.find(Step(id=sid, stage=step.get("stage") or "").stage_ref)
            except Exception:
                return None

        def missing(order: list[str]) -> dict[str, str]:
            flow = DataFlow(bool(data.get("inputs")))
            out: dict[str, str] = {}
            for sid in order:
                stage = stage_of(sid)
                if stage is None:
                    continue
                lacking = flow.step(stage)
                if lacking:
                    out[sid] = lacking[0]
            return out

        before = missing(listed)
        removed = {step_id}
        found: list[tuple[str, str]] = []
        while True:
            now = missing([s for s in listed if s not in removed])
            new = [(s, c) for s, c in now.items() if s not in before and s not in removed]
            if not new:
                return found
            found += new
            removed.update(s for s, _ in new)

    def move_step(self, step_id: str, *, after: str | None = None, before: str | None = None,
                  modes: Iterable[str] | None = None) -> None:
        """Move a step in the steps list and, in each mode that lists both, next to the anchor.

        ``modes`` limits the modes whose order changes (each must list both steps).
        """
        old = self._require_step(step_id)
        if (after is None) == (before is None):
            raise EditUsageError("give exactly one of --after or --before")
        anchor = str(after if after is not None else before)
        if anchor == step_id:
            raise EditUsageError("a step cannot be moved next to itself")
        self._require_step(anchor)
        rest = [s for s in self._step_ids() if s != step_id]
        new = rest.index(anchor) + (1 if after is not None else 0)
        doc = self._splice(self._doc.move_item, ("steps",), old, new)
        chosen = list(modes) if modes is not None else None
        for mode in chosen or []:
            listed = [str(s) for s in self._require_mode(mode).get("steps", [])]
            if step_id not in listed or anchor not in listed:
                raise EditUsageError(f"mode {show(mode)} does not list both {show(step_id)} and {show(anchor)}")
        for mode, body in self._modes(doc).items():
            listed = [str(s) for s in body.get("steps", [])]
            if (chosen is not None and mode not in chosen) or step_id not in listed or anchor not in listed:
                continue
            others = [s for s in listed if s != step_id]
            target = others.index(anchor) + (1 if after is not None else 0)
            doc = self._splice(doc.move_item, (*_MODES, mode, "steps"), listed.index(step_id), target)
        where = f"after {show(after)}" if after is not None else f"before {show(before)}"
        self._commit(doc, f"moved step {show(step_id)} {where}")

    # -- modes -----------------------------------------------------------------------------------
    def mode_add(self, name: str, steps: Sequence[str] | None = None, *, description: str | None = None,
                 phi_policy: str | None = None, require: Sequence[str] | None = None,
                 copy_from: str | None = None, default: bool = False) -> None:
        """Add a mode (at the end of ``governance.modes``); ``copy_from`` starts from another mode."""
        if name in self._modes():
            raise EditUsageError(f"mode {show(name)} exists already")
        body: dict[str, Any] = plain_copy(self._require_mode(copy_from)) if copy_from else {}
        if description is not None:
            body["description"] = description
        if steps is not None:
            body["steps"] = list(steps)
        if "steps" not in body:
            raise EditUsageError("a new mode needs its steps (or a mode to copy them from)")
        body["phi_policy"] = phi_policy or body.get("phi_policy", "block")
        if require is not None:
            body["require"] = list(require)
        body = {k: body[k] for k in sorted(body, key=lambda k: paths.rank("mode", k))}
        doc = self._splice(self._doc.insert_entry, _MODES, len(self._modes()), name, body)
        if default:
            doc = self._splice(doc.replace, ("governance", "default_mode"), name)
        self._commit(doc, f"added mode {show(name)}")

    def mode_remove(self, name: str) -> None:
        self._require_mode(name)
        if self._doc.data.get("governance", {}).get("default_mode") == name:
            raise EditError(f"mode {show(name)} is the default mode",
                            hint="set governance.default_mode to another mode first")
        self._commit(self._splice(self._doc.delete, (*_MODES, name)), f"removed mode {show(name)}")

    def mode_set_steps(self, name: str, steps: Sequence[str]) -> None:
        """Replace a mode's ordered steps (a flow list stays a flow list, a block list a block list)."""
        self._require_mode(name)
        doc = self._set(self._doc, f"governance.modes.{name}.steps", list(steps))
        self._commit(doc, f"set the steps of mode {show(name)}")

    # -- version and layout ----------------------------------------------------------------------
    def bump_version(self, part: str) -> str:
        """Bump the pipeline's own semver (``major``, ``minor`` or ``patch``); returns the new version."""
        current = self._doc.data.get("metadata", {}).get("version")
        try:
            major, minor, patch = parse_version(current if isinstance(current, str) else "")
        except ValueError:
            raise EditError("metadata.version is not a MAJOR.MINOR.PATCH version",
                            hint='write it like "1.4.0"') from None
        if part == "major":
            new = f"{major + 1}.0.0"
        elif part == "minor":
            new = f"{major}.{minor + 1}.0"
        elif part == "patch":
            new = f"{major}.{minor}.{patch + 1}"
        else:
            raise EditUsageError("bump major, minor or patch")
        self._commit(self._splice(self._doc.replace, ("metadata", "version"), new), f"version {current} -> {new}")
        return new

    def fmt(self) -> None:
        """Canonical layout: key order, indentation, quoted version (see :mod:`.fmt`)."""

        try:
            text = format_text(self._doc.text)
        except SpliceError as exc:
            raise EditError(str(exc), exc.diagnostics) from None
        self._commit(self._parse(text), "formatted")


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same folder, fsync, rename; keeps the mode of the file it replaces."""
    write_text_atomic(path, text)


def _refuse_unsafe(value: Any, name: str) -> None:
    """The loader's value rules (finite numbers, printable text), applied before the edit is spliced."""

    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        _refuse_unsafe(key, name)
        _refuse_unsafe(item, name)
    problem = unsafe_value(value)
    if problem is not None:
        code, message, hint = problem
        raise EditError(f"the new value: {message}; nothing was changed",
                        [Diagnostic(name, 0, 0, code, message, hint=hint)])
