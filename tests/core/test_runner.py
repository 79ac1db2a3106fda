from __future__ import annotations

import asyncio
import logging
import os
import time

import attrs
import pytest

from engine import InputDataset, StageContext, StageRegistry, StageResult, StageStatus, World, run_stages
from engine.execution.step_runner import PlannedStep, RunObserver, execute_plan
from engine.testing import make_stage

from .conftest import CountConfig, Counter, ReportFile, Secret

CANARY = {
    "ssn": "219-09-9999",
    "phone": "(415) 555-0132",
    "email": "jane.moreno@example.org",
    "mrn": "MRN: 00482913",
}


def stage(registry: StageRegistry, key: str, sid: int, *, reads=(), writes=(), config=CountConfig):
    """Register a stage whose behaviour is the decorated coroutine function."""

    def wrap(fn):
        return make_stage(key, sid, fn, reads=reads, writes=writes, config=config, registry=registry)

    return wrap


@pytest.fixture
def stages(registry: StageRegistry, tmp_path):
    @stage(registry, "produce", 1, writes=(Counter,))
    async def produce(self, ctx):
        ctx.world.add("run", Counter(ctx.config.start))
        return StageResult.completed({"produced": ctx.config.start})

    @stage(registry, "consume", 2, reads=(Counter,))
    async def consume(self, ctx):
        return StageResult.completed({"seen": ctx.world.require("run", Counter).value})

    @stage(registry, "explode", 3)
    async def explode(self, ctx):
        raise ValueError("boom")

    @stage(registry, "independent", 4)
    async def independent(self, ctx):
        return StageResult.completed({"ok": True})

    return registry


def ctx(tmp_path, **kw) -> StageContext:
    return StageContext(job_id="job-1", mode="DEMO", workspace=tmp_path / "ws", **kw)


def run(coro):
    return asyncio.run(coro)


def test_strict_order_and_config(stages, tmp_path) -> None:
    results = run(
        run_stages(["produce", "consume"], ctx(tmp_path), registry=stages, configs={"produce": {"start": 5}})
    )
    assert [r.status for r in results] == [StageStatus.COMPLETED, StageStatus.COMPLETED]
    assert results[1].output == {"seen": 5}
    identity = [(r.stage_id, r.stage_key, r.stage_version) for r in results]
    assert identity == [(1, "produce", "1.0.0"), (2, "consume", "1.0.0")]
    assert all(r.duration_s is not None and r.duration_s >= 0 for r in results)


def test_stop_on_failure_skips_the_rest_with_reason(stages, tmp_path) -> None:
    results = run(run_stages([3, 1, 4], ctx(tmp_path), registry=stages))
    assert [r.status for r in results] == [StageStatus.FAILED, StageStatus.SKIPPED, StageStatus.SKIPPED]
    assert results[0].errors == ("ValueError: boom",)
    assert "'explode' failed" in results[1].warnings[0]


def test_without_stop_on_failure_only_steps_missing_reads_are_skipped(stages, tmp_path) -> None:
    @stage(stages, "fail_producer", 5, writes=(Counter,))
    async def fail_producer(self, ctx):
        raise RuntimeError("nope")

    results = run(run_stages(["fail_producer", "consume", "independent"], ctx(tmp_path), False, registry=stages))
    assert [r.status for r in results] == [StageStatus.FAILED, StageStatus.SKIPPED, StageStatus.COMPLETED]
    assert "missing input components: test_counter" in results[1].warnings[0]


def test_timeout_fails_the_step_and_stops_threaded_work(stages, tmp_path) -> None:
    finished = []

    @stage(stages, "slow", 6)
    async def slow(self, ctx):
        def work():
            for _ in range(500):
                ctx.checkpoint()
                time.sleep(0.01)
            finished.append(True)

        await ctx.run_blocking(work)
        return StageResult.completed({})

    steps = [
        PlannedStep("slow", stages.get("slow"), CountConfig(), timeout_s=0.2),
        PlannedStep("i", stages.get(4), CountConfig()),
    ]
    started = time.perf_counter()
    outcome = run(execute_plan(steps, ctx(tmp_path)))
    assert time.perf_counter() - started < 3
    assert outcome.results[0].status is StageStatus.FAILED
    assert "timeout" in outcome.results[0].errors[0]
    assert outcome.results[1].status is StageStatus.SKIPPED
    assert finished == []


def test_cancellation_marks_current_failed_rest_skipped_and_returns(stages, tmp_path) -> None:
    @stage(stages, "hang", 7)
    async def hang(self, ctx):
        await asyncio.sleep(30)
        return StageResult.completed({})

    async def main():
        task = asyncio.create_task(run_stages(["independent", "hang", "produce"], ctx(tmp_path), registry=stages))
        await asyncio.sleep(0.2)
        task.cancel()
        return await task

    results = run(main())
    assert [r.status for r in results] == [StageStatus.COMPLETED, StageStatus.FAILED, StageStatus.SKIPPED]
    assert "cancelled" in results[1].errors[0]
    assert results[2].warnings == ("run cancelled",)


@pytest.mark.parametrize(
    ("output", "fragment"),
    [
        ({"rows": {1, 2}}, "output['rows'] has type set"),
        ({"nested": {"deeper": [b"raw"]}}, "output['nested']['deeper'][0] has type bytes"),
        ({"x": float("nan")}, "non-finite"),
        ({"note": "x" * 1000}, "longer than"),
        ({"who": "call 415-555-0132 now"}, "output['who'] is a string that looks like PHI"),
        ({1: "int key"}, "non-string key"),
    ],
)
def test_output_guard_names_the_path_never_the_value(stages, tmp_path, output, fragment) -> None:
    @stage(stages, "leaky", 8)
    async def leaky(self, ctx):
        return StageResult.completed(output)

    [result] = run(run_stages(["leaky"], ctx(tmp_path), registry=stages))
    assert result.status is StageStatus.FAILED
    assert any(fragment in e for e in result.errors), result.errors
    assert result.output == {}
    assert "415-555-0132" not in repr(result)


def test_output_guard_rejects_deep_nesting(stages, tmp_path) -> None:
    deep: dict = {}
    node = deep
    for _ in range(12):
        node["d"] = {}
        node = node["d"]

    @stage(stages, "deep", 9)
    async def deep_stage(self, ctx):
        return StageResult.completed(deep)

    [result] = run(run_stages(["deep"], ctx(tmp_path), registry=stages))
    assert result.status is StageStatus.FAILED and "deeper than" in result.errors[0]


@pytest.mark.parametrize(
    ("artifact", "fragment"),
    [("/etc/passwd", "absolute"), ("../outside.txt", "'..'"), ("link/out.txt", "symlink")],
)
def test_artifact_escapes_are_refused(stages, tmp_path, artifact, fragment) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    os.symlink(tmp_path, ws / "link")

    @stage(stages, "artifacts", 10)
    async def artifacts(self, ctx):
        return StageResult.completed({}, artifacts=[artifact])

    [result] = run(run_stages(["artifacts"], ctx(tmp_path), registry=stages))
    assert result.status is StageStatus.FAILED
    assert fragment in result.errors[0]


def test_artifact_inside_workspace_is_accepted(stages, tmp_path) -> None:
    @stage(stages, "writer", 11, writes=(ReportFile,))
    async def writer(self, ctx):
        ctx.artifact_path("out/report.json").write_text("{}")
        ctx.world.add("run", ReportFile("out/report.json"))
        return StageResult.completed({"written": 1}, artifacts=["out/report.json"])

    [result] = run(run_stages(["writer"], ctx(tmp_path), registry=stages))
    assert result.status is StageStatus.COMPLETED and result.artifacts == ("out/report.json",)


def test_undeclared_component_access_fails_the_step(stages, tmp_path) -> None:
    @stage(stages, "sneaky", 12)
    async def sneaky(self, ctx):
        ctx.world.add("run", Secret("raw"))
        return StageResult.completed({})

    [result] = run(run_stages(["sneaky"], ctx(tmp_path), registry=stages))
    assert result.status is StageStatus.FAILED
    assert "UndeclaredComponentAccess" in result.errors[0] and "'sneaky'" in result.errors[0]


def test_observer_sees_every_step(stages, tmp_path) -> None:
    events = []

    class Recorder(RunObserver):
        def step_started(self, index, total, step):
            events.append(("start", index, total, step.step_id))

        def step_finished(self, index, total, step, result):
            events.append(("finish", index, total, result.status.value))

    run(run_stages(["explode", "independent"], ctx(tmp_path), registry=stages, observer=Recorder()))
    assert events == [("start", 1, 2, "explode"), ("finish", 1, 2, "failed"), ("finish", 2, 2, "skipped")]


def test_world_inputs_satisfy_reads(stages, tmp_path) -> None:
    @stage(stages, "reader", 13, reads=(InputDataset,))
    async def reader(self, ctx):
        return StageResult.completed({"inputs": len(list(ctx.world.query(InputDataset)))})

    world = World()
    world.add("input:dataset", InputDataset("dataset", "/data/x.csv", "csv"))
    [result] = run(run_stages(["reader"], attrs.evolve(ctx(tmp_path), world=world), registry=stages))
    assert result.output == {"inputs": 1}


def test_canary_exception_text_never_leaks(stages, tmp_path, caplog, capsys) -> None:
    secret_text = "patient {ssn} phone {phone} email {email} {mrn}".format(**CANARY)

    @stage(stages, "canary", 14)
    async def canary(self, ctx):
        ctx.logger.error("processing %s", secret_text)
        ctx.logger.warning("direct: " + secret_text)
        try:
            int(CANARY["ssn"])
        except ValueError as exc:
            raise RuntimeError(secret_text) from exc

    with caplog.at_level(logging.DEBUG, logger="rflow"):
        [result] = run(run_stages(["canary"], ctx(tmp_path), registry=stages))
    captured = capsys.readouterr()
    assert result.status is StageStatus.FAILED
    haystacks = [repr(result.to_dict()), caplog.text, captured.out, captured.err]
    haystacks += [r.getMessage() for r in caplog.records]
    for value in CANARY.values():
        digits = value.split(": ")[-1]
        for hay in haystacks:
            assert value not in hay
            assert digits not in hay
    assert result.errors[0].startswith("RuntimeError: ")
    assert "[PHI:" in result.errors[0]


def test_optional_reads_are_readable_but_not_required(stages, tmp_path) -> None:
    def make(key: str, sid: int):
        async def execute(self, ctx):
            found = ctx.world.get("run", Counter)
            return StageResult.completed({"seen": None if found is None else found.value})

        cls = type(f"{key}Stage", (), {
            "stage_id": sid, "stage_name": key, "key": key, "version": "1.0.0", "reads": (),
            "optional_reads": (Counter,), "writes": (), "modes": ("*",), "Config": CountConfig,
            "execute": execute,
        })
        return stages.register(cls)

    make("maybe", 15)
    alone = run(run_stages(["maybe"], ctx(tmp_path), registry=stages))
    assert alone[0].status is StageStatus.COMPLETED and alone[0].output == {"seen": None}
    after = run(run_stages(["produce", "maybe"], ctx(tmp_path / "b"), registry=stages))
    assert after[1].output == {"seen": 1}


def test_a_run_in_which_nothing_ran_is_never_completed(stages, tmp_path) -> None:
    steps = [PlannedStep("consume", stages.get("consume"), CountConfig())]  # nobody writes its Counter
    outcome = run(execute_plan(steps, ctx(tmp_path)))
    assert [r.status for r in outcome.results] == [StageStatus.SKIPPED]
    assert outcome.nothing_ran and outcome.status == "failed"
    assert run(execute_plan([], ctx(tmp_path))).status == "failed"
