#!/bin/bash
# Entropy search: vkcalib (GPU, fast CPU) against numpy on the same histograms.
#
#   bench/run_search_bench.sh [BUILD_DIR]      (default: build/ beside bench/)
#
# 1. bench_search times every vkcalib path and writes its histograms (--dump)
#    and medians (--csv);
# 2. bench/numpy_entropy.py times NVIDIA's reference loop ("nvidia") and a
#    bincount version ("vec") on the same histograms (2048 and 8192 bins) and
#    checks that it picks the same threshold;
# 3. a table of speed-ups per tensor: time(numpy) / time(vkcalib path).
#
# Environment: DEVICE (Vulkan device for bench_search; default rule, else
# llvmpipe), RUNS (bench_search runs, default 5), NUMPY_RUNS (runs of the
# nvidia loop, default 1: about 2 s per 2048-bin and 25 s per 8192-bin tensor
# on one core of a 2020s CPU), VEC_RUNS (default 3), NUMPY_MAX (limit tensors
# per scenario, e.g. "8192=1"), PYTHON (an interpreter with numpy; default
# /usr/bin/python3 when it has numpy, else python3), KEEP=DIR (keep the files).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench="$build/bench/bench_search"
[ -x "$bench" ] || { echo "run_search_bench: $bench not found: build first (cmake --build $build)" >&2; exit 2; }

if [ -z "${PYTHON:-}" ]; then
    if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
"$PYTHON" -c 'import numpy' || { echo "run_search_bench: $PYTHON has no numpy" >&2; exit 2; }

tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

echo "== bench_search"
"$bench" --runs "${RUNS:-5}" ${DEVICE:+--device "$DEVICE"} --dump "$tmp/hists.txt" --csv "$tmp/vkcalib.csv"

echo
echo "== numpy ($PYTHON; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$here/numpy_entropy.py" "$tmp/hists.txt" \
    --scenarios 2048,8192 --runs "${NUMPY_RUNS:-1}" --vec-runs "${VEC_RUNS:-3}" \
    ${NUMPY_MAX:+--max-tensors "$NUMPY_MAX"} --csv "$tmp/numpy.csv"

echo
"$PYTHON" - "$tmp/vkcalib.csv" "$tmp/numpy.csv" <<'EOF'
import csv, sys
rows = {}
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path)):
        rows[(r["scenario"], r["tensor"], r["path"])] = r
keys = []
for (s, t, p) in rows:
    if p.startswith("numpy-") and (s, t) not in keys:
        keys.append((s, t))
def ms(s, t, p):
    r = rows.get((s, t, p))
    return float(r["ms_per_tensor"]) if r else None
def ratio(a, b):
    return "%10.0f" % (a / b) if a and b else "%10s" % "-"
print("speed-up of vkcalib over numpy per tensor = time(numpy) / time(vkcalib path); ms per tensor (medians)")
print("%-6s %-9s %11s %9s %9s %9s | %10s %10s %10s %10s" % ("bins", "tensor", "numpy-loop", "numpy-vec", "gpu",
      "cpu-1t", "loop/gpu", "loop/cpu1t", "vec/gpu", "vec/cpu1t"))
for s, t in keys:
    nl, nv, g, c = ms(s, t, "numpy-nvidia"), ms(s, t, "numpy-vec"), ms(s, t, "gpu"), ms(s, t, "cpu-1t")
    f = lambda v, w=9: ("%" + str(w) + ".2f") % v if v is not None else ("%" + str(w) + "s") % "-"
    print("%-6s %-9s %s %s %s %s | %s %s %s %s" % (s, t, f(nl, 11), f(nv), f(g), f(c), ratio(nl, g), ratio(nl, c),
          ratio(nv, g), ratio(nv, c)))
EOF
