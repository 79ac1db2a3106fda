from __future__ import annotations

import attrs
import pytest

from engine import ComponentError, RestrictedComponentError, UndeclaredComponentAccess, World, WorldView, component
from engine.core.components import serialize_component

from .conftest import Counter, ReportFile, Secret


def test_component_decorator_makes_frozen_attrs() -> None:
    c = Counter(3)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        c.value = 4  # type: ignore[misc]


def test_mutable_attrs_class_is_refused() -> None:
    @attrs.define
    class Mutable:
        x: int

    with pytest.raises(ComponentError, match="frozen"):
        component("mutable_thing")(Mutable)


def test_artifact_needs_path_field() -> None:
    with pytest.raises(ComponentError, match="'path'"):

        @component("bad_artifact", "artifact")
        class NoPath:
            size: int


def test_component_name_clash_is_refused() -> None:
    with pytest.raises(ComponentError, match="test_counter"):

        @component("test_counter")
        class Other:
            value: int


def test_query_with_and_without() -> None:
    world = World()
    world.add("input:a", Counter(1))
    world.add("input:b", Counter(2))
    world.add("input:b", ReportFile("b.json"))
    assert [e for e, _ in world.query(Counter)] == ["input:a", "input:b"]
    assert [e for e, _ in world.query(Counter, without=[ReportFile])] == ["input:a"]
    assert world.get("input:a", ReportFile) is None
    with pytest.raises(ComponentError, match="test_report"):
        world.require("input:a", ReportFile)


def test_restricted_components_are_never_serialized() -> None:
    world = World()
    world.add("input:a", Secret("123-45-6789"))
    world.add("input:a", Counter(1))
    with pytest.raises(RestrictedComponentError):
        serialize_component(Secret("x"))
    snap = world.snapshot()
    assert snap == {"input:a": {"test_counter": {"value": 1}}}
    assert "123-45-6789" not in repr(snap)


def test_view_enforces_declared_reads_and_writes() -> None:
    world = World()
    world.add("input:a", Counter(1))
    view = WorldView(world, "my_stage", reads=[Counter], writes=[ReportFile])
    assert view.get("input:a", Counter) == Counter(1)
    view.add("input:a", ReportFile("r.json"))
    assert view.get("input:a", ReportFile) == ReportFile("r.json")  # may read back its writes
    with pytest.raises(UndeclaredComponentAccess) as err:
        view.get("input:a", Secret)
    assert "my_stage" in str(err.value) and "test_secret" in str(err.value) and "reads" in str(err.value)
    with pytest.raises(UndeclaredComponentAccess, match="writes"):
        view.add("input:a", Counter(2))
    with pytest.raises(UndeclaredComponentAccess):
        list(view.query(Counter, without=[Secret]))
