"""A package's names loaded from their modules on first use (PEP 562 ``__getattr__``/``__dir__``).

Why: ``import engine`` must stay cheap (``rflow validate`` does not pay for the runner or the data
plane), and a package whose ``__init__`` imports its own submodules can be handed half-initialized
by two threads importing two of them at once. A type checker does not run this: each package gives
it the real names in an ``if TYPE_CHECKING:`` block and installs the hooks only under
``if not TYPE_CHECKING:``, so a misspelt name is an error rather than ``Any``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``homes`` maps a public name to the module defining it.

    A module name starting with ``.`` is relative to ``package``. A name that is a submodule of its
    home (not an attribute of it) is imported as that submodule. A loaded name is kept in the
    package's namespace, so the hook runs once per name.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(home, package)
        value = getattr(module, name) if hasattr(module, name) else importlib.import_module(f".{name}", module.__name__)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
