from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from engine import (
    EmptyConfig,
    RegistrationError,
    StageRegistry,
    UnknownStageError,
    register_stage,
)
from engine.testing import make_stage as build_stage

from .conftest import Counter


def make_stage(**overrides):
    """Stage seven, with any attribute replaced (a malformed one, for the registration checks)."""
    fields = {"stage_name": "Seven", "writes": (Counter,), "modes": ("DEMO",), "__module__": __name__, **overrides}
    return build_stage(
        fields.pop("key", "seven"), fields.pop("stage_id", 7), class_name=fields.pop("name", "SevenStage"), **fields
    )


def test_register_and_lookup_by_id_key_and_digit_string(registry: StageRegistry) -> None:
    cls = register_stage(registry=registry)(make_stage())
    assert registry.get(7) is cls
    assert registry.get("seven") is cls
    assert registry.get("7") is cls
    assert registry.list() == [cls]


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"stage_id": 0}, "stage_id must be a positive int"),
        ({"stage_id": True}, "stage_id must be a positive int"),
        ({"stage_name": ""}, "stage_name"),
        ({"key": "Bad Key"}, "key must be a lowercase slug"),
        ({"version": "1.0"}, "semantic version"),
        ({"version": 1}, "semantic version"),
        ({"reads": [Counter]}, "reads must be a tuple of component classes"),
        ({"writes": (int,)}, "writes must be a tuple of component classes"),
        ({"modes": ()}, "modes must be a non-empty tuple"),
        ({"modes": ("bad mode!",)}, "modes"),
        ({"Config": dict}, "Config must be an attrs class"),
        ({"execute": lambda self, ctx: None}, "execute must be 'async def"),
    ],
)
def test_malformed_stage_fails_at_registration(registry, override, fragment) -> None:
    with pytest.raises(RegistrationError) as err:
        registry.register(make_stage(**override))
    assert fragment in str(err.value)
    assert "SevenStage" in str(err.value)


def test_missing_execute_is_reported(registry) -> None:
    cls = make_stage()
    del cls.execute
    with pytest.raises(RegistrationError, match="execute"):
        registry.register(cls)


def test_missing_config_defaults_to_empty_config(registry) -> None:
    cls = make_stage()
    del cls.Config
    assert registry.register(cls).Config is EmptyConfig


@pytest.mark.parametrize("clash", [{"stage_id": 7, "key": "other"}, {"stage_id": 8, "key": "seven"}])
def test_duplicate_id_or_key_names_both_modules(registry, clash) -> None:
    registry.register(make_stage())
    other = make_stage(name="OtherStage", **clash)
    other.__module__ = "thirdparty.plugin"
    with pytest.raises(RegistrationError) as err:
        registry.register(other)
    text = str(err.value)
    assert "thirdparty.plugin" in text and __name__ in text


def test_same_class_registered_twice_is_not_a_conflict(registry) -> None:
    cls = make_stage()
    registry.register(cls)
    again = make_stage()  # a re-import produces an equal-named class from the same module
    registry.register(again)
    assert registry.get("seven") is again


def test_unknown_key_suggests_close_matches(registry) -> None:
    registry.register(make_stage(key="phi_scan", stage_id=4))
    with pytest.raises(UnknownStageError) as err:
        registry.get("phi_scn")
    assert "did you mean phi_scan" in str(err.value)
    with pytest.raises(UnknownStageError) as err:
        registry.get(5)
    assert "4 (phi_scan)" in str(err.value)


def _write_dist(root: Path, dist: str, entry_points: str, modules: dict[str, str]) -> None:
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))


GOOD_PLUGIN = """
    import attrs
    from engine import StageResult, StageRegistry, register_stage
    from engine.core.engine_components import InputDataset

    class CountRows:
        stage_id = 901
        stage_name = "Count rows (plugin)"
        key = "count_rows"
        version = "2.1.0"
        reads = (InputDataset,)
        writes = ()
        modes = ("*",)

        @attrs.frozen
        class Config:
            limit: int = 10

        async def execute(self, context):
            return StageResult.completed({"limit": context.config.limit})
"""


def test_entry_point_plugins_good_and_broken(tmp_path, monkeypatch) -> None:
    _write_dist(
        tmp_path,
        "rflow_test_plugins",
        "[rflow.stages]\ncount_rows = rflow_good_plugin:CountRows\nbroken = rflow_broken_plugin\n",
        {
            "rflow_good_plugin": GOOD_PLUGIN,
            "rflow_broken_plugin": "raise RuntimeError('plugin exploded for patient 123-45-6789')\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = StageRegistry()
    # Lazy: asking for the plugin's key loads only that entry point.
    stage = reg.get("count_rows")
    assert stage.version == "2.1.0"
    assert reg.plugin_errors == []
    # Listing loads everything; the broken one is reported by name and sanitized.
    listed = reg.list()
    assert "count_rows" in [s.key for s in listed]
    assert len(reg.plugin_errors) == 1
    message = str(reg.plugin_errors[0])
    assert "'broken'" in message and "RuntimeError" in message
    assert "123-45-6789" not in message
    for name in ("rflow_good_plugin", "rflow_broken_plugin"):
        sys.modules.pop(name, None)


def test_builtin_stages_survive_a_broken_plugin(tmp_path, monkeypatch) -> None:
    _write_dist(tmp_path, "rflow_broken", "[rflow.stages]\nbroken = no_such_module_xyz\n", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = StageRegistry()
    reg.register(make_stage())
    keys = [s.key for s in reg.list()]
    assert "seven" in keys and set(BUILTIN_KEYS) <= set(keys)
    assert "no_such_module_xyz" in str(reg.plugin_errors[0])


BUILTIN_KEYS = ("upload", "schema_check", "irb_check", "phi_scan", "validate", "deidentify", "summary")


def test_builtin_stages_are_an_entry_point_plugin_like_any_other() -> None:
    """The built-ins come only from the ``rflow.stages`` group: a registry without it knows none."""
    from importlib import metadata

    declared = {ep.name: ep.value for ep in metadata.entry_points(group="rflow.stages")}
    assert set(BUILTIN_KEYS) <= set(declared)
    assert all(declared[k].startswith("stages.") for k in BUILTIN_KEYS)
    assert StageRegistry(entry_point_group=None).keys() == []
    reg = StageRegistry()
    for key in BUILTIN_KEYS:
        assert reg.get(key).__module__.startswith(declared[key].split(":")[0])
