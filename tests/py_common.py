"""Shared helpers of the Python tests (tests/test_py_*.py), run by ctest with VKCALIB_LIBRARY,
VKCALIB_EXECUTABLE, VKC_SOURCE_DIR, VKC_BUILD_DIR and PYTHONPATH=python set (tests/CMakeLists.txt)."""

import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

SKIP = 77
SOURCE = os.environ.get("VKC_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VKC_BUILD_DIR") or os.path.join(SOURCE, "build")
EXE = os.environ.get("VKCALIB_EXECUTABLE") or os.path.join(BUILD, "vkcalib")
EXAMPLES = os.path.join(SOURCE, "examples", "calib")
os.environ.setdefault("VKCALIB_LIBRARY", os.path.join(BUILD, "libvkcalib.so.0.2"))
sys.path.insert(0, os.path.join(SOURCE, "python"))

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print("SKIP: numpy is needed (Debian: python3-numpy; run with /usr/bin/python3)")
    sys.exit(SKIP)

import vkcalib  # noqa: E402


def example_files():
    return sorted(glob.glob(os.path.join(EXAMPLES, "*.npz")))


def load_npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


_lvp = None


def lavapipe():
    """The device selector of the Vulkan device the GPU halves use ("llvmpipe" in CI; VKCALIB_TEST_DEVICE
    overrides), or None where vkcalib sees no Vulkan device."""
    global _lvp
    if _lvp is None:
        want = os.environ.get("VKCALIB_TEST_DEVICE", "llvmpipe")
        devs = vkcalib.devices()
        _lvp = next((want for d in devs if want in d["name"] or want == str(d["index"])), "") if devs else ""
    return _lvp or None


def cli(*args, check=True):
    """Runs the vkcalib executable; fails on a non-zero status or any validation-layer report."""
    p = subprocess.run([EXE] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise AssertionError("vkcalib %s: status %d\n%s" % (" ".join(map(str, args)), p.returncode, p.stderr))
    if "validation layer reported" in p.stderr:
        raise AssertionError("vkcalib %s: %s" % (" ".join(map(str, args)), p.stderr))
    return p


def device_args(device):
    return ["--cpu"] if device == "cpu" else ["--device", device]


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="vkcalib-py-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assertSameFile(self, a, b, what=""):
        da, db = read(a), read(b)
        if da != db:
            import difflib
            diff = "".join(list(difflib.unified_diff(da.decode(errors="replace").splitlines(True),
                                                     db.decode(errors="replace").splitlines(True)))[:20])
            self.fail("%s: %s and %s differ\n%s" % (what, a, b, diff))

    def assertNoValidation(self, ctx):
        if not ctx.is_cpu:
            self.assertEqual(ctx.validation_counts(), (0, 0), ctx.validation_first())


def cli_json_tensors(path):
    with open(path) as f:
        return json.load(f)["tensors"]


def main():
    unittest.main(verbosity=2)
