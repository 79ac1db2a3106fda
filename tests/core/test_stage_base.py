"""engine.StageBase: a stage declared with class keywords is checked when its class statement runs.

A plain stage class (the protocol alone) keeps working; these tests pin that the keyword form gives the
registry the same class attributes, and that a misspelt flag, a flag given twice or a bad value is a
RegistrationError at class creation instead of an attribute the contract never reads.
"""

from __future__ import annotations

import asyncio

import pytest

from engine import (
    ANY_MODE,
    EmptyConfig,
    InputDataset,
    RegistrationError,
    StageBase,
    StageContext,
    StageRegistry,
    StageResult,
    World,
    run_stages,
)
from engine.plugins.cards import card_of
from engine.testing import make_stage

from .conftest import Counter


async def _completed(self: object, context: StageContext) -> StageResult:
    return StageResult.completed({})


def declared(**keywords: object) -> type:
    """A StageBase class with ``keywords`` (the required ones filled in unless given)."""
    given = {"stage_id": 7, "stage_name": "seven", "key": "seven", "version": "1.0.0", "reads": (),
             "writes": (Counter,), **keywords}
    return type("Seven", (StageBase,), {"execute": _completed, "__module__": __name__}, **given)


def test_the_keywords_give_the_same_stage_as_the_plain_protocol() -> None:
    plain = make_stage("seven", 7, writes=(Counter,), stage_name="seven", gatekeeping=True,
                       class_name="Seven", __module__=__name__)
    keyword = declared(gatekeeping=True)
    for cls in (plain, keyword):
        StageRegistry(entry_point_group=None).register(cls)
    assert card_of(keyword) == card_of(plain)
    for name in ("modes", "Config", "optional_reads", "detects_phi", "removes_phi", "touches_raw_data",
                 "gatekeeping"):
        assert getattr(keyword, name) == getattr(plain, name), name
    assert keyword.modes == (ANY_MODE,) and keyword.Config is EmptyConfig


def test_a_declared_stage_runs() -> None:
    registry = StageRegistry(entry_point_group=None)

    class Inputs(StageBase, stage_id=8, stage_name="inputs", key="inputs", version="1.0.0",
                 reads=(InputDataset,), writes=(), touches_raw_data=False):
        async def execute(self, context: StageContext) -> StageResult:
            return StageResult.completed({"inputs": len(list(context.world.query(InputDataset))),
                                          "key": self.key, "raw": self.touches_raw_data})

    registry.register(Inputs)
    world = World()
    world.add("input:dataset", InputDataset("dataset", "export.csv", "csv"))
    [result] = asyncio.run(run_stages(["inputs"], StageContext(world=world), registry=registry))
    assert result.output == {"inputs": 1, "key": "inputs", "raw": False}


def test_a_misspelt_keyword_is_refused_with_the_closest_name() -> None:
    with pytest.raises(RegistrationError, match="'gatekeping' is not an attribute of the stage contract; "
                                                "did you mean 'gatekeeping'"):
        declared(gatekeping=True)


def test_an_unknown_keyword_lists_the_contract() -> None:
    with pytest.raises(RegistrationError, match="the keywords are stage_id, stage_name, key"):
        declared(colour="blue")


def test_a_flag_in_the_body_that_reads_like_a_misspelling_is_refused() -> None:
    with pytest.raises(RegistrationError, match="'detect_phi' reads like a misspelling of 'detects_phi'"):
        type("Seven", (StageBase,), {"execute": _completed, "detect_phi": True},
             stage_id=7, stage_name="seven", key="seven", version="1.0.0", reads=(), writes=())


def test_a_keyword_also_given_in_the_body_is_refused() -> None:
    with pytest.raises(RegistrationError, match="'gatekeeping' is given both as a class keyword and in the class"):
        type("Seven", (StageBase,), {"execute": _completed, "gatekeeping": False},
             stage_id=7, stage_name="seven", key="seven", version="1.0.0", reads=(), writes=(), gatekeeping=True)


@pytest.mark.parametrize(
    ("keywords", "fragment"),
    [
        ({"stage_id": 0}, "stage_id must be a positive int"),
        ({"key": "Bad Key"}, "key must be a lowercase slug"),
        ({"reads": [Counter]}, "reads must be a tuple of component classes"),
        ({"gatekeeping": "yes"}, "gatekeeping must be True or False"),
        ({"Config": dict}, "Config must be an attrs class"),
    ],
)
def test_a_bad_value_is_refused_when_the_class_is_created(keywords: dict[str, object], fragment: str) -> None:
    with pytest.raises(RegistrationError, match=fragment):
        declared(**keywords)


def test_a_missing_keyword_is_refused_when_the_class_is_created() -> None:
    with pytest.raises(RegistrationError, match="version must be a semantic version"):
        type("Seven", (StageBase,), {"execute": _completed}, stage_id=7, stage_name="s", key="seven",
             reads=(), writes=())


def test_other_names_in_the_body_are_the_stage_s_own() -> None:
    cls = type("Seven", (StageBase,), {"execute": _completed, "writer": None, "reader": None, "config_files": None},
               stage_id=7, stage_name="seven", key="seven", version="1.0.0", reads=(), writes=())
    assert cls.writer is None  # type: ignore[attr-defined]
