#!/bin/bash
# The cost of splitting a calibration over N processes with state files
# (README: "Splitting a calibration"): `vkcalib merge` of N range-round and of
# N histogram-round state files, and `vkcalib calibrate --from-state` of the
# merged file, for N in SHARDS; every merged calibration must equal a
# single-process `vkcalib calibrate` of the whole set byte for byte (cmp), else
# exit 1.
#
#   bench/bench_state_merge.sh [VKCALIB] [WORKDIR]
#     VKCALIB  the vkcalib binary (default: build/vkcalib beside bench/)
#     WORKDIR  where the set, the state files and the outputs go
#              (default /tmp/vkcalib-bench-merge; a set of the same shape is reused)
#
# Environment: TENSORS (50), BATCHES (128: one .npz per batch holding every
# tensor), ELEMS (float32 per tensor per batch, 2000 -> 53 MB), SHARDS
# ("2 8 32 128": each at most BATCHES), RUNS (timed runs, median printed; 5),
# BINS (2048), PYTHON (with numpy; default /usr/bin/python3 when it has numpy,
# else python3), CLEAN=1 (delete WORKDIR afterwards). About 10 s on a
# 2-core machine with the defaults, most of it the 2 x (2+8+32+128) collect
# processes and the timed merges of 128 files; TENSORS=300 ELEMS=500: ~1 min.
#
# Protocol, per N: the BATCHES batch files are cut into N disjoint shards of
# consecutive files (sizes differ by at most one); round 1 collects every
# shard's ranges (`collect SHARD --state range_k.vkch`, xargs -P nproc), these
# are merged, round 2 collects every shard's histograms over the merged ranges
# (`collect SHARD --range-from ranges.vkch --state hist_k.vkch`), these are
# merged, and `calibrate --from-state` searches the result. The CPU backend
# (--cpu) throughout, so no GPU is needed.
#
# What is timed: wall time of whole processes (bash's EPOCHREALTIME, no fork
# around the measurement), one untimed warm-up, then RUNS runs, median; state
# files in the page cache. A merge reads every input (whole file, checksum,
# parse), adds, and writes its output atomically: temporary file, fsync,
# rename, fsync of the directory, so the output's file system matters (its type
# is printed). Columns:
#   input MB          the N input state files together
#   merge ms          median wall time of `vkcalib merge` of the N files
#   ms/file, ms/MB    merge ms / N, merge ms / input MB (process start and the
#                     output write included: these fall as N grows)
#   +ms/file, +MB/s   marginal cost of one more input: (t(N) - t(1)) / (N - 1),
#                     t(1) being a merge of one file (read, parse, write); the
#                     MB/s is (input MB - one file) / (t(N) - t(1))
#   merge -> tmpfs    the same merge with its output on /dev/shm (no fsync cost);
#                     "-" where there is no /dev/shm
# The collect columns (one run each, not medians) put the merge in
# proportion: the whole round on BATCHES files with N processes, nproc at a time.
# The header line "CPU used by other processes" is the machine's CPU time
# (/proc/stat) minus this script's children's, over the whole run: on a shared
# machine, above a few percent, the millisecond rows are noise (the load
# average printed beside it lags by a minute and counts our own collects).
set -euo pipefail
shopt -s inherit_errexit
trap 'echo "bench_state_merge: failed (line $LINENO, status $?)" >&2' ERR
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
vk=${1:-$here/../build/vkcalib}
WORKDIR=${2:-${WORKDIR:-/tmp/vkcalib-bench-merge}}
[ -x "$vk" ] || { echo "bench_state_merge: $vk not found: build first" >&2; exit 2; }
vk=$(cd "$(dirname "$vk")" && pwd)/$(basename "$vk")
TENSORS=${TENSORS:-50}
BATCHES=${BATCHES:-128}
ELEMS=${ELEMS:-2000}
SHARDS=${SHARDS:-"2 8 32 128"}
RUNS=${RUNS:-5}
BINS=${BINS:-2048}
if [ -z "${PYTHON:-}" ]; then
    if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
for n in $SHARDS; do
    if [ "$n" -lt 1 ] || [ "$n" -gt "$BATCHES" ]; then
        echo "bench_state_merge: N=$n: need 1 <= N <= BATCHES=$BATCHES" >&2; exit 2
    fi
done
P=$(nproc)
die() { echo "bench_state_merge: $*" >&2; exit 1; }
ms_since() { awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN {printf "%.3f\n", (a - b) * 1000}'; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
fsize() { stat -c %s "$1"; }

# Median wall ms of a command: one warm-up, then RUNS timed runs.
timed() {
    "$@" > /dev/null 2> "$WORKDIR/timed.err" || { cat "$WORKDIR/timed.err" >&2; die "failed: $*"; }
    for ((r = 0; r < RUNS; r++)); do
        local t0=$EPOCHREALTIME
        "$@" > /dev/null 2> "$WORKDIR/timed.err" || { cat "$WORKDIR/timed.err" >&2; die "failed: $*"; }
        ms_since "$t0"
    done | median
}

mkdir -p "$WORKDIR"
data="$WORKDIR/set_${TENSORS}x${BATCHES}x${ELEMS}"
if [ ! -f "$data/.complete" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    echo "generating $TENSORS tensors x $BATCHES batches x $ELEMS float32 in $data ..."
    t0=$EPOCHREALTIME
    PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" - "$data" "$TENSORS" "$BATCHES" "$ELEMS" <<'EOF'
import os, sys
import numpy as np
from activations import KINDS, make
out, tensors, batches, elems = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(20261202)
scales = [float(0.5 + 2.0 * rng.random()) for _ in range(tensors)]
for b in range(batches):
    arrays = {"layer%03d_%s" % (t, KINDS[t % len(KINDS)]): make(rng, KINDS[t % len(KINDS)], elems, scales[t])
              for t in range(tensors)}
    np.savez(os.path.join(out, "batch_%03d.npz" % b), **arrays)
EOF
    touch "$data/.complete"
    echo "generated in $(ms_since "$t0" | awk '{printf "%.1f", $1 / 1000}') s"
fi
mapfile -t batches < <(find "$data" -maxdepth 1 -name '*.npz' | sort)
[ "${#batches[@]}" -eq "$BATCHES" ] || die "$data holds ${#batches[@]} .npz files, expected $BATCHES"
set_mb=$(cat "${batches[@]}" | wc -c | awk '{printf "%.1f", $1 / 1e6}')

# How busy the machine is apart from us: CPU time of the whole machine
# (/proc/stat, USER_HZ) minus that of this script's children (bash's `times`).
cpu_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }
# `times` must run in this shell itself (a subshell has its own, empty counts).
own_cpu_s() { tail -1 "$WORKDIR/times.txt" | awk '{n = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); n += a[1] * 60 + a[2]}; print n}'; }
read -r busy0 steal0 < <(cpu_jiffies)
times > "$WORKDIR/times.txt"
own0=$(own_cpu_s)
wall0=$EPOCHREALTIME

# Reference: one process over the whole set (cache and JSON).
full_ms=$(timed "$vk" calibrate "$data" -o "$WORKDIR/full.cache" --bins "$BINS" --cpu -q)
"$vk" calibrate "$data" -o "$WORKDIR/full.json" --bins "$BINS" --cpu -q || die "single-process JSON calibrate failed"
start_ms=$(timed "$vk" --version)

# One collect process per shard; the shard's batch files are in $dir/shard_K.list.
collect_shard() { # vkcalib dir k round
    local vk=$1 dir=$2 k=$3 round=$4
    mapfile -t files < "$dir/shard_$k.list"
    if [ "$round" = range ]; then
        "$vk" collect "${files[@]}" --bins "$BINS" --state "$dir/range_$k.vkch" -q --cpu
    else
        "$vk" collect "${files[@]}" --range-from "$dir/ranges.vkch" --state "$dir/hist_$k.vkch" -q --cpu
    fi
}
export -f collect_shard
export BINS

rows=()      # round N input_mb merge_ms tmpfs_ms
calrows=()   # N collect1_s collect2_s from_state_ms
first_hist=""
identical_states=yes
shm=""
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/vkcalib-bench-merge.XXXXXX)
trap 'if [ -n "$shm" ]; then rm -rf "$shm"; fi' EXIT
for n in $SHARDS; do
    dir="$WORKDIR/n$n"
    rm -rf "$dir" && mkdir -p "$dir"
    for ((k = 0; k < n; k++)); do
        lo=$((k * BATCHES / n)) hi=$(((k + 1) * BATCHES / n))
        printf '%s\n' "${batches[@]:lo:hi-lo}" > "$dir/shard_$(printf %03d $k).list"
    done
    ids=$(for ((k = 0; k < n; k++)); do printf '%03d\n' $k; done)
    t0=$EPOCHREALTIME
    echo "$ids" | xargs -P "$P" -I{} bash -c 'collect_shard "$@"' _ "$vk" "$dir" {} range || die "N=$n: range round failed"
    c1=$(ms_since "$t0")
    "$vk" merge "$dir"/range_*.vkch -o "$dir/ranges.vkch" || die "N=$n: merge of ranges failed"
    t0=$EPOCHREALTIME
    echo "$ids" | xargs -P "$P" -I{} bash -c 'collect_shard "$@"' _ "$vk" "$dir" {} hist || die "N=$n: histogram round failed"
    c2=$(ms_since "$t0")
    for round in range hist; do
        ins=("$dir/${round}"_*.vkch)
        [ "${#ins[@]}" -eq "$n" ] || die "N=$n: ${#ins[@]} $round files"
        bytes=$(cat "${ins[@]}" | wc -c)
        out="$dir/merged_$round.vkch"
        t=$(timed "$vk" merge "${ins[@]}" -o "$out")
        ts="-"
        [ -n "$shm" ] && ts=$(timed "$vk" merge "${ins[@]}" -o "$shm/merged.vkch")
        rows+=("$round $n $bytes $t $ts")
    done
    cmp -s "$dir/merged_range.vkch" "$dir/ranges.vkch" || die "N=$n: two merges of the same range files differ"
    t=$(timed "$vk" calibrate --from-state "$dir/merged_hist.vkch" -o "$dir/state.cache" --cpu -q)
    "$vk" calibrate --from-state "$dir/merged_hist.vkch" -o "$dir/state.json" --cpu -q || die "N=$n: from-state JSON failed"
    for ext in cache json; do
        cmp "$dir/state.$ext" "$WORKDIR/full.$ext" ||
            die "N=$n: MISMATCH: merged calibration $dir/state.$ext differs from single-process $WORKDIR/full.$ext"
    done
    if [ -z "$first_hist" ]; then first_hist="$dir/merged_hist.vkch"
    elif ! cmp -s "$first_hist" "$dir/merged_hist.vkch"; then identical_states=no; fi
    calrows+=("$n $c1 $c2 $t")
done
# Merge of one file: t(1), the base of the marginal columns.
read -r first_n _ <<< "$SHARDS"
one_dir="$WORKDIR/n$first_n"
t1_range=$(timed "$vk" merge "$one_dir/range_000.vkch" -o "$one_dir/one.vkch")
t1_hist=$(timed "$vk" merge "$one_dir/hist_000.vkch" -o "$one_dir/one.vkch")
range_b=$(fsize "$one_dir/range_000.vkch")
hist_b=$(fsize "$first_hist")
hist_gz=$(gzip -1 -c "$first_hist" | wc -c)
read -r busy1 steal1 < <(cpu_jiffies)
times > "$WORKDIR/times.txt"
own1=$(own_cpu_s)
others=$(awk -v b0="$busy0" -v b1="$busy1" -v s0="$steal0" -v s1="$steal1" -v o0="$own0" -v o1="$own1" \
    -v w0="$wall0" -v w1="$EPOCHREALTIME" -v hz="$(getconf CLK_TCK)" -v p="$P" 'BEGIN {
    w = w1 - w0; other = (b1 - b0) / hz - (o1 - o0); if (other < 0) other = 0
    printf "%.0f%% of the machine (%.0f%% steal)", 100 * other / (w * p), 100 * (s1 - s0) / hz / (w * p) }')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
fstype=$(stat -f -c %T "$WORKDIR")

echo
echo "bench_state_merge: $TENSORS tensors x $BATCHES batches x $ELEMS float32 = $set_mb MB (one .npz per batch), $BINS bins, CPU backend"
echo "  machine: $P CPU cores, ${cpu:-unknown CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg); workdir $WORKDIR ($fstype)"
echo "  medians of $RUNS runs after a warm-up; wall time of whole processes, page cache warm"
echo "  CPU used by other processes while this ran: $others (above a few %, the small times are noise)"
awk -v r="$range_b" -v h="$hist_b" -v g="$hist_gz" -v t="$TENSORS" 'BEGIN {
    printf "  state file sizes: range round %d B (%.0f B/tensor), histogram round %d B = %.1f KB (%.0f B/tensor);\n", r, r / t, h, h / 1e3, h / t
    printf "    the same for every shard and for the merged file; gzip -1 of a merged histogram state: %.1f KB (%.1fx)\n", g / 1e3, h / g }'
echo "  process start (vkcalib --version): $start_ms ms; merge of 1 file, t(1): range $t1_range ms, histogram $t1_hist ms"
echo
printf '  %-6s %5s %9s %9s %8s %8s %9s %9s %13s\n' round N "input MB" "merge ms" "ms/file" "ms/MB" "+ms/file" "+MB/s" "merge->tmpfs"
for row in "${rows[@]}"; do
    read -r rr rn rb rt rts <<< "$row"
    if [ "$rr" = hist ]; then base=$t1_hist one=$hist_b; else base=$t1_range one=$range_b; fi
    awk -v r="$rr" -v n="$rn" -v b="$rb" -v t="$rt" -v ts="$rts" -v t1="$base" -v one="$one" 'BEGIN {
        mb = b / 1e6; d = t - t1
        marg = (n > 1) ? sprintf("%9.3f", d / (n - 1)) : sprintf("%9s", "-")
        rate = (n > 1 && d > 0) ? sprintf("%9.0f", (b - one) / 1e6 / (d / 1000)) : sprintf("%9s", "-")
        printf "  %-6s %5d %9.3f %9.2f %8.3f %8.2f %s %s %13s\n", r, n, mb, t, t / n, t / mb, marg, rate, ts }'
done
for round in range hist; do
    if [ $round = hist ]; then base=$t1_hist; else base=$t1_range; fi
    for row in "${rows[@]}"; do
        read -r rr rn _ rt _ <<< "$row"
        if [ "$rr" = $round ]; then echo "$rn $rt"; fi
    done |
        awk -v r=$round -v t1="$base" 'BEGIN {n = 1; sx = 1; sy = t1; sxx = 1; sxy = t1}
            {n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2}
            END {b = (n * sxy - sx * sy) / (n * sxx - sx * sx); a = (sy - b * sx) / n
                 printf "  least-squares fit over N = 1 and the rows above, %-5s: merge ms = %.2f + %.3f x N\n", r, a, b}'
done
echo
printf '  %5s %22s %22s %24s %6s\n' N "collect range round s" "collect hist round s" "calibrate --from-state ms" "cmp"
for row in "${calrows[@]}"; do
    read -r rn ra rb rc <<< "$row"
    awk -v n="$rn" -v a="$ra" -v b="$rb" -v c="$rc" 'BEGIN {printf "  %5d %22.2f %22.2f %24.2f %6s\n", n, a / 1000, b / 1000, c, "equal"}'
done
echo "  (collect: one run per round, N processes $P at a time; single-process calibrate of the whole set: $full_ms ms)"
echo "  merged calibration == single-process calibrate (.cache and .json, cmp): yes, for every N"
echo "  merged histogram states byte-identical across N: $identical_states"
if [ "${CLEAN:-0}" = 1 ]; then rm -rf "$WORKDIR"; fi
