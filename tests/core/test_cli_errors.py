"""The top-level handler: a bug is one sanitized line naming its class; named errors are user errors."""

from __future__ import annotations

import pytest

import engine.cli as cli
from engine.core import exitcodes
from engine.core.errors import RflowError


def _with_command(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """``rflow stages list`` raises ``exc``: the stage registry it lists fails."""
    from engine.plugins import default_registry

    def boom() -> list[type]:
        raise exc

    monkeypatch.setattr(default_registry, "list", boom)


@pytest.mark.parametrize("exc", [ValueError, KeyError, TypeError, RecursionError, UnicodeEncodeError])
def test_an_unexpected_exception_is_one_sanitized_escaped_line_with_its_class(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: type[BaseException]
) -> None:
    text = "bad value 234-56-7890\x1b[2J\nsecond line"
    error = exc("utf-8", text, 0, 1, "x") if exc is UnicodeEncodeError else exc(text)
    _with_command(monkeypatch, error)
    assert cli.main(["stages", "list"]) == exitcodes.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rflow: internal error: ")
    assert exc.__name__ in err
    assert "234-56-7890" not in err and "\x1b" not in err


def test_a_named_engine_error_is_a_user_error_not_an_internal_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_command(monkeypatch, RflowError("the thing at line 3 is wrong: fix it"))
    assert cli.main(["stages", "list"]) == exitcodes.USAGE
    assert capsys.readouterr().err == "rflow: error: the thing at line 3 is wrong: fix it\n"


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _with_command(monkeypatch, KeyboardInterrupt())
    assert cli.main(["stages", "list"]) == exitcodes.INTERRUPTED
