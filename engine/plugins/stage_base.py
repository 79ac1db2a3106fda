"""``StageBase``: an optional base class that declares a stage with class keywords.

A stage is any class with the attributes of :class:`engine.Stage`; nothing requires this base. What it
adds is that the declaration is checked when the ``class`` statement runs, not when the class is first
registered or, for an optional flag, never: a flag left out of a plain class takes its default, so a
misspelt one (``gatekeping = True``) is silently an ordinary attribute and the stage is not a
gatekeeper. Here every contract attribute is a class keyword, typed for a type checker, and

- a keyword the contract does not have is a :class:`RegistrationError` naming the closest one;
- a contract attribute given both as a keyword and in the class body is one too;
- a name in the class body that reads like a misspelt contract attribute (``detect_phi``) is one too;
- the values are checked as :func:`engine.register_stage` checks them.

``modes`` defaults to every mode and ``Config`` to :class:`engine.EmptyConfig`; the optional flags to
their contract defaults (:data:`engine.core.contract.STAGE_DEFAULTS`). Register the class as any
other, with ``@register_stage``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from engine.core.contract import ANY_MODE, STAGE_DEFAULTS, EmptyConfig, Stage
from engine.core.errors import RegistrationError
from engine.plugins import check_stage_class

CONTRACT = ("stage_id", "stage_name", "key", "version", "reads", "writes", "modes", "Config", *STAGE_DEFAULTS)
"""The class keywords: the attributes of :class:`engine.Stage` other than ``execute``."""
_LOOKALIKE = 0.85
"""How close (difflib's ratio) a class-body name must be to a contract attribute to be taken as a misspelling."""


class StageBase(Stage):
    """A stage declared with class keywords, checked when the class is created (see the module)::

        @register_stage
        class RowCount(StageBase, stage_id=101, stage_name="Input count", key="input_count",
                       version="1.0.0", reads=(InputDataset,), writes=(), gatekeeping=True):
            async def execute(self, context: StageContext) -> StageResult: ...

    The attributes are the :class:`engine.Stage` protocol's; those a stage may leave out have their defaults.
    """

    modes = (ANY_MODE,)
    Config = EmptyConfig
    optional_reads = STAGE_DEFAULTS["optional_reads"]
    detects_phi = STAGE_DEFAULTS["detects_phi"]
    removes_phi = STAGE_DEFAULTS["removes_phi"]
    touches_raw_data = STAGE_DEFAULTS["touches_raw_data"]
    gatekeeping = STAGE_DEFAULTS["gatekeeping"]

    if TYPE_CHECKING:
        # What a type checker holds the class keywords to (a misspelt one is an error there too).
        def __init_subclass__(
            cls, *, stage_id: int, stage_name: str, key: str, version: str,
            reads: tuple[type, ...], writes: tuple[type, ...], modes: tuple[str, ...] = (ANY_MODE,),
            Config: type = EmptyConfig, optional_reads: tuple[type, ...] = (), detects_phi: bool = False,
            removes_phi: bool = False, touches_raw_data: bool = True, gatekeeping: bool = False,
        ) -> None: ...
    else:
        def __init_subclass__(cls, **declared: Any) -> None:
            super().__init_subclass__()
            declare(cls, declared)


def declare(cls: type, declared: dict[str, Any]) -> None:
    """Set the class keywords ``declared`` on ``cls`` and check the declaration (RegistrationError)."""
    where = f"stage class {cls.__module__}.{cls.__qualname__}"
    for name in sorted(set(declared) - set(CONTRACT)):
        close = difflib.get_close_matches(name, CONTRACT, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; the keywords are {', '.join(CONTRACT)}"
        raise RegistrationError(f"{where}: {name!r} is not an attribute of the stage contract{hint}")
    body = vars(cls)
    for name in sorted(declared.keys() & body.keys()):
        raise RegistrationError(f"{where}: {name!r} is given both as a class keyword and in the class body")
    for name in sorted(body):
        close = difflib.get_close_matches(name, CONTRACT, n=1, cutoff=_LOOKALIKE)
        if close and close[0] != name:
            raise RegistrationError(f"{where}: {name!r} reads like a misspelling of {close[0]!r}; "
                                    f"declare {close[0]!r} as a class keyword")
    for name, value in declared.items():
        setattr(cls, name, value)
    check_stage_class(cls)
