"""The optional native PHI core (native/, Rust via PyO3), built by `pip install .` when cargo exists.

Why optional: an air-gapped server without a Rust toolchain must still install rflow; it then runs
the Python path (the reference implementation) and the build prints one notice. Set
RFLOW_NO_NATIVE=1 to skip the native build on purpose; set RFLOW_REQUIRE_NATIVE=1 at run time to
refuse to run without it. Where cargo is found, the build is required: a core that fails to build
fails the install with a one-line hint, rather than leaving a slower install nobody asked for.
"""

from __future__ import annotations

import os
import shutil
import sys

from setuptools import find_packages, setup
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

NOTICE = "rflow: no Rust toolchain (cargo) found; installing the Python PHI path only (same results, slower)"
BUILD_FAILED = ("rflow: the native PHI core did not build (cargo's output above says why); fix the toolchain, "
                "or install the Python PHI path on purpose with RFLOW_NO_NATIVE=1")


class BuildRustOrSayWhy(build_rust):  # type: ignore[misc]
    """setuptools-rust's build, with the one line that says what to do when it fails."""

    def run(self) -> None:
        try:
            super().run()
        except BaseException:
            print(BUILD_FAILED, file=sys.stderr)
            raise


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
            optional=False,  # cargo is here: a failed build is an error, not a silent Python-only install
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
    cmdclass={"build_rust": BuildRustOrSayWhy},
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
