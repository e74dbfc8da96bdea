"""Build of the compiled kernels; the project metadata lives in pyproject.toml.

The extension is optional: where it cannot be compiled (no C compiler), the package is
installed without it, with one line saying so, and runs the numpy kernels instead (and
says so once at import). Set ``BOOSTFOCAL_REQUIRE_KERNELS=1`` to make a failed compile an
error (the wheel builds do).

The kernels are four translation units (the bindings, and the kernels built for the
baseline instruction set, AVX2 and AVX-512), compiled in parallel.
"""

from __future__ import annotations

import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

#: Flags for GCC and clang: optimized and vectorized, but exact (no -ffast-math; fused
#: multiply-adds only where the code calls fma()).
#: -fno-trapping-math only lets GCC compute both sides of a select (it changes no result;
#: the kernels never read the floating-point exception flags), which some loops need to
#: vectorize. -g0 drops the debug information that Python's own CFLAGS ask for.
UNIX_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-g0"]

#: Linker flags that strip what the loader does not need (the symbol table; the exported
#: functions stay in the dynamic symbol table).
STRIP_FLAGS = {"linux": ["-s"], "darwin": ["-Wl,-S,-x"]}

#: The C sources of the extension (the bindings and one file per instruction set).
KERNELS = "boostfocal/losses/_kernels/"


def _require_kernels() -> bool:
    return os.environ.get("BOOSTFOCAL_REQUIRE_KERNELS", "").strip() not in ("", "0")


def _report_no_kernels(exc: Exception) -> None:
    """The one line a build without the compiled kernels prints."""
    detail = " ".join(str(exc).split()) or "no detail"
    if len(detail) > 160:  # a compiler's whole command line: keep its start and its end
        detail = f"{detail[:70]} ... {detail[-70:]}"
    print(f"boostfocal: the optional compiled kernels were not built ({type(exc).__name__}: "
          f"{detail}); installing without them, boostfocal runs its slower numpy kernels "
          "instead (install a C compiler and reinstall to get them)", file=sys.stderr,
          flush=True)


class BuildExt(build_ext):
    """Adds the flags the compiler supports, compiles in parallel, and may go without."""

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
        link = []
        if self.compiler.compiler_type == "msvc":
            flags = ["/O2", "/fp:precise"]
        else:
            flags = [f for f in UNIX_FLAGS if self._supports(f)]
            link = STRIP_FLAGS.get("darwin" if sys.platform == "darwin" else
                                   "linux" if sys.platform.startswith("linux") else "", [])
        for ext in self.extensions:
            ext.extra_compile_args = [*flags, *ext.extra_compile_args]
            ext.extra_link_args = [*link, *ext.extra_link_args]
        super().build_extensions()

    def build_extension(self, ext: Extension) -> None:
        """Build ``ext`` with its sources compiled in parallel; without it if that fails."""
        serial = self.compiler.compile
        patched = self.compiler.compiler_type != "msvc"
        if patched:  # MSVC initializes itself on first use

            def parallel(sources, *args, **kwargs):
                jobs = min(len(sources), os.cpu_count() or 1)
                if jobs <= 1:
                    return serial(sources, *args, **kwargs)
                with ThreadPoolExecutor(jobs) as pool:
                    parts = list(pool.map(lambda s: serial([s], *args, **kwargs), sources))
                return [obj for part in parts for obj in part]

            self.compiler.compile = parallel
        try:
            super().build_extension(ext)
        except Exception as exc:  # a missing or failing compiler (CompileError, ...)
            if _require_kernels():
                raise
            _report_no_kernels(exc)
        finally:
            if patched:
                del self.compiler.compile

    def run(self) -> None:
        """Build; a compiler that cannot even be set up also means "go without"."""
        try:
            super().run()
        except Exception as exc:
            if _require_kernels():
                raise
            _report_no_kernels(exc)


setup(
    ext_modules=[Extension(
        "boostfocal.losses._kernels._ckernels",
        # longest first (gcc 12, -O3: about 42, 37, 17 and 0.5 CPU-seconds), so that a
        # 2-job build runs AVX-512 beside AVX2-then-baseline
        [KERNELS + "isa_avx512.c", KERNELS + "isa_avx2.c", KERNELS + "isa_baseline.c",
         KERNELS + "_ckernels.c"],
        depends=[KERNELS + h for h in ("common.h", "elementary.h", "binary.h", "softmax.h",
                                       "dd.h", "proba.h", "isa.h")])],
    cmdclass={"build_ext": BuildExt},
)
