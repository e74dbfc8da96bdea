"""Build of the compiled kernels; the project metadata lives in pyproject.toml."""

from __future__ import annotations

import os
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

#: Flags for GCC and clang: optimized and vectorized, but exact (no -ffast-math; fused
#: multiply-adds only where the code calls fma()).
#: -fno-trapping-math only lets GCC compute both sides of a select (it changes no result;
#: the kernels never read the floating-point exception flags), which some loops need to
#: vectorize.
UNIX_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"]


class BuildExt(build_ext):
    """Adds the compiler flags that the compiler in use supports."""

    def _supports(self, flag: str) -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "flag.c")
            with open(src, "w") as f:
                f.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([src], output_dir=tmp, extra_postargs=[flag, "-Werror"])
            except Exception:
                return False
        return True

    def build_extensions(self) -> None:
        """Set each extension's flags for this compiler, then build."""
        if self.compiler.compiler_type == "msvc":
            flags = ["/O2", "/fp:precise"]
        else:
            flags = [f for f in UNIX_FLAGS if self._supports(f)]
        for ext in self.extensions:
            ext.extra_compile_args = [*flags, *ext.extra_compile_args]
        super().build_extensions()


setup(
    ext_modules=[Extension("boostfocal.losses._ckernels", ["boostfocal/losses/_kernels.c"],
                           depends=["boostfocal/losses/_kernels_isa.h"])],
    cmdclass={"build_ext": BuildExt},
)
