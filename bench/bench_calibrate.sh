#!/bin/bash
# End-to-end calibration throughput: `vkcalib calibrate` on a generated
# calibration set in the folder-per-tensor layout (DATA/<tensor>/batch_NNN.npy),
# on the native CPU backend (--cpu) and on a Vulkan device; both outputs (JSON,
# which holds every threshold, scale, range and count) must be byte-identical.
#
#   bench/bench_calibrate.sh [BUILD_DIR]          (default: build/ beside bench/)
#   SMALL=1 bench/bench_calibrate.sh build        (~100 MB instead of ~2 GB)
#
# Environment:
#   TENSORS (50), BATCHES (100), ELEMS (float32 per file; 100000 -> 2.0 GB,
#   SMALL=1: 5000 -> 100 MB), RUNS (timed runs per backend, median printed;
#   default 1, SMALL=1: 3), DEVICE (Vulkan device; default: the default device
#   when `vkcalib devices` reports one, else llvmpipe), WORKDIR (where the set
#   is written; default /tmp/vkcalib-bench-calib; a set of the same shape is
#   reused), CLEAN=1 (delete the set afterwards), PYTHON (with numpy; default
#   /usr/bin/python3 when it has numpy, else python3).
#
# How reading and computing are told apart. vkcalib makes two passes over the
# set (range, then histogram), reading every file in each, and overlaps reading
# with computing (a reader thread fills one buffer while the other is
# processed). We measure reading alone as the time `cat` needs to read every
# file once into /dev/null, median of 3, with the page cache warm (the set is
# read once beforehand; all timings here are warm-cache: the set fits in RAM,
# so we measure vkcalib and the memory system, not the disk; a cold disk adds
# the same read time to both backends). read share = 2 x that time / vkcalib's
# wall time: the fraction of the run a reader alone would need. The rest of
# the wall time (compute + other = wall - 2 x read) is a lower bound on the
# time spent outside reading, exact when nothing overlaps; a read share near
# 100% means the run is input-bound and a faster device cannot help.
# (`--method max` is not used as a "reading only" proxy: it still runs the
# range pass on the device.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
vk="$build/vkcalib"
[ -x "$vk" ] || { echo "bench_calibrate: $vk not found: build first" >&2; exit 2; }

if [ "${SMALL:-0}" = 1 ]; then elems_default=5000; runs_default=3; else elems_default=100000; runs_default=1; fi
TENSORS=${TENSORS:-50}
BATCHES=${BATCHES:-100}
ELEMS=${ELEMS:-$elems_default}
RUNS=${RUNS:-$runs_default}
WORKDIR=${WORKDIR:-/tmp/vkcalib-bench-calib}
if [ -z "${PYTHON:-}" ]; then
    if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN {printf "%.3f\n", a - b}'; }

data="$WORKDIR/set_${TENSORS}x${BATCHES}x${ELEMS}"
if [ ! -f "$data/.complete" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    echo "generating $TENSORS tensors x $BATCHES batches x $ELEMS float32 in $data ..."
    t0=$(date +%s.%N)
    PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" - "$data" "$TENSORS" "$BATCHES" "$ELEMS" <<'EOF'
import os, sys
import numpy as np
from activations import KINDS, make
out, tensors, batches, elems = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(20261201)
for t in range(tensors):
    kind = KINDS[t % len(KINDS)]
    d = os.path.join(out, "layer%02d_%s" % (t, kind))
    os.makedirs(d)
    scale = float(0.5 + 2.0 * rng.random())
    for b in range(batches):
        np.save(os.path.join(d, "batch_%03d.npy" % b), make(rng, kind, elems, scale))
EOF
    touch "$data/.complete"
    echo "generated in $(elapsed "$t0") s"
fi

files=$(find "$data" -name '*.npy' | wc -l)
bytes=$(find "$data" -name '*.npy' -printf '%s\n' | awk '{s += $1} END {print s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')

if [ -z "${DEVICE:-}" ]; then
    if "$vk" devices --json 2>/dev/null | grep -q '"default": true'; then DEVICE=""; else DEVICE=llvmpipe; fi
fi

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Reading alone: warm the page cache, then time `cat` over every file 3 times.
find "$data" -name '*.npy' -print0 | xargs -0 cat > /dev/null
read_s=$(for k in 1 2 3; do
    t0=$(now); find "$data" -name '*.npy' -print0 | xargs -0 cat > /dev/null; elapsed "$t0"
done | median)

# One backend: RUNS timed runs, median wall seconds; output kept for cmp.
run_backend() { # name, args...
    local name=$1; shift
    local out="$WORKDIR/out_$name.json" walls=()
    for ((k = 0; k < RUNS; k++)); do
        local t0; t0=$(now)
        "$vk" calibrate "$data" -o "$out" "$@" > "$WORKDIR/stdout_$name.txt" 2> "$WORKDIR/stderr_$name.txt" || {
            echo "bench_calibrate: vkcalib calibrate ($name) failed:" >&2
            tr '\r' '\n' < "$WORKDIR/stderr_$name.txt" | tail -5 >&2
            exit 1
        }
        walls+=("$(elapsed "$t0")")
    done
    printf '%s\n' "${walls[@]}" | median
}

cpu_s=$(run_backend cpu --cpu)
cpu_dev=$(sed -n 's/^vkcalib: device: //p' "$WORKDIR/stderr_cpu.txt" | head -1)
gpu_s=$(run_backend gpu ${DEVICE:+--device "$DEVICE"})
gpu_dev=$(sed -n 's/^vkcalib: device: //p' "$WORKDIR/stderr_gpu.txt" | head -1)

echo
echo "bench_calibrate: $TENSORS tensors x $BATCHES batches x $ELEMS float32 = $mb MB in $files .npy files"
echo "  (folder per tensor; page cache warm; median of $RUNS run(s) per backend; $(nproc) CPU cores)"
awk -v r="$read_s" -v mb="$mb" 'BEGIN {printf "  reading alone (cat, one pass): %.3f s = %.0f MB/s; vkcalib reads the set twice: %.3f s\n", r, mb / r, 2 * r}'
printf '  %-8s %-36s %9s %9s %11s %15s\n' backend device "wall s" "MB/s" "read share" "compute+other s"
for b in cpu gpu; do
    if [ $b = cpu ]; then s=$cpu_s; d=$cpu_dev; else s=$gpu_s; d=$gpu_dev; fi
    awk -v b=$b -v d="$d" -v s="$s" -v r="$read_s" -v mb="$mb" 'BEGIN {
        other = s - 2 * r; if (other < 0) other = 0
        printf "  %-8s %-36s %9.3f %9.0f %10.0f%% %15.3f\n", b, substr(d, 1, 36), s, mb / s, 100 * 2 * r / s, other }'
done
awk -v c="$cpu_s" -v g="$gpu_s" 'BEGIN {printf "  gpu/cpu speed-up (time cpu / time gpu): %.2f\n", c / g}'

if cmp "$WORKDIR/out_cpu.json" "$WORKDIR/out_gpu.json"; then
    echo "  outputs: byte-identical ($(wc -c < "$WORKDIR/out_cpu.json") bytes of JSON)"
else
    echo "bench_calibrate: OUTPUTS DIFFER: $WORKDIR/out_cpu.json vs $WORKDIR/out_gpu.json" >&2
    exit 1
fi
if [ "${CLEAN:-0}" = 1 ]; then rm -rf "$data"; fi
