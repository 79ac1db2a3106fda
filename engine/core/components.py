"""Components (typed facts about entities) and the World that stores them.

A component is a frozen attrs class declared with :func:`component`, which names it and gives it
a kind:

* ``metadata`` — safe to report (counts, hashes, statuses);
* ``artifact`` — a path relative to the run workspace, reported as a path;
* ``restricted`` — may hold raw data: lives in memory only, never serialized or reported.

Stages are the systems: they declare which component types they read and write, and the
:class:`WorldView` handed to a stage enforces exactly that.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, dataclass_transform

import attrs
import cattrs

from engine.core.errors import ComponentError, RestrictedComponentError, UndeclaredComponentAccess

T = TypeVar("T")
C = TypeVar("C", bound=type)

RUN_ENTITY = "run"
"""The entity id of the run itself; input datasets are ``input:<name>``."""


def tuple_field() -> Any:
    """An attrs field that holds a tuple, empty unless given; any iterable given is stored as a tuple.

    Components are frozen and compared by value: a list passed in would stay mutable from outside and
    make the value unhashable. A type checker sees the field's annotation (a tuple); where callers
    may pass any iterable and should be told so, use ``attrs.field(factory=tuple, converter=as_tuple)``.
    """
    return attrs.field(factory=tuple, converter=as_tuple)


def as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """The converter of such fields; typed on its own where callers may pass any iterable."""
    return tuple(values)


class ComponentKind(enum.StrEnum):
    METADATA = "metadata"
    ARTIFACT = "artifact"
    RESTRICTED = "restricted"


@attrs.frozen
class ComponentSpec:
    name: str
    kind: ComponentKind


_SPEC_ATTR = "__rflow_component__"
_COMPONENTS_BY_NAME: dict[str, type] = {}


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def component(name: str, kind: ComponentKind | str = ComponentKind.METADATA) -> Callable[[C], C]:
    """Class decorator: make ``cls`` a frozen attrs component called ``name``.

    Artifact components must have a ``path`` field (a workspace-relative string).
    """
    spec = ComponentSpec(name=name, kind=ComponentKind(kind))

    def decorate(cls: C) -> C:
        if not attrs.has(cls):
            cls = attrs.frozen(cls)
        elif not _is_frozen(cls):
            raise ComponentError(f"component {name!r} ({cls.__qualname__}) must be a frozen attrs class")
        if spec.kind is ComponentKind.ARTIFACT and "path" not in attrs.fields_dict(cls):
            raise ComponentError(f"artifact component {name!r} needs a 'path' field")
        existing = _COMPONENTS_BY_NAME.get(name)
        if existing is not None and _qualified(existing) != _qualified(cls):
            raise ComponentError(
                f"component name {name!r} is used by both {_qualified(existing)} and {_qualified(cls)}"
            )
        setattr(cls, _SPEC_ATTR, spec)
        _COMPONENTS_BY_NAME[name] = cls
        return cls

    return decorate


def _is_frozen(cls: type) -> bool:
    # attrs installs a raising __setattr__ on frozen classes.
    return getattr(cls.__setattr__, "__name__", "") == "_frozen_setattrs"


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def spec_of(component_type: type) -> ComponentSpec:
    """The declared spec of a component type; a clear error for anything else."""
    spec = getattr(component_type, _SPEC_ATTR, None)
    if not isinstance(spec, ComponentSpec):
        raise ComponentError(f"{getattr(component_type, '__qualname__', component_type)!r} is not a component")
    return spec


def is_component(obj: Any) -> bool:
    return isinstance(getattr(obj, _SPEC_ATTR, None), ComponentSpec)


def component_name(component_type: type) -> str:
    return spec_of(component_type).name


def serialize_component(value: Any) -> dict[str, Any]:
    """Unstructure a metadata or artifact component; restricted ones refuse."""
    spec = spec_of(type(value))
    if spec.kind is ComponentKind.RESTRICTED:
        raise RestrictedComponentError(f"component {spec.name!r} is restricted and is never serialized")

    data: dict[str, Any] = cattrs.unstructure(value)
    return data


class World:
    """Entities (string ids) mapped to their components, one instance per type."""

    def __init__(self) -> None:
        self._entities: dict[str, dict[type, Any]] = {}

    def create(self, entity: str) -> str:
        self._entities.setdefault(entity, {})
        return entity

    @property
    def entities(self) -> list[str]:
        return list(self._entities)

    def add(self, entity: str, value: Any) -> None:
        """Attach ``value`` to ``entity`` (replacing any component of the same type)."""
        spec_of(type(value))
        self._entities.setdefault(entity, {})[type(value)] = value

    def get(self, entity: str, component_type: type[T]) -> T | None:
        return self._entities.get(entity, {}).get(component_type)

    def require(self, entity: str, component_type: type[T]) -> T:
        value = self.get(entity, component_type)
        if value is None:
            raise ComponentError(f"entity {entity!r} has no {component_name(component_type)!r} component")
        return value

    def has(self, entity: str, *component_types: type) -> bool:
        comps = self._entities.get(entity, {})
        return all(t in comps for t in component_types)

    def remove(self, entity: str, component_type: type) -> None:
        self._entities.get(entity, {}).pop(component_type, None)

    def query(self, *component_types: type, without: Iterable[type] = ()) -> Iterator[tuple[str, ...]]:
        """Yield ``(entity, comp1, comp2, ...)`` for entities holding all types and none of ``without``."""
        excluded = tuple(without)
        for entity, comps in self._entities.items():
            if all(t in comps for t in component_types) and not any(t in comps for t in excluded):
                yield (entity, *(comps[t] for t in component_types))

    def has_any(self, component_type: type) -> bool:
        return any(component_type in comps for comps in self._entities.values())

    def components_of(self, entity: str) -> list[Any]:
        return list(self._entities.get(entity, {}).values())

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every reportable component, as plain data: restricted ones are left out."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for entity, comps in self._entities.items():
            entry = {
                spec_of(t).name: serialize_component(v)
                for t, v in comps.items()
                if spec_of(t).kind is not ComponentKind.RESTRICTED
            }
            if entry:
                out[entity] = entry
        return out


class WorldView:
    """The World as one stage may see it: only the components it declared."""

    def __init__(self, world: World, stage_key: str, reads: Iterable[type], writes: Iterable[type]) -> None:
        self._world = world
        self._stage = stage_key
        self._writes = frozenset(writes)
        # A stage may read back what it writes.
        self._reads = frozenset(reads) | self._writes

    def _check(self, component_type: type, allowed: frozenset[type], verb: str) -> None:
        if component_type not in allowed:
            raise UndeclaredComponentAccess(
                f"stage {self._stage!r} {verb} component {component_name(component_type)!r} "
                f"without declaring it in {'writes' if verb == 'writes' else 'reads'}"
            )

    @property
    def entities(self) -> list[str]:
        return self._world.entities

    def get(self, entity: str, component_type: type[T]) -> T | None:
        self._check(component_type, self._reads, "reads")
        return self._world.get(entity, component_type)

    def require(self, entity: str, component_type: type[T]) -> T:
        self._check(component_type, self._reads, "reads")
        return self._world.require(entity, component_type)

    def has(self, entity: str, *component_types: type) -> bool:
        for t in component_types:
            self._check(t, self._reads, "reads")
        return self._world.has(entity, *component_types)

    def query(self, *component_types: type, without: Iterable[type] = ()) -> Iterator[tuple[str, ...]]:
        excluded = tuple(without)
        for t in (*component_types, *excluded):
            self._check(t, self._reads, "reads")
        return self._world.query(*component_types, without=excluded)

    def add(self, entity: str, value: Any) -> None:
        self._check(type(value), self._writes, "writes")
        self._world.add(entity, value)
