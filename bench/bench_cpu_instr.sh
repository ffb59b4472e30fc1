#!/bin/bash
# Instructions per element of the CPU backend's passes, counted by valgrind
# (callgrind, collecting inside vkc_range_host / vkc_histogram_host only):
# repeatable where wall times on a shared machine are not. One thread, one
# call over N elements, for each build and dispatch path given.
#
#   bench/bench_cpu_instr.sh BENCH NAME=LIB_DIR[:ENV] ...
#   bench/bench_cpu_instr.sh build/bench/bench_cpu_pass old=/tmp/vkc-old/build \
#       base=build:VKCALIB_DISABLE=avx2 avx2=build
#
# N (1048576). Valgrind hides AVX-512 from the program (it cannot run it), so
# under it a build's default is AVX2 at most.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,12p "$0" >&2; exit 2; }
command -v valgrind > /dev/null || { echo "bench_cpu_instr: valgrind not found" >&2; exit 77; }
bench=$1
shift
N=${N:-1048576}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# per_elem NAME DIR ENV PASS KIND DIST: instructions per element.
per_elem() {
    local fn=vkc_histogram_host calls=2
    # The range case calls vkc_range_host three times (one untimed call for
    # the range of the data, the warm-up, the timed run); hist cases twice.
    [ "$4" = range ] && fn=vkc_range_host calls=3
    env LD_LIBRARY_PATH="$2" $3 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect=$fn \
        "$bench" --n "$N" --runs 1 --threads 1 --dtype f32 --dist "$6" --pass "$4" --kind "$5" > /dev/null 2>&1
    callgrind_annotate "$tmp/cg" 2> /dev/null | awk -v n="$N" -v c=$calls \
        '/PROGRAM TOTALS/ && !done {gsub(",", "", $1); printf "%.2f", $1 / (n * c); done = 1}'
}

names=() dirs=() envs=()
for spec in "$@"; do
    name=${spec%%=*} rest=${spec#*=}
    dir=${rest%%:*} env=""
    [ "$rest" != "$dir" ] && env=${rest#*:}
    names+=("$name") dirs+=("$(cd "$dir" && pwd)") envs+=("$env")
done
echo "instructions per element (callgrind), n=$N, 1 thread, one call"
printf '%-22s' case
for n in "${names[@]}"; do printf ' %8s' "$n"; done
for ((i = 1; i < ${#names[@]}; i++)); do printf ' %9s' "${names[0]}/${names[$i]}"; done
echo
for c in "range - gauss" "range - relu" "hist abs gauss" "hist abs relu" "hist numpy gauss" "hist numpy relu"; do
    set -- $c
    if [ "$2" = - ]; then printf '%-22s' "$1 $3"; else printf '%-22s' "$1/$2 $3"; fi
    vals=()
    for ((i = 0; i < ${#names[@]}; i++)); do
        v=$(per_elem "${names[$i]}" "${dirs[$i]}" "${envs[$i]}" "$1" "$([ "$2" = - ] && echo abs || echo "$2")" "$3")
        vals+=("$v")
        printf ' %8s' "$v"
    done
    for ((i = 1; i < ${#names[@]}; i++)); do awk -v a="${vals[0]}" -v b="${vals[$i]}" 'BEGIN {printf " %9.1f", a / b}'; done
    echo
done
