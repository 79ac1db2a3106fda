"""Stage registry: ``@register_stage``, lookups with suggestions, stages loaded from entry points.

The registry is an object so that tests and embedders can use isolated instances; the module-level
functions use :data:`default_registry`. Every stage comes from the ``rflow.stages`` entry-point group,
the built-ins too (they are declared there in pyproject.toml like any plugin), so the engine never
imports a stage package by name. Entry points are named by stage key and loaded lazily: looking up
``phi_scan`` imports only that stage's module.
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import logging
import re
from collections.abc import Callable, Iterable
from importlib import metadata
from types import ModuleType
from typing import Any, TypeVar, overload

import attrs

from engine.core.components import is_component
from engine.core.contract import ANY_MODE, STAGE_DEFAULTS, EmptyConfig, fill_stage_defaults
from engine.core.errors import PluginLoadError, RegistrationError, UnknownStageError, safe_error_text, safe_excerpt
from engine.core.versions import is_semver
from engine.plugins.cards import StageCard, card_of, read_cards

log = logging.getLogger("rflow.registry")

ENTRY_POINT_GROUP = "rflow.stages"
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
_MODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_STAGE_MARK = "__rflow_stage__"

S = TypeVar("S", bound=type)


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def check_stage_class(cls: Any) -> None:
    """Raise :class:`RegistrationError` unless ``cls`` is a well-formed stage class."""
    if not inspect.isclass(cls):
        raise RegistrationError(f"@register_stage expects a class, got {type(cls).__name__}")
    name = _where(cls)
    problems: list[str] = []
    sid = getattr(cls, "stage_id", None)
    if not isinstance(sid, int) or isinstance(sid, bool) or sid < 1:
        problems.append("stage_id must be a positive int")
    sname = getattr(cls, "stage_name", None)
    if not isinstance(sname, str) or not sname.strip():
        problems.append("stage_name must be a non-empty string")
    key = getattr(cls, "key", None)
    if not isinstance(key, str) or not _KEY_RE.match(key):
        problems.append("key must be a lowercase slug like 'phi_scan' (2-48 chars: a-z, 0-9, _)")
    version = getattr(cls, "version", None)
    if not is_semver(version):
        problems.append("version must be a semantic version string like '1.0.0'")
    for attr in ("reads", "writes", "optional_reads"):
        value = getattr(cls, attr, STAGE_DEFAULTS.get(attr))
        if not isinstance(value, tuple) or not all(is_component(t) for t in value):
            problems.append(f"{attr} must be a tuple of component classes (declared with @component)")
    for flag in ("detects_phi", "removes_phi", "touches_raw_data", "gatekeeping"):
        if not isinstance(getattr(cls, flag, STAGE_DEFAULTS[flag]), bool):
            problems.append(f"{flag} must be True or False")
    modes = getattr(cls, "modes", None)
    if (
        not isinstance(modes, tuple)
        or not modes
        or not all(isinstance(m, str) and (m == ANY_MODE or _MODE_RE.match(m)) for m in modes)
    ):
        problems.append("modes must be a non-empty tuple of mode names (or ('*',) for every mode)")
    config = getattr(cls, "Config", None)
    if config is None or not (inspect.isclass(config) and attrs.has(config)):
        problems.append("Config must be an attrs class (use engine.EmptyConfig when there is none)")
    execute = getattr(cls, "execute", None)
    if execute is None:
        problems.append("execute(self, context) is missing")
    elif not inspect.iscoroutinefunction(execute):
        problems.append("execute must be 'async def execute(self, context) -> StageResult'")
    if problems:
        raise RegistrationError(f"stage class {name} is invalid: " + "; ".join(problems))


class StageRegistry:
    """Stages by numeric id and by key."""

    def __init__(self, *, entry_point_group: str | None = ENTRY_POINT_GROUP, use_cards: bool = True):
        """``use_cards=False``: :meth:`card` describes every stage from its class (importing it), never from
        the card file its package ships; what validation gives then is what the cards must give too."""
        self._use_cards = use_cards
        self._by_id: dict[int, type] = {}
        self._by_key: dict[str, type] = {}
        self._group = entry_point_group
        self._plugins_loaded: set[str] = set()
        self.plugin_errors: list[PluginLoadError] = []
        self._cards: dict[type, StageCard] = {}
        self._package_cards: dict[str, dict[str, StageCard]] = {}
        self._card_entry_points: builtins.list[Any] | None = None

    # -- registration -------------------------------------------------------------------------
    def register(self, cls: S) -> S:
        if getattr(cls, "Config", None) is None and inspect.isclass(cls):
            cls.Config = EmptyConfig  # type: ignore[attr-defined]
        check_stage_class(cls)
        fill_stage_defaults(cls)
        stage: Any = cls
        for table, ident, label in ((self._by_id, stage.stage_id, "id"), (self._by_key, stage.key, "key")):
            other = table.get(ident)
            if other is not None and _where(other) != _where(cls):
                raise RegistrationError(
                    f"stage {label} {ident!r} is registered twice: by {_where(other)} "
                    f"(module {other.__module__}) and by {_where(cls)} (module {cls.__module__})"
                )
        self._by_id[stage.stage_id] = cls
        self._by_key[stage.key] = cls
        setattr(cls, _STAGE_MARK, True)
        return cls

    # -- loading ------------------------------------------------------------------------------
    def _entry_points(self) -> builtins.list[Any]:
        if not self._group:
            return []

        return list(metadata.entry_points(group=self._group))

    def load_plugins(self, names: Iterable[str] | None = None) -> list[PluginLoadError]:
        """Load entry points (all, or only those named); a broken one is recorded, not raised."""
        wanted = None if names is None else set(names)
        new_errors: list[PluginLoadError] = []
        for ep in self._entry_points():
            if ep.name in self._plugins_loaded or (wanted is not None and ep.name not in wanted):
                continue
            self._plugins_loaded.add(ep.name)
            try:
                loaded = ep.load()
                for cls in _stage_classes(loaded):
                    self.register(cls)
            except Exception as exc:
                err = PluginLoadError(
                    f"stage plugin {ep.name!r} ({ep.value}) failed to load: {safe_error_text(exc)}"
                )
                log.warning("%s", err)
                new_errors.append(err)
        self.plugin_errors.extend(new_errors)
        return new_errors

    # -- lookup -------------------------------------------------------------------------------
    def get(self, id_or_key: int | str) -> type:
        """The stage class for a numeric id (or digit string) or a key; suggestions if unknown."""
        found = self._lookup(id_or_key)
        if found is None:
            # Lazy plugins: first the entry point named like the key, then the rest.
            if isinstance(id_or_key, str):
                self.load_plugins([id_or_key])
                found = self._lookup(id_or_key)
            if found is None:
                self.load_plugins()
                found = self._lookup(id_or_key)
        if found is None:
            raise UnknownStageError(self._unknown_message(id_or_key))
        return found

    def card(self, id_or_key: int | str) -> StageCard | None:
        """What validating a manifest needs of a stage, without importing it where it can.

        A stage already loaded gives its class's card; else the card its plugin package ships
        (:mod:`engine.plugins.cards`) for the entry point named like the key; else the stage is
        loaded and its class gives the card. None if there is no such stage.
        """
        cls = self._lookup(id_or_key)
        if cls is None and self._use_cards and isinstance(id_or_key, str) and not id_or_key.isdigit():
            shipped = self._shipped_card(id_or_key)
            if shipped is not None:
                return shipped
        if cls is None:
            cls = self.find(id_or_key)
        if cls is None:
            return None
        found = self._cards.get(cls)
        if found is None:
            found = self._cards[cls] = card_of(cls)
        return found

    def _shipped_card(self, key: str) -> StageCard | None:
        if self._card_entry_points is None:
            self._card_entry_points = self._entry_points()
        for ep in self._card_entry_points:
            if ep.name != key or ep.name in self._plugins_loaded:
                continue
            module = str(getattr(ep, "module", "") or ep.value.partition(":")[0])
            package = module.split(".")[0]
            if package not in self._package_cards:
                self._package_cards[package] = read_cards(package)
            card = self._package_cards[package].get(key)
            # A card speaks for the module the entry point loads, or for nothing.
            return card if card is not None and card.module == module and card.key == key else None
        return None

    def find(self, id_or_key: int | str) -> type | None:
        try:
            return self.get(id_or_key)
        except UnknownStageError:
            return None

    def _lookup(self, id_or_key: int | str) -> type | None:
        if isinstance(id_or_key, bool):
            return None
        if isinstance(id_or_key, int):
            return self._by_id.get(id_or_key)
        if isinstance(id_or_key, str) and id_or_key.isdigit() and id_or_key.isascii():
            return self._by_id.get(int(id_or_key))
        return self._by_key.get(id_or_key) if isinstance(id_or_key, str) else None

    def suggestions(self, id_or_key: int | str) -> builtins.list[str]:
        if isinstance(id_or_key, int) or (isinstance(id_or_key, str) and id_or_key.isdigit()):
            target = int(id_or_key)
            near = sorted(self._by_id, key=lambda i: abs(i - target))[:3]
            return [f"{i} ({self._by_id[i].key})" for i in near]  # type: ignore[attr-defined]
        return difflib.get_close_matches(str(id_or_key), list(self._by_key), n=3, cutoff=0.5)

    def _unknown_message(self, id_or_key: int | str) -> str:
        text = f"unknown stage {safe_excerpt(id_or_key, 60)!r}"
        close = self.suggestions(id_or_key)
        if close:
            text += "; did you mean " + ", ".join(close) + "?"
        elif self._by_key:
            text += "; registered stages: " + ", ".join(sorted(self._by_key))
        return text

    def list(self) -> builtins.list[type]:
        """Every stage, built-in and plugin, ordered by id."""
        self.load_plugins()
        return [self._by_id[i] for i in sorted(self._by_id)]

    def keys(self) -> builtins.list[str]:
        self.load_plugins()
        return sorted(self._by_key)

    def __contains__(self, id_or_key: object) -> bool:
        return isinstance(id_or_key, (int, str)) and self.find(id_or_key) is not None


def _stage_classes(loaded: object) -> list[type]:
    """An entry point may name a stage class or a module of stage classes."""
    if inspect.isclass(loaded):
        return [loaded]
    if isinstance(loaded, ModuleType):
        found = [v for v in vars(loaded).values() if inspect.isclass(v) and getattr(v, _STAGE_MARK, False)]
        if not found:
            raise RegistrationError(f"module {loaded.__name__} defines no @register_stage class")
        return found
    raise RegistrationError(f"entry point must name a stage class or module, not {type(loaded).__name__}")


default_registry = StageRegistry()


def registry_or_default(registry: StageRegistry | None) -> StageRegistry:
    """``registry``, or :data:`default_registry` where it is None."""
    return registry if registry is not None else default_registry


@overload
def register_stage(cls: S, /) -> S: ...
@overload
def register_stage(*, registry: StageRegistry) -> Callable[[S], S]: ...
def register_stage(cls: Any = None, /, *, registry: StageRegistry | None = None) -> Any:
    """Class decorator registering a stage (in ``registry`` or the default one)."""
    target = registry or default_registry

    def decorate(c: S) -> S:
        return target.register(c)

    return decorate(cls) if cls is not None else decorate


def get_stage(id_or_key: int | str) -> type:
    return default_registry.get(id_or_key)


def list_stages() -> list[type]:
    return default_registry.list()
