"""The optional native PHI core (native/, Rust via PyO3), built by `pip install .` when cargo exists.

Why optional: an air-gapped server without a Rust toolchain must still install rflow; it then runs
the Python path (the reference implementation) and the build prints one notice. Set
RFLOW_NO_NATIVE=1 to skip the native build on purpose; set RFLOW_REQUIRE_NATIVE=1 at run time to
refuse to run without it.
"""

from __future__ import annotations

import os
import shutil
import sys

from setuptools import find_packages, setup
from setuptools_rust import Binding, RustExtension

NOTICE = "rflow: no Rust toolchain (cargo) found; installing the Python PHI path only (same results, slower)"


def rust_extensions() -> list[RustExtension]:
    if os.environ.get("RFLOW_NO_NATIVE") == "1":
        return []
    if shutil.which("cargo") is None:
        # setuptools-rust would only fail here; never send a user to download a toolchain.
        print(NOTICE, file=sys.stderr)
        return []
    return [
        RustExtension(
            "engine._native",
            path="native/Cargo.toml",
            binding=Binding.PyO3,
            py_limited_api=True,
            optional=True,
            debug=False,  # in-place (editable) builds would default to debug: 10-50x slower loops
            args=["--locked"],
        )
    ]


# The repository keeps schemas/ and manifests/ at its top level; installed, they are engine.schemas and
# engine.manifests, so rflow adds no generic top-level package names to site-packages.
SHIPPED = {"engine.schemas": "schemas", "engine.manifests": "manifests"}

setup(
    packages=[*find_packages(include=["engine", "engine.*", "stages", "stages.*"]), *SHIPPED],
    package_dir=SHIPPED,
    rust_extensions=rust_extensions(),
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
