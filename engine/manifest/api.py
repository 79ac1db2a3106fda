"""The manifest library API: load (raise on errors), validate (list problems), plan.

One pipeline for all three: load YAML -> check apiVersion -> JSON Schema -> structure -> semantic
checks. Each phase runs only if the previous one found no errors, so a problem is reported once, at
its cause, and never as a cascade of consequences.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from engine.core.errors import RflowError, safe_excerpt
from engine.manifest import schema, semantic
from engine.manifest.diagnostics import Diagnostic, has_errors, sort_key
from engine.manifest.legacy import hint_for
from engine.manifest.loader import DEFAULT_MAX_BYTES, LoadedDocument, load_document
from engine.manifest.model import Manifest, ManifestSource, structure
from engine.manifest.plan import Plan, build_plan
from engine.manifest.positions import SourceMap
from engine.plugins import registry_or_default

Source = str | bytes | Path


class ManifestError(RflowError):
    """A manifest is invalid; ``diagnostics`` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        text = "invalid manifest"
        if first is not None:
            text = f"{first.file}:{first.line}:{first.col}: {first.code} {first.message}"
            if len(errors) > 1:
                text += f" (and {len(errors) - 1} more error(s))"
        super().__init__(text)


class UnknownModeError(ManifestError):
    """``plan`` was asked for a mode the manifest does not define."""


@attrs.define
class Analysis:
    """Everything one validation pass learned about a source."""

    loaded: LoadedDocument
    manifest: Manifest | None
    diagnostics: list[Diagnostic]


def analyze(
    source: Source, *, registry: Any = None, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Analysis:
    """Run every phase that applies; never raises for a problem in the manifest."""

    loaded = load_document(source, name=name, max_bytes=max_bytes)
    if not loaded.ok:
        return Analysis(loaded, None, sorted(loaded.diagnostics, key=sort_key))
    found = list(loaded.diagnostics)
    api = schema.check_api_version(loaded.data, loaded.source_map, loaded.name)
    if api is not None:
        return Analysis(loaded, None, [_with_migrate_hint(api, loaded)])
    found += schema.validate_schema(loaded.data, loaded.source_map, loaded.name)
    if has_errors(found):
        return Analysis(loaded, None, sorted(found, key=sort_key))
    try:
        manifest = structure(loaded.data)
    except Exception as exc:  # the schema should make this impossible; report, don't crash
        message = f"manifest structure not understood ({type(exc).__name__})"
        found.append(Diagnostic(loaded.name, 1, 1, "RF208", message))
        return Analysis(loaded, None, found)
    manifest = attrs.evolve(manifest, source=ManifestSource(
        loaded.name, loaded.path, loaded.text, loaded.sha256, loaded.source_map))
    found += semantic.check(manifest, loaded.source_map, loaded.name, registry_or_default(registry))
    found.sort(key=sort_key)
    manifest = attrs.evolve(manifest, diagnostics=tuple(d for d in found if not d.is_error))
    return Analysis(loaded, manifest, found)


def _with_migrate_hint(diagnostic: Diagnostic, loaded: LoadedDocument) -> Diagnostic:
    """RF200 on a legacy job config or an older apiVersion names the command that migrates it."""
    hint = hint_for(loaded.data, loaded.name)
    return attrs.evolve(diagnostic, hint=hint) if hint else diagnostic


def validate_manifest(
    path_or_text: Source, *, registry: Any = None, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Diagnostic]:
    """Every problem (errors and warnings) in a manifest; empty when clean.

    ``path_or_text``: a :class:`~pathlib.Path`, a path string, YAML text (a string containing a
    newline) or bytes.
    """
    return analyze(path_or_text, registry=registry, name=name, max_bytes=max_bytes).diagnostics


def load_manifest(
    path_or_text: Source, *, registry: Any = None, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Manifest:
    """A validated :class:`Manifest`; raises :class:`ManifestError` if there is any error.

    Warnings are kept on ``manifest.diagnostics``; ``manifest.source`` keeps the path, SHA-256,
    text, ruamel round-trip document and source map for editing tools.
    """
    result = analyze(path_or_text, registry=registry, name=name, max_bytes=max_bytes)
    if result.manifest is None or has_errors(result.diagnostics):
        raise ManifestError(result.diagnostics)
    return result.manifest


def plan(manifest: Manifest | Source, mode: str | None = None, *, registry: Any = None) -> Plan:
    """The ordered, resolved steps ``mode`` (default: the manifest's default_mode) would run.

    Re-checks the manifest against ``registry`` (it may differ from the one it was loaded with);
    raises :class:`ManifestError` on errors and :class:`UnknownModeError` for an undefined mode.
    """

    reg = registry_or_default(registry)
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest, registry=reg)
    mode_name = mode or manifest.governance.default_mode
    name = manifest.source.name if manifest.source else manifest.metadata.name
    smap = manifest.source_map or SourceMap()
    if mode_name not in manifest.governance.modes:
        pos = smap.locate(("governance", "modes"))
        raise UnknownModeError([Diagnostic(
            name, pos.line, pos.col, "RF312", f"mode {safe_excerpt(mode_name, 32)!r} is not defined in this manifest",
            hint="defined modes: " + ", ".join(manifest.governance.modes), path=("governance", "modes"))])
    problems = [d for d in semantic.check(manifest, smap, name, reg) if d.is_error]
    if problems:
        raise ManifestError(sorted(problems, key=sort_key))
    return build_plan(manifest, mode_name, reg)
