#!/bin/bash
# End to end on the CPU backend: `vkcalib calibrate --cpu` of a generated set
# (folder per tensor, one float32 .npy per batch; default 50 x 40 x 125000 =
# 1.0 GB) against `cat` of the same files twice (exact mode reads the set
# twice), for several builds and dispatch paths side by side, interleaved
# run by run so that a busy machine slows them alike. Every run's JSON must
# be byte-identical to the first build's.
#
#   bench/bench_cpu_e2e.sh NAME=BUILD_DIR[:ENV] ...
#   bench/bench_cpu_e2e.sh old=/tmp/vkc-old/build new=build base=build:VKCALIB_DISABLE=avx2
#
# FORMAT=npz or FORMAT=deflated writes one .npz per batch (stored, or
# deflated as numpy.savez_compressed does) instead of a folder per tensor;
# a deflated set shows the decoding (inflated ahead on every core, and read
# once when it fits --memory-budget).
#
# Environment: TENSORS (50), BATCHES (40), ELEMS (125000), RUNS (5), FORMAT (npy),
# WORKDIR (/tmp/vkcalib-bench-e2e; a set of the same shape is reused),
# PYTHON (with numpy; default /usr/bin/python3), PROFILE=NAME (afterwards,
# one run of that build under `perf record`, software clock: where the time
# goes, by function, kernel included).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n 2,21p "$0" >&2; exit 2; }
FORMAT=${FORMAT:-npy}
case $FORMAT in npy) ext=npy ;; npz|deflated) ext=npz ;; *) echo "FORMAT: npy, npz or deflated" >&2; exit 2 ;; esac
TENSORS=${TENSORS:-50}
BATCHES=${BATCHES:-40}
ELEMS=${ELEMS:-125000}
RUNS=${RUNS:-5}
WORKDIR=${WORKDIR:-/tmp/vkcalib-bench-e2e}
PYTHON=${PYTHON:-/usr/bin/python3}

data="$WORKDIR/set_${TENSORS}x${BATCHES}x${ELEMS}_$FORMAT"
if [ ! -f "$data/.complete" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    echo "generating $TENSORS x $BATCHES x $ELEMS float32 in $data ..."
    PYTHONPATH="$here" "$PYTHON" - "$data" "$TENSORS" "$BATCHES" "$ELEMS" "$FORMAT" <<'EOF'
import os, sys
import numpy as np
from activations import KINDS, make
out, tensors, batches, elems, fmt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = np.random.default_rng(20261201)
kinds = [KINDS[t % len(KINDS)] for t in range(tensors)]
scales = [float(0.5 + 2.0 * rng.random()) for _ in range(tensors)]
names = ["layer%02d_%s" % (t, kinds[t]) for t in range(tensors)]
if fmt == "npy":
    for t in range(tensors):
        d = os.path.join(out, names[t])
        os.makedirs(d)
        for b in range(batches):
            np.save(os.path.join(d, "batch_%03d.npy" % b), make(rng, kinds[t], elems, scales[t]))
else:
    save = np.savez_compressed if fmt == "deflated" else np.savez
    for b in range(batches):
        save(os.path.join(out, "batch_%03d.npz" % b),
             **{names[t]: make(rng, kinds[t], elems, scales[t]) for t in range(tensors)})
EOF
    touch "$data/.complete"
fi
mb=$(find "$data" -name "*.$ext" -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s / 1e6}')

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN {printf "%.3f\n", a - b}'; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

names=() dirs=() envs=()
for spec in "$@"; do
    name=${spec%%=*} rest=${spec#*=}
    dir=${rest%%:*} env=""
    [ "$rest" != "$dir" ] && env=${rest#*:}
    [ -x "$dir/vkcalib" ] || { echo "bench_cpu_e2e: $dir/vkcalib not found" >&2; exit 2; }
    names+=("$name") dirs+=("$(cd "$dir" && pwd)") envs+=("$env")
done

find "$data" -name "*.$ext" -print0 | xargs -0 cat > /dev/null # warm the page cache
declare -A t
for ((r = 0; r < RUNS; r++)); do
    t0=$(now)
    find "$data" -name "*.$ext" -print0 | xargs -0 cat > /dev/null
    find "$data" -name "*.$ext" -print0 | xargs -0 cat > /dev/null
    t[cat,$r]=$(elapsed "$t0")
    for ((i = 0; i < ${#names[@]}; i++)); do
        out="$WORKDIR/out_${names[$i]}.json"
        t0=$(now)
        env ${envs[$i]} "${dirs[$i]}/vkcalib" calibrate "$data" -o "$out" --cpu > /dev/null 2> "$WORKDIR/stderr.txt" || {
            echo "bench_cpu_e2e: ${names[$i]} failed:" >&2; tail -5 "$WORKDIR/stderr.txt" >&2; exit 1; }
        t[${names[$i]},$r]=$(elapsed "$t0")
        cmp -s "$out" "$WORKDIR/out_${names[0]}.json" || { echo "bench_cpu_e2e: ${names[$i]}'s output differs from ${names[0]}'s" >&2; exit 1; }
    done
done

med() { for ((r = 0; r < RUNS; r++)); do echo "${t[$1,$r]}"; done | median; }
cat2=$(med cat)
echo "bench_cpu_e2e: $TENSORS tensors x $BATCHES batches x $ELEMS float32 ($FORMAT) = $mb MB on disk, page cache warm, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  medians of $RUNS, interleaved; outputs byte-identical to ${names[0]}'s"
printf '  %-10s %8s %9s %14s %12s\n' what "wall s" "GB/s" "/ (cat x 2)" "speed-up vs ${names[0]}"
printf '  %-10s %8.3f %9.2f %14s %12s\n' "cat x 2" "$cat2" "$(awk -v s="$cat2" -v m="$mb" 'BEGIN {print 2 * m / 1e3 / s}')" 1.00 -
first=$(med "${names[0]}")
for n in "${names[@]}"; do
    s=$(med "$n")
    awk -v n="$n" -v s="$s" -v c="$cat2" -v f="$first" -v m="$mb" \
        'BEGIN {printf "  %-10s %8.3f %9.2f %14.2f %12.2f\n", n, s, 2 * m / 1e3 / s, s / c, f / s}'
done

if [ -n "${PROFILE:-}" ]; then
    for ((i = 0; i < ${#names[@]}; i++)); do [ "${names[$i]}" = "$PROFILE" ] && break; done
    env ${envs[$i]} perf record -q -e cpu-clock -F 2000 -o "$WORKDIR/perf.data" -- \
        "${dirs[$i]}/vkcalib" calibrate "$data" -o "$WORKDIR/out_profile.json" --cpu > /dev/null 2>&1
    echo "  where $PROFILE's CPU time goes (perf, software clock, both threads):"
    perf report -i "$WORKDIR/perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20 |
        sed 's/^/    /'
fi
