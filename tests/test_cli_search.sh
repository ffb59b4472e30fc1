#!/bin/bash
# vkcalib search on the golden histograms (tests/data/golden_histograms.json, a copy of shared/testdata):
# entropy (signed, unsigned, both flavours), percentile and MSE, on the native
# CPU backend and on lavapipe, plus the usage errors of the command.
#
# Usage: bash test_cli_search.sh VKCALIB WORKDIR
# Env:   VKC_TESTDATA_DIR (tests/data), VKC_SOURCE_DIR (the source tree).
set -u

. "$(dirname "$0")/cli_common.sh" "$@"
GOLDEN=${VKC_TESTDATA_DIR:-${VKC_SOURCE_DIR:-.}/tests/data}/golden_histograms.json

if [ ! -f "$GOLDEN" ]; then
    echo "golden histograms not found at $GOLDEN (set VKC_TESTDATA_DIR)" >&2
    exit 1
fi

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

# ---- data: one counts file per case, and the expectations ------------------
# expect.txt: CASE RANGE_MAX BINS KEY EXPECTED_I, one line per expectation.
"$PY" - "$GOLDEN" <<'EOF' || { echo "cannot read $GOLDEN" >&2; exit 1; }
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
with open("expect.txt", "w") as ex, open("cases.txt", "w") as cs:
    for k, c in enumerate(d["cases"]):
        name = c["name"]
        counts = c["counts"]
        assert len(counts) == c["bins"]
        with open(name + ".txt", "w") as f:
            f.write("# %s: %d bins over [0, %r]\n" % (name, c["bins"], c["range_max"]))
            for v in counts:
                f.write("%d\n" % v)
        # the first case also as .npy files: int64, int32 and integral float32
        if k == 0:
            np.save(name + "_i8.npy", np.array(counts, dtype="<i8"))
            np.save(name + "_i4.npy", np.array(counts, dtype="<i4"))
            # torch.histc returns float counts: integral float32 values are accepted
            if max(counts) < 2**24:
                np.save(name + "_f4.npy", np.array(counts, dtype="<f4"))
        cs.write("%s %r %d\n" % (name, float(c["range_max"]), c["bins"]))
        for key, e in sorted(c["expected"].items()):
            ex.write("%s %r %d %s %d\n" % (name, float(c["range_max"]), c["bins"], key, e["vkcalib"]))
EOF

# check_json FILE I_EXPECTED THRESHOLD_KIND RANGE_MAX BINS [DEVICE] -> prints
# nothing when fine, else what is wrong. THRESHOLD_KIND: edge (i*w) or centre
# ((i+0.5)*w). DEVICE: a substring the reported device must contain.
check_json() {
    "$PY" - "$@" <<'EOF'
import json, sys
path, want_i, kind, r, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
dev = sys.argv[6] if len(sys.argv) > 6 else ""
try:
    j = json.load(open(path))
except Exception as e:
    print("not valid JSON: %s" % e); sys.exit()
i, t = j.get("i"), j.get("threshold")
if i != want_i:
    print("i = %r, expected %d" % (i, want_i)); sys.exit()
want_t = (i if kind == "edge" else i + 0.5) * r / n
if not isinstance(t, (int, float)) or abs(t - want_t) > 1e-12 * max(r, 1e-300):
    print("threshold = %r, expected %s %r" % (t, kind, want_t)); sys.exit()
if j.get("bins") != n:
    print("bins = %r, expected %d" % (j.get("bins"), n)); sys.exit()
if dev and dev not in str(j.get("device")):
    print("ran on %r, expected %s" % (j.get("device"), dev))
EOF
}

# run_case BACKEND_LABEL CASE R N KEY WANT_I KIND ARGS... ($bdev: device substring)
run_case() {
    local be=$1 name=$2 r=$3 n=$4 key=$5 want=$6 kind=$7
    shift 7
    local out="out_${be}_${name}_${key}_${kind}.json"
    if ! "$VKC" search --counts "$name.txt" --range-max "$r" --json "$@" >"$out" 2>"$out.err"; then
        fail "$be $name $key: vkcalib search $* exited non-zero: $(head -c 300 "$out.err")"
        return
    fi
    local msg
    msg=$(check_json "$out" "$want" "$kind" "$r" "$n" "$bdev")
    if [ -n "$msg" ]; then fail "$be $name $key ($*): $msg"; else pass; fi
}

# The Vulkan device: VKCALIB_TEST_DEVICE when set, else lavapipe (llvmpipe)
# when listed (CI), else the first device. "label:device-substring:args".
backends=("cpu:cpu:--cpu")
if gpu=$(test_device); then
    [ -n "$gpu" ] || gpu=none
else
    gpu=
fi
if [ -z "$gpu" ]; then
    fail "vkcalib devices --json did not print valid JSON"
elif [ "$gpu" = none ]; then
    echo "NOTE: vkcalib devices lists no Vulkan device; only the CPU backend is tested" >&2
else
    gpu_index=${gpu%%$'\t'*}
    gpu_name=${gpu#*$'\t'}
    echo "Vulkan device: $gpu_index ($gpu_name)" >&2
    backends+=("gpu:${gpu_name%% (*}:--device $gpu_index")
fi

t0=$SECONDS
for b in "${backends[@]}"; do
    be=${b%%:*}
    bdev=${b#*:}
    bdev=${bdev%%:*}
    read -r -a bargs <<<"${b#*:*:}"
    while read -r name r n key want; do
        case $key in
        entropy_signed)
            run_case "$be" "$name" "$r" "$n" "$key" "$want" edge --mode symmetric "${bargs[@]}"
            run_case "$be" "$name" "$r" "$n" "$key" "$want" centre --mode symmetric --flavor tensorrt "${bargs[@]}" ;;
        entropy_unsigned)
            run_case "$be" "$name" "$r" "$n" "$key" "$want" edge --mode unsigned "${bargs[@]}"
            run_case "$be" "$name" "$r" "$n" "$key" "$want" centre --mode unsigned --flavor tensorrt "${bargs[@]}" ;;
        percentile_*)
            p=${key#percentile_}
            run_case "$be" "$name" "$r" "$n" "$key" "$want" edge --method percentile --percentile "$p" "${bargs[@]}" ;;
        mse_signed)
            run_case "$be" "$name" "$r" "$n" "$key" "$want" centre --method mse --mode symmetric "${bargs[@]}" ;;
        mse_unsigned)
            run_case "$be" "$name" "$r" "$n" "$key" "$want" centre --method mse --mode unsigned "${bargs[@]}" ;;
        *) fail "unknown expectation key $key in $GOLDEN" ;;
        esac
    done <expect.txt
    echo "backend $be: golden cases done after $((SECONDS - t0)) s" >&2
done

# ---- the range maximum scales the threshold, not the choice ----------------
read -r name r n < cases.txt
want=$(awk -v c="$name" '$1 == c && $4 == "entropy_signed" {print $5}' expect.txt)
for b in "${backends[@]}"; do
    be=${b%%:*}
    read -r -a bargs <<<"${b#*:*:}"
    out="scaled_$be.json"
    if "$VKC" search --counts "$name.txt" --range-max 4.2 --json "${bargs[@]}" >"$out" 2>/dev/null; then
        msg=$(check_json "$out" "$want" edge 4.2 "$n")
        if [ -n "$msg" ]; then fail "$be --range-max 4.2: $msg"; else pass; fi
    else
        fail "$be --range-max 4.2 exited non-zero"
    fi
done

# ---- .npy counts give the same answer as the text file ----------------------
for npy in "${name}_i8.npy" "${name}_i4.npy" "${name}_f4.npy"; do
    for b in "${backends[@]}"; do
        be=${b%%:*}
        read -r -a bargs <<<"${b#*:*:}"
        out="npy_${be}_${npy%.npy}.json"
        if "$VKC" search --counts "$npy" --range-max "$r" --json "${bargs[@]}" >"$out" 2>"$out.err"; then
            msg=$(check_json "$out" "$want" edge "$r" "$n")
            if [ -n "$msg" ]; then fail "$be $npy: $msg"; else pass; fi
        else
            fail "$be $npy: exited non-zero: $(head -c 300 "$out.err")"
        fi
    done
done

# ---- the plain-text report --------------------------------------------------
if "$VKC" search --counts "$name.txt" --range-max "$r" --cpu >text.out 2>&1 && grep -q "chosen i = $want" text.out; then
    pass
else
    fail "text output lacks 'chosen i = $want': $(head -c 300 text.out)"
fi

# ---- usage and input errors -------------------------------------------------
# expect_error WHAT PATTERN ARGS...: non-zero exit, no stdout, stderr matches PATTERN.
expect_error() {
    local what=$1 pat=$2
    shift 2
    "$VKC" search "$@" >err.out 2>err.txt
    local rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "$what: exit 0, expected an error"
    elif [ "$rc" -ge 128 ]; then
        fail "$what: killed by a signal (exit $rc)"
    elif ! grep -Eq -- "$pat" err.txt; then
        fail "$what: stderr does not match '$pat': $(head -c 300 err.txt)"
    elif [ -s err.out ]; then
        fail "$what: printed to stdout on error: $(head -c 200 err.out)"
    else
        pass
    fi
}

printf '10\n20\n12x\n5\n' >bad_x.txt
printf '10\n-3\n5\n' >bad_neg.txt
: >empty.txt
printf '# only a comment\n\n   \n' >comment_only.txt
printf '10\n99999999999999999999999\n' >bad_big.txt
printf '10\n1.5\n' >bad_frac.txt

expect_error "missing --counts" "--counts" --range-max 1 --cpu
expect_error "missing --range-max" "--range-max" --counts bad_x.txt --cpu
expect_error "bad count line 12x" "bad_x\.txt:3" --counts bad_x.txt --range-max 1 --cpu
expect_error "negative count" "bad_neg\.txt:2" --counts bad_neg.txt --range-max 1 --cpu
expect_error "empty counts file" "empty\.txt" --counts empty.txt --range-max 1 --cpu
expect_error "comment-only counts file" "comment_only\.txt" --counts comment_only.txt --range-max 1 --cpu
expect_error "count beyond uint64" "bad_big\.txt:2" --counts bad_big.txt --range-max 1 --cpu
expect_error "fractional count" "bad_frac\.txt:2" --counts bad_frac.txt --range-max 1 --cpu
expect_error "missing counts file" "nonexistent\.txt" --counts nonexistent.txt --range-max 1 --cpu
expect_error "negative --range-max" "range-max" --counts "$name.txt" --range-max -1 --cpu
expect_error "non-numeric --range-max" "range-max" --counts "$name.txt" --range-max abc --cpu
expect_error "--percentile 0" "percentile" --counts "$name.txt" --range-max 1 --method percentile --percentile 0 --cpu
expect_error "--percentile 101" "percentile" --counts "$name.txt" --range-max 1 --method percentile --percentile 101 --cpu
expect_error "unknown --method" "method" --counts "$name.txt" --range-max 1 --method kl --cpu
expect_error "asymmetric --mode" "mode" --counts "$name.txt" --range-max 1 --mode asymmetric --cpu
expect_error "unknown option" "--frobnicate" --counts "$name.txt" --range-max 1 --frobnicate --cpu
"$PY" -c '
import numpy as np
np.save("frac.npy", np.full(256, 3.7, np.float32))
np.save("neg.npy", np.concatenate([np.ones(200, np.int64), [-1]]))
np.save("nan.npy", np.concatenate([np.ones(200, np.float32), [np.nan]]))
'
expect_error "fractional float .npy counts" "frac\.npy" --counts frac.npy --range-max 1 --cpu
expect_error "negative .npy count" "neg\.npy" --counts neg.npy --range-max 1 --cpu
expect_error "NaN .npy count" "nan\.npy" --counts nan.npy --range-max 1 --cpu

# usage errors exit 2
"$VKC" search --range-max 1 >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "missing --counts: exit $rc, expected 2"; fi
"$VKC" search --counts bad_x.txt --range-max 1 --cpu >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then pass; else fail "bad counts file: exit $rc, expected 1"; fi

if "$VKC" search --help >help.txt 2>&1 && grep -q "^Usage: vkcalib search" help.txt; then pass; else fail "search --help"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
