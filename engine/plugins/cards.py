"""Stage cards: what validating a manifest needs of a stage, read without importing the stage.

A stage plugin may ship a card file (``rflow-stage-cards.json``) in the top-level package its
entry points live in. A card holds the stage's key, id, name, version, modes, the names of the
components it reads and writes, its config schema, the options that name files, and the dotted
names of its validation hooks. ``rflow validate`` reads the card instead of importing the stage
module and its data-plane and PHI imports, so a CI job checking manifests stays fast; a hook is
imported only when a step calls for it.

Cards are generated from the stage classes (``python -m engine.plugins PACKAGE``), never
written by hand, and a test compares the shipped file with the classes. A run never uses a card:
it plans with the stage class itself, so a stale card can at worst let ``rflow validate`` accept a
config that the run then refuses, with a named error.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any

import attrs

from engine.core.components import component_name
from engine.core.contract import Stage, fill_stage_defaults
from engine.core.stage_config import config_file_fields, schema_for_config

CARD_FILE = "rflow-stage-cards.json"
CARD_FORMAT = "rflow/stage-cards/v1"
HOOKS = ("config_problems", "config_files")
"""The optional validation hooks a card names (see engine.manifest.semantic)."""


@attrs.frozen
class StageCard:
    """A stage as validation sees it; the same attribute names as the stage class where they overlap."""

    key: str
    stage_id: int
    stage_name: str
    version: str
    module: str
    modes: tuple[str, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    optional_reads: tuple[str, ...]
    config_schema: str | None
    """Canonical JSON (sorted keys) of the config schema: the validator cache key; None when the
    stage's config cannot be described (validation then checks what it can)."""
    config_files: tuple[str, ...] = ()
    """Config options whose values name files."""
    hooks: Mapping[str, str] = attrs.field(factory=dict)
    """Hook name -> ``module:function``."""
    stage_class: Any = attrs.field(default=None, eq=False, repr=False)
    """The class the card was made from (None for a card read from a file): its hooks are used as
    they are, even one that cannot be named by ``module:function``."""

    def hook(self, name: str) -> Callable[..., Any] | None:
        """The hook ``name``, imported on first use; None when the stage has none."""
        if self.stage_class is not None:
            attribute = getattr(self.stage_class, name, None)
            return attribute if callable(attribute) else None
        target = self.hooks.get(name)
        if not target:
            return None
        module, _, qualname = target.partition(":")
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
        return found if callable(found) else None

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self, filter=lambda field, _value: field.name != "stage_class")
        data["config_schema"] = None if self.config_schema is None else json.loads(self.config_schema)
        return data


def _names(types: Iterable[Any]) -> tuple[str, ...]:
    return tuple(t if isinstance(t, str) else component_name(t) for t in types)


def _hook_target(cls: type, name: str) -> str | None:
    """``module:qualname`` of a hook, when it is a plain function importable by that name."""
    hook = getattr(cls, name, None)
    if hook is None or not callable(hook):
        return None
    module, qualname = getattr(hook, "__module__", None), getattr(hook, "__qualname__", "")
    if not module or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def card_of(cls: Any) -> StageCard:
    """The card of a stage class: the one way validation sees a stage. A config that cannot be
    described gives ``config_schema=None`` rather than an error, so the rest is still checked; a
    class an embedder registered by hand may lack the attributes registration fills: it gets the
    contract's defaults for the optional ones (:data:`engine.core.contract.STAGE_DEFAULTS`) as
    registration would give them, so they are read as declared on :class:`Stage`."""

    fill_stage_defaults(cls)
    stage: type[Stage] = cls
    config: Any = getattr(cls, "Config", None)
    try:
        schema: str | None = json.dumps(schema_for_config(config), sort_keys=True, default=str)
    except Exception:  # a stage whose config cannot be described: nothing to check it against
        schema = None
    hooks = {name: target for name in HOOKS if (target := _hook_target(cls, name)) is not None}
    return StageCard(
        key=cls.key, stage_id=getattr(cls, "stage_id", 0), stage_name=getattr(cls, "stage_name", cls.key),
        version=cls.version, module=cls.__module__, modes=tuple(cls.modes), reads=_names(cls.reads),
        writes=_names(cls.writes), optional_reads=_names(stage.optional_reads),
        config_schema=schema, config_files=tuple(config_file_fields(config)), hooks=hooks, stage_class=cls,
    )


def _card_from_json(data: Mapping[str, Any]) -> StageCard:
    return StageCard(
        key=str(data["key"]), stage_id=int(data["stage_id"]), stage_name=str(data["stage_name"]),
        version=str(data["version"]), module=str(data["module"]), modes=tuple(data["modes"]),
        reads=tuple(data["reads"]), writes=tuple(data["writes"]), optional_reads=tuple(data["optional_reads"]),
        config_schema=None if data["config_schema"] is None else json.dumps(data["config_schema"], sort_keys=True,
                                                                            default=str),
        config_files=tuple(data.get("config_files", ())), hooks=dict(data.get("hooks", {})),
    )


def cards_document(classes: Iterable[Any]) -> dict[str, Any]:
    """The card file's content for these stage classes (ordered by key, stable for review)."""
    cards = sorted((card_of(cls) for cls in classes), key=lambda c: c.key)
    return {"format": CARD_FORMAT, "stages": {card.key: card.to_json() for card in cards}}


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def read_cards(package: str) -> dict[str, StageCard]:
    """The cards a plugin package ships, by stage key; empty when it ships none or they are unreadable.

    Unreadable cards are not an error: validation then imports the stage, as it would without them.
    """
    try:
        text = resources.files(package).joinpath(CARD_FILE).read_text("utf-8")
        document = json.loads(text)
        if document.get("format") != CARD_FORMAT:
            return {}
        return {str(key): _card_from_json(data) for key, data in document["stages"].items()}
    except Exception:  # no card file, a broken one, or a package that is not importable: no cards
        return {}
