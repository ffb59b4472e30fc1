"""python3 -m vkcalib COMMAND ...: the vkcalib command-line tool (it runs the vkcalib executable that was
built or installed with the library)."""

import os
import shutil
import sys

from . import _lib


def find_executable():
    """The vkcalib executable: VKCALIB_EXECUTABLE, the one installed with the package, the one beside the
    library (a build tree) or in ../bin from it, else the first on PATH. (path, [places looked])."""
    looked = []
    env = os.environ.get("VKCALIB_EXECUTABLE")
    cands = [env] if env else []
    try:
        from . import _install_paths as ip
        cands += [os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ip.EXECUTABLE_RELATIVE)),
                  ip.EXECUTABLE_ABSOLUTE]
    except ImportError:
        pass
    libdir = os.path.dirname(os.path.realpath(_lib.path)) if os.sep in _lib.path else None
    if libdir:
        cands += [os.path.join(libdir, "vkcalib"), os.path.join(libdir, "..", "bin", "vkcalib")]
    w = shutil.which("vkcalib")
    if w:
        cands.append(w)
    for c in cands:
        looked.append(c)
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.normpath(c), looked
    return None, looked


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    exe, looked = find_executable()
    if exe is None:
        sys.stderr.write("vkcalib: the vkcalib executable was not found (looked at: %s); set VKCALIB_EXECUTABLE, "
                         "or build it (cmake --build build) or install it (cmake --install build)\n"
                         % ", ".join(looked))
        return 127
    sys.stdout.flush()
    os.execv(exe, [exe] + list(argv))


if __name__ == "__main__":
    sys.exit(main())
