#!/bin/bash
# The CPU backend's passes, several builds and dispatch paths side by side:
# bench_cpu_pass (one binary, public API) run against each build's
# libvkcalib.so through LD_LIBRARY_PATH, REPS times each, interleaved, so a
# busy machine slows them alike; the table has the median Gelem/s of the
# REPS runs and the ratios to the first variant. Every case's result hash
# must agree across all variants (equal bits), or the script stops.
#
#   bench/bench_cpu_pass.sh BENCH NAME=LIB_DIR[:ENV] ... [-- bench_cpu_pass options]
#   bench/bench_cpu_pass.sh build/bench/bench_cpu_pass old=/tmp/vkc-old/build \
#       base=build:VKCALIB_DISABLE=avx2 avx2=build:VKCALIB_DISABLE=avx512 avx512=build -- --n 33554432
#
# REPS (5). The memory read rate (bench_cpu_pass --read: a plain 64-bit read
# loop and memcpy over the same array, same threads) is measured in every
# run of the first variant; its median heads the table, and "of read" is
# the fastest variant's bytes per second as a share of the read loop's.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,17p "$0" >&2; exit 2; }
bench=$1
shift
names=() dirs=() envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    name=${1%%=*} rest=${1#*=}
    dir=${rest%%:*} env=""
    [ "$rest" != "$dir" ] && env=${rest#*:}
    names+=("$name") dirs+=("$(cd "$dir" && pwd)") envs+=("$env")
    shift
done
[ "${1:-}" = "--" ] && shift
REPS=${REPS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for ((r = 0; r < REPS; r++)); do
    for ((i = 0; i < ${#names[@]}; i++)); do
        extra=""
        [ $i = 0 ] && extra=--read
        env LD_LIBRARY_PATH="${dirs[$i]}" ${envs[$i]} "$bench" --runs 1 $extra "$@" >> "$tmp/${names[$i]}.txt"
    done
done

awk -v names="${names[*]}" -v reps="$REPS" -v tmpdir="$tmp" '
function med(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function field(line, key,   re) {
    if (match(line, key "=[^ ]*")) return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1)
    return ""
}
BEGIN {
    nv = split(names, nm, " ")
    for (v = 1; v <= nv; v++) {
        file = tmpdir "/" nm[v] ".txt"
        while ((getline line < file) > 0) {
            if (line ~ /^read /) { rd = rd " " field(line, "read_gbs"); cp = cp " " field(line, "memcpy_gbs"); continue }
            if (line !~ /^case /) continue
            key = field(line, "pass") " " field(line, "kind") " " field(line, "dist") " " field(line, "dtype")
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key; bytes[key] = field(line, "gbs") / field(line, "gelem") }
            g[key, v] = g[key, v] " " field(line, "gelem")
            h = field(line, "hash")
            if ((key, "hash") in hash && hash[key, "hash"] != h) { printf "HASHES DIFFER: %s (%s)\n", key, nm[v] > "/dev/stderr"; bad = 1 }
            hash[key, "hash"] = h
            if (n == "") { n = field(line, "n"); call = field(line, "call"); thr = field(line, "threads") }
        }
    }
    if (bad) exit 1
    readm = rd != "" ? med(rd) : 0
    printf "n=%s, calls of %s, %s thread(s), medians of %d runs; results bit-identical across all variants\n", n, call, thr, reps
    if (readm) printf "memory read rate, %s thread(s): read loop %.2f GB/s (= %.2f Gelem/s of float32), memcpy %.2f GB/s\n", thr, readm, readm / 4, med(cp)
    printf "%-22s", "Gelem/s"
    for (v = 1; v <= nv; v++) printf " %8s", nm[v]
    for (v = 2; v <= nv; v++) printf " %9s", nm[v] "/" nm[1]
    if (readm) printf " %8s", "of read"
    printf "\n"
    for (k = 1; k <= nk; k++) {
        key = order[k]
        split(key, p, " ")
        printf "%-22s", p[1] (p[2] != "-" ? "/" p[2] : "") " " p[3] (p[4] != "f32" ? " " p[4] : "")
        best = 0
        for (v = 1; v <= nv; v++) { m[v] = med(g[key, v]); printf " %8.3f", m[v]; if (m[v] > best) best = m[v] }
        for (v = 2; v <= nv; v++) printf " %9.2f", m[v] / m[1]
        if (readm) printf " %7.0f%%", 100 * best * bytes[key] / readm
        printf "\n"
    }
}'
