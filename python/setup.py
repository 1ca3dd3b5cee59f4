"""Build the pluck extension over libpluck.

The C library is built by the repository's own Makefile (one build description), as a
static archive of position-independent objects in build/python/, and linked into the
extension module pluck._pluck together with the codec libraries it needs.  So this package
builds from a clone of the repository (python/ next to src/ and include/).

WERROR=1 in the environment turns warnings into errors (as `make test` does).
"""
import os
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBDIR = "build/python"


class BuildWithLibpluck(build_ext):
    """Builds libpluck.a first; the extension depends on it, so it is relinked when the
    archive is newer (setuptools looks only at sources and `depends`)."""

    def run(self):
        if not (ROOT / "Makefile").exists() or not (ROOT / "include" / "pluck.h").exists():
            raise SystemExit("pluck: build from a clone of the repository (python/ needs ../src)")
        make = os.environ.get("MAKE", "make")
        # a plain build whatever the calling make had (SANITIZE=1 would need libasan loaded
        # into the interpreter): no inherited MAKEFLAGS
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
        flags = ["SANITIZE=", "WERROR=", "CC=" + os.environ.get("PLUCK_PY_CC", "cc")]
        subprocess.run([make, "-s", "-C", str(ROOT), "BUILD=" + LIBDIR, *flags,
                        LIBDIR + "/libpluck.a"], check=True, env=env)
        libs = subprocess.run([make, "-s", "--no-print-directory", "-C", str(ROOT),
                               "print-deplibs"], check=True, capture_output=True, env=env,
                              text=True).stdout.split()
        for ext in self.extensions:
            ext.extra_objects = [str(ROOT / LIBDIR / "libpluck.a")]
            ext.extra_link_args = libs
            ext.depends = [str(ROOT / LIBDIR / "libpluck.a")]
        super().run()


warn = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
if os.environ.get("WERROR") == "1":
    warn.append("-Werror")

setup(
    ext_modules=[Extension("pluck._pluck", ["pluck/_pluck.c"],
                           include_dirs=[str(ROOT / "include")],
                           extra_compile_args=["-std=c11"] + warn)],
    cmdclass={"build_ext": BuildWithLibpluck},
)
