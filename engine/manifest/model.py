"""The manifest as attrs classes, structured with cattrs from schema-valid data.

Why after the schema: cattrs trusts shapes (``list[str]`` from ``"oops"`` becomes characters), so
the loader only structures data the JSON Schema has accepted; the classes are then what the
planner, runner and governance code use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from engine.core.bundled import BUNDLED_PREFIX, bundled_location, is_bundled
from engine.core.configfile import resolve_roots
from engine.manifest.diagnostics import Diagnostic
from engine.manifest.loader import round_trip_load
from engine.manifest.positions import SourceMap

_PIN = re.compile(r"^(?P<ref>[^@]+)(?:@(?P<spec>.+))?$")


@attrs.frozen
class Metadata:
    name: str
    version: str
    description: str = ""


@attrs.frozen
class Input:
    """A declared run input; it provides the ``input_dataset`` component."""

    name: str
    format: str = "auto"
    description: str = ""
    default: str | None = None

    def default_path(self, manifest_dir: Path | None = None) -> Path | None:
        """Where the default points: ``bundled:NAME`` -> ``engine/data/NAME``, else relative to the manifest."""
        if self.default is None:
            return None

        if is_bundled(self.default):
            return bundled_location(self.default[len(BUNDLED_PREFIX):])
        path = Path(self.default)
        return path if path.is_absolute() or manifest_dir is None else manifest_dir / path


@attrs.frozen
class Defaults:
    stop_on_failure: bool = True
    timeout_s: float | None = None


@attrs.frozen
class Step:
    id: str
    stage: str | int
    description: str = ""
    timeout_s: float | None = None
    config: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def stage_ref(self) -> str | int:
        """The stage key or numeric id, without a version pin."""
        if isinstance(self.stage, int):
            return self.stage
        m = _PIN.match(self.stage)
        ref = m.group("ref").strip() if m else self.stage
        return int(ref) if ref.isdigit() else ref

    @property
    def version_spec(self) -> str | None:
        """The version pin after ``@`` (``"1"``, ``">=1.2,<2"``), if any."""
        if isinstance(self.stage, int):
            return None
        m = _PIN.match(self.stage)
        spec = m.group("spec") if m else None
        return spec.strip() if spec else None


@attrs.frozen
class Mode:
    name: str
    steps: tuple[str, ...]
    description: str = ""
    phi_policy: str = "block"
    require: tuple[str, ...] = ()
    allow_stages: tuple[str, ...] | None = None
    gates: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Governance:
    default_mode: str
    modes: Mapping[str, Mode]
    allowed_roots: tuple[str, ...] = ()
    """Folders every file a step's config names must be under (empty: anywhere); see :meth:`roots`."""

    def roots(self, manifest_dir: Path | None = None) -> tuple[Path, ...]:
        """``allowed_roots`` as absolute, resolved folders: relative ones from the manifest's folder.

        Why the manifest's folder and not the working directory: the set of readable files must
        not change with where the run was started from.
        """

        return resolve_roots(self.allowed_roots, manifest_dir)


@attrs.frozen
class Execution:
    """Where a step's parallel work runs (see ``engine.execution.executors`` and ``docs/scale-out.md``)."""

    executor: str = "local"
    workers: int | None = None
    address: str | None = None
    """A Dask scheduler (``tcp://host:8786``) or ``local:N`` (a LocalCluster started for the run)."""
    partition_bytes: int | str | None = None
    """Bytes, or a size such as ``64MiB``; parsed by :func:`engine.execution.executors.parse_size`."""
    retries: int | None = None


@attrs.frozen
class ManifestSource:
    """Where a manifest came from, with what later tools (edit, migrate) need to work on it."""

    name: str
    path: Path | None
    text: str
    sha256: str
    source_map: SourceMap = attrs.field(repr=False)

    @functools.cached_property
    def document(self) -> Any:
        """The ruamel round-trip document (comments, key order, quoting kept), parsed on first use."""

        return round_trip_load(self.text)


@attrs.frozen
class Manifest:
    api_version: str
    kind: str
    metadata: Metadata
    steps: tuple[Step, ...]
    governance: Governance
    inputs: tuple[Input, ...] = ()
    defaults: Defaults = Defaults()
    execution: Execution | None = None
    source: ManifestSource | None = attrs.field(default=None, eq=False, repr=False)
    diagnostics: tuple[Diagnostic, ...] = attrs.field(default=(), eq=False, repr=False)
    """Warnings found while loading (errors make loading fail)."""

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def path(self) -> Path | None:
        return self.source.path if self.source else None

    @property
    def sha256(self) -> str:
        return self.source.sha256 if self.source else ""

    @property
    def document(self) -> Any:
        return self.source.document if self.source else None

    @property
    def source_map(self) -> SourceMap | None:
        return self.source.source_map if self.source else None

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def mode(self, name: str | None = None) -> Mode:
        """The named mode, or the default mode."""
        return self.governance.modes[name or self.governance.default_mode]


@functools.cache
def _converter() -> Any:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str | int, lambda v, _: v)
    conv.register_structure_hook(int | str | None, lambda v, _: v)  # execution.partition_bytes
    conv.register_structure_hook_func(lambda t: t == Mapping[str, Any], lambda v, _: dict(v))
    conv.register_structure_hook_func(
        lambda t: t == Mapping[str, str], lambda v, _: {str(k): str(x) for k, x in v.items()}
    )

    def modes(value: Any, _: Any) -> dict[str, Mode]:
        return {name: conv.structure({**body, "name": name}, Mode) for name, body in value.items()}

    conv.register_structure_hook_func(lambda t: t == Mapping[str, Mode], modes)
    conv.register_structure_hook(
        Manifest,
        make_dict_structure_fn(
            Manifest, conv, api_version=override(rename="apiVersion"),
            source=override(omit=True), diagnostics=override(omit=True),
        ),
    )
    return conv


def structure(data: Mapping[str, Any]) -> Manifest:
    """Schema-valid data -> :class:`Manifest` (raises cattrs errors on a shape the schema let through)."""
    manifest: Manifest = _converter().structure(dict(data), Manifest)
    return manifest
