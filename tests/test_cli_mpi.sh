#!/usr/bin/env bash
# vkcalib calibrate under mpirun (a build with -DVKC_MPI=ON): the ranks split
# the batches, reduce statistics and histograms with MPI collectives, rank 0
# searches and writes. Checked against one process, byte for byte:
#   - -n 2 on the CPU backend: several tensors, an odd number of batches,
#     extremes (min, max, absmax, -0 and +0) that lie in different ranks'
#     shares; cache and JSON, --histograms, mse, --mode asymmetric and auto;
#   - -n 2 --devices llvmpipe,cpu with the validation layer on rank 0;
#   - -n 3 on two batches (one rank's share is empty); -n 1;
#   - a damaged batch in rank 1's share: every rank exits non-zero within
#     the timeout, the error names the file, no output is left; a NaN in
#     one share: the same error as one process; options one process only.
# Skips (77) when the binary has no MPI or mpirun is missing.
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

if ! "$VKC" --version 2>/dev/null | grep -q '(mpi)'; then
    echo "SKIP: $VKC is built without MPI (cmake -DVKC_MPI=ON)" >&2
    exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP: mpirun not found (Debian: openmpi-bin)" >&2
    exit 77
fi

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
t0=$SECONDS

# A plain run must not start MPI: the launcher's variables are what tell.
unset OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_SIZE
export OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN=(timeout 300 mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)

# mpi N NAME ARGS...: mpirun -n N vkcalib calibrate ARGS; stdout to NAME.out,
# stderr to NAME.err; returns mpirun's status.
mpi() {
    local n=$1 name=$2
    shift 2
    "${MPIRUN[@]}" -n "$n" "$VKC" calibrate "$@" >"$name.out" 2>"$name.err"
}

# ---- data --------------------------------------------------------------------
# set/: 7 batches (.npz, keys = tensors). Under -n 2 rank 0 reads batches 0, 2,
# 4, 6 and rank 1 batches 1, 3, 5: the minimum of "signed" is in batch 1, its
# maximum and absmax in batch 4; "neg" has its absmax (a negative value) in
# batch 3 only; "pmzero" is +0 in rank 0's batches and -0 in rank 1's.
# two/: 2 batches. nan/: set/ with a NaN in batch 3. bad/: set/ with a byte of
# batch 1's stored data flipped (the CRC check fails while rank 1 reads it).
"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os
import numpy as np

def batch(b, n=20000):
    r = np.random.default_rng(50 + b)
    s = r.standard_normal(n) * (1.0 + 0.1 * b)
    if b == 1: s[10] = -31.0
    if b == 4: s[20] = 47.25
    neg = r.standard_t(5, n) * 0.5
    if b == 3: neg[7] = -19.5
    relu = np.maximum(r.standard_normal(n) * 2.0, 0.0)
    return {
        "signed": s.astype(np.float32),
        "neg": neg.astype(np.float32),
        "relu": relu.astype(np.float32),
        "pmzero": np.full(n // 10, -0.0 if b % 2 else 0.0, dtype=np.float32),
        "soft": r.random(n // 4).astype(np.float32) ** 3,
    }

for d in ("set", "two", "nan", "bad"):
    os.makedirs(d, exist_ok=True)
for b in range(7):
    t = batch(b)
    np.savez("set/batch_%03d.npz" % b, **t)
    if b < 2:
        np.savez("two/batch_%03d.npz" % b, **t)
    if b == 3:
        t["signed"][123] = np.nan
    np.savez("nan/batch_%03d.npz" % b, **t)
    np.savez("bad/batch_%03d.npz" % b, **batch(b))
raw = bytearray(open("bad/batch_001.npz", "rb").read())
raw[len(raw) // 2] ^= 0x55
open("bad/batch_001.npz", "wb").write(bytes(raw))
EOF

# ---- -n 2 on the CPU backend against one process ----------------------------
variants=(
    "cache::"
    "json::"
    "json:hist:--histograms"
    "json:mse:--method mse"
    "json:asym:--mode asymmetric"
    "json:auto:--mode auto"
)
for v in "${variants[@]}"; do
    ext=${v%%:*}
    rest=${v#*:}
    tag=${rest%%:*}
    args=${rest#*:}
    out=one${tag:+_$tag}.$ext
    # shellcheck disable=SC2086
    if "$VKC" calibrate set -o "$out" -q --cpu $args 2>one.err; then pass; else fail "one process $v: $(head -c 300 one.err)"; fi
    # shellcheck disable=SC2086
    if mpi 2 "n2_$tag$ext" set -o "n2_$out" -q --cpu $args; then
        pass
    else
        fail "mpirun -n 2 $v: rc=$?, $(head -c 400 "n2_$tag$ext.err")"
    fi
    same "n2_$out" "$out" "mpirun -n 2 --cpu $args ($ext)"
done

# Not quiet: rank 0 alone prints progress and the summary.
if mpi 2 loud set -o loud.json --cpu; then pass; else fail "mpirun -n 2 (not quiet): $(head -c 400 loud.err)"; fi
[ "$(grep -c '^tensor ' loud.out)" = 1 ] && pass || fail "expected one summary, got: $(head -c 400 loud.out)"
[ "$(grep -c 'wrote loud.json' loud.err)" = 1 ] && pass || fail "expected one 'wrote' line: $(head -c 400 loud.err)"
grep -q "2 MPI processes" loud.err && pass || fail "no word of the MPI processes: $(head -c 400 loud.err)"
same loud.json one.json "mpirun -n 2 (not quiet)"
# --measure: rank 0 alone over every batch; the summary (SQNR, clipped) too.
"$VKC" calibrate set -o meas1.json --cpu --measure >meas1.out 2>/dev/null && pass || fail "one process --measure"
if mpi 2 meas2 set -o meas2.json --cpu --measure; then pass; else fail "mpirun --measure: $(head -c 400 meas2.err)"; fi
same meas2.out meas1.out "mpirun -n 2 --measure summary"
same meas2.json meas1.json "mpirun -n 2 --measure"

# ---- -n 2 on lavapipe (validation layer on) and the CPU backend ---------------
if "$VKC" devices --json 2>/dev/null | grep -q llvmpipe; then
    for v in "json::" "json:asym:--mode asymmetric"; do
        rest=${v#*:}
        tag=${rest%%:*}
        args=${rest#*:}
        # shellcheck disable=SC2086
        if VKCALIB_VALIDATE=1 mpi 2 "lvp_$tag" set -o "lvp${tag:+_$tag}.json" -q --devices llvmpipe,cpu $args; then
            pass
        else
            fail "mpirun -n 2 --devices llvmpipe,cpu $args: $(head -c 400 "lvp_$tag.err")"
        fi
        grep -q "validation layer reported" "lvp_$tag.err" && fail "validation: $(grep "validation layer" "lvp_$tag.err")"
        same "lvp${tag:+_$tag}.json" "one${tag:+_$tag}.json" "mpirun -n 2 --devices llvmpipe,cpu $args"
    done
else
    note "no lavapipe device: the llvmpipe,cpu case is skipped"
fi

# ---- an empty share, and one process under mpirun ----------------------------
"$VKC" calibrate two -o two_one.json -q --cpu 2>/dev/null && pass || fail "one process on two/"
if mpi 3 n3 two -o two_n3.json -q --cpu; then pass; else fail "mpirun -n 3 on 2 batches: $(head -c 400 n3.err)"; fi
same two_n3.json two_one.json "mpirun -n 3 on 2 batches"
if mpi 1 n1 set -o n1.cache -q; then pass; else fail "mpirun -n 1: $(head -c 400 n1.err)"; fi
"$VKC" calibrate set -o plain.cache -q 2>/dev/null && pass || fail "plain run (default device)"
same n1.cache plain.cache "mpirun -n 1"

# ---- errors: every rank stops, nothing is written, the message is clear -----
mpi 2 bad bad -o bad.json -q --cpu
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then pass; else fail "damaged batch in rank 1's share: rc=$rc (124: a hang)"; fi
grep -q "batch_001.npz" bad.err && pass || fail "the error does not name batch_001.npz: $(head -c 400 bad.err)"
[ ! -e bad.json ] && pass || fail "a failed MPI run left bad.json"

"$VKC" calibrate nan -o nan1.json -q --cpu 2>nan1.err && fail "one process accepted a NaN"
mpi 2 nan2 nan -o nan2.json -q --cpu
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then pass; else fail "NaN in rank 1's share: rc=$rc"; fi
grep "error" nan1.err >nan1.msg
grep "error" nan2.err >nan2.msg
if [ -s nan1.msg ] && cmp -s nan1.msg nan2.msg; then
    pass
else
    fail "NaN: the MPI error differs from one process': '$(cat nan2.msg)' vs '$(cat nan1.msg)'"
fi
grep -q "batch_003.npz\[signed\]" nan2.msg && pass || fail "NaN error does not name batch_003.npz[signed]: $(cat nan2.msg)"
[ ! -e nan2.json ] && pass || fail "a failed MPI run left nan2.json"
# --exclude-nonfinite: the same file as one process.
"$VKC" calibrate nan -o nanx1.json -q --cpu --exclude-nonfinite 2>/dev/null && pass || fail "one process --exclude-nonfinite"
if mpi 2 nanx nan -o nanx2.json -q --cpu --exclude-nonfinite; then pass; else fail "mpirun --exclude-nonfinite: $(head -c 400 nanx.err)"; fi
same nanx2.json nanx1.json "mpirun -n 2 --exclude-nonfinite"

# Ranks that see different sets (here: told different inputs) refuse.
"${MPIRUN[@]}" -n 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then d=two; else d=set; fi; exec "$0" calibrate $d -o differ.json -q --cpu' \
    "$VKC" >differ.out 2>differ.err
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "different calibration sets" differ.err && [ ! -e differ.json ]; then
    pass
else
    fail "ranks with different inputs: rc=$rc, $(head -c 300 differ.err)"
fi
mpi 2 stream set -o stream.json -q --cpu --range streaming
rc=$?
if [ $rc -eq 2 ] && grep -q "streaming" stream.err && [ ! -e stream.json ]; then
    pass
else
    fail "--range streaming under -n 2: rc=$rc, $(head -c 300 stream.err)"
fi
mpi 2 missing nothere -o missing.json -q --cpu
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "nothere" missing.err; then pass; else fail "missing input: rc=$rc, $(head -c 300 missing.err)"; fi

"$VKC" calibrate --help | grep -q "mpirun -n K" && pass || fail "calibrate --help says nothing of MPI"
"$VKC" calibrate --help | grep -q "this build has MPI" && pass || fail "calibrate --help does not say this build has MPI"

echo "test_cli_mpi: $passed passed, $failed failed ($((SECONDS - t0)) s)" >&2
[ "$failed" -eq 0 ]
