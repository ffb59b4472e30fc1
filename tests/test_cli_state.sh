#!/usr/bin/env bash
# Calibration split over processes: collect on shards (CPU and GPU backends
# mixed), merge, search from the merged state; byte-identical to one run.
# Then every way the state files can disagree or be damaged.
set -u
VKCALIB=$1
WORK=$2
pass=0 failed=0
ok() { pass=$((pass + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect_fail() { # description, grep pattern, command...
  local what=$1 pat=$2; shift 2
  local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -ne 0 ] && echo "$err" | grep -q -- "$pat"; then ok; else fail "$what: rc=$rc, stderr: $err"; fi
}
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
EX=$VKC_SOURCE_DIR/examples/calib
GPU=(--cpu)
if "$VKCALIB" devices --json 2>/dev/null | grep -q '"name"'; then GPU=(--device "${VKCALIB_TEST_DEVICE:-llvmpipe}"); fi

# Four shards of two batches each, collected in parallel the way a scheduler would.
printf '%s\n' 0 1 2 3 | xargs -P 4 -I{} sh -c \
  "'$VKCALIB' collect $EX/batch_00\$((2*{})).npz $EX/batch_00\$((2*{}+1)).npz --state range_{}.vkch -q --cpu" && ok || fail "collect ranges"
"$VKCALIB" merge range_*.vkch -o ranges.vkch && ok || fail "merge ranges"
for k in 0 1 2 3; do
  dev=(--cpu); [ $k -ge 2 ] && dev=("${GPU[@]}")
  "$VKCALIB" collect "$EX/batch_00$((2*k)).npz" "$EX/batch_00$((2*k+1)).npz" --range-from ranges.vkch \
    --state hist_$k.vkch -q "${dev[@]}" && ok || fail "collect histograms shard $k"
done
"$VKCALIB" merge hist_3.vkch hist_1.vkch hist_0.vkch hist_2.vkch -o hist.vkch && ok || fail "merge histograms"

for args in "" "--method mse" "--method percentile --percentile 99.9" "--mode auto" "--flavor tensorrt"; do
  for ext in cache json; do
    [ "$ext" = cache ] && [ "$args" = "--mode auto" ] && continue
    # shellcheck disable=SC2086
    "$VKCALIB" calibrate --from-state hist.vkch -o "state.$ext" -q $args && ok || fail "from-state $args"
    # shellcheck disable=SC2086
    "$VKCALIB" calibrate "$EX" -o "full.$ext" -q --cpu $args && ok || fail "full run $args"
    cmp -s "state.$ext" "full.$ext" && ok || fail "sharded and single-run $ext differ ($args)"
  done
done

# Disagreements and damage.
"$VKCALIB" collect "$EX/batch_000.npz" --state bins512.vkch --bins 512 -q --cpu && ok || fail "collect 512 bins"
expect_fail "range + histogram" "range state with a histogram state" "$VKCALIB" merge ranges.vkch hist.vkch -o x.vkch
expect_fail "different bins" "bin counts differ" "$VKCALIB" merge ranges.vkch bins512.vkch -o x.vkch
"$VKCALIB" collect "$EX/batch_000.npz" --state excl.vkch --exclude-nonfinite -q --cpu && ok || fail "collect excl"
expect_fail "different policy" "non-finite" "$VKCALIB" merge ranges.vkch excl.vkch -o x.vkch
/usr/bin/python3 - <<'PY' || fail "making a one-tensor batch"
import numpy as np
d = dict(np.load("EXDIR/batch_000.npz".replace("EXDIR", __import__("os").environ["VKC_SOURCE_DIR"] + "/examples/calib")))
d.pop("input")
np.savez("fewer.npz", **d)
PY
"$VKCALIB" collect fewer.npz --state fewer.vkch -q --cpu && ok || fail "collect fewer"
expect_fail "different tensor sets" "tensor" "$VKCALIB" merge ranges.vkch fewer.vkch -o x.vkch
expect_fail "range-from other set" "fewer.vkch\|tensor" "$VKCALIB" collect "$EX/batch_000.npz" --range-from fewer.vkch --state x.vkch -q --cpu
expect_fail "from-state of a range round" "range statistics only" "$VKCALIB" calibrate --from-state ranges.vkch -o x.cache -q
cp hist.vkch damaged.vkch
printf '\x01' | dd of=damaged.vkch bs=1 seek=100 conv=notrunc 2>/dev/null
expect_fail "damaged byte" "checksum" "$VKCALIB" calibrate --from-state damaged.vkch -o x.cache -q
head -c 1000 hist.vkch > short.vkch
expect_fail "truncated" "checksum\|truncated" "$VKCALIB" merge short.vkch hist.vkch -o x.vkch
echo "not a state" > text.vkch
expect_fail "wrong magic" "VKCH" "$VKCALIB" merge text.vkch -o x.vkch
expect_fail "missing file" "nothere.vkch" "$VKCALIB" merge nothere.vkch -o x.vkch
[ ! -e x.vkch ] && [ ! -e x.cache ] && ok || fail "a failed command left an output behind"
# Streaming range mode: one pass, the same file on both backends and in any
# batch order.
"$VKCALIB" calibrate "$EX" -o stream_cpu.json --range streaming -q --cpu && ok || fail "streaming cpu"
"$VKCALIB" calibrate "$EX" -o stream_gpu.json --range streaming -q "${GPU[@]}" && ok || fail "streaming gpu"
cmp -s stream_cpu.json stream_gpu.json && ok || fail "streaming: CPU and GPU files differ"
"$VKCALIB" calibrate "$EX"/batch_00[4-7].npz "$EX"/batch_00[0-3].npz -o stream_rev.json --range streaming -q --cpu &&
  ok || fail "streaming reversed"
cmp -s stream_cpu.json stream_rev.json && ok || fail "streaming: batch order changed the file"
grep -q '"range": "streaming"' stream_cpu.json && ok || fail "streaming not recorded in the settings"
expect_fail "streaming + from-state" "streaming" "$VKCALIB" calibrate --from-state hist.vkch --range streaming -o x.cache -q
# Several devices in one process (two lavapipe contexts standing in for two
# GPUs, and the CPU backend beside them): the same files as one device.
DEV=${VKCALIB_TEST_DEVICE:-llvmpipe}
[ "${GPU[0]}" = --cpu ] && DEV=cpu
for ext in cache json; do
  "$VKCALIB" calibrate "$EX" -o "one.$ext" -q --cpu && ok || fail "one device, $ext"
done
for list in "$DEV,$DEV" "cpu,$DEV,cpu"; do
  for ext in cache json; do
    "$VKCALIB" calibrate "$EX" -o "multi.$ext" -q --devices "$list" && ok || fail "--devices $list"
    cmp -s "multi.$ext" "one.$ext" && ok || fail "--devices $list: $ext differs from one device"
  done
done
# The batches of one tensor split over the devices: a tensor of 11 batches
# whose extremes lie in different shares, one of a single batch (the other
# devices get none of it), a post-ReLU one; folder-per-tensor layout.
/usr/bin/python3 - <<'PY' || fail "making the many-batch set"
import os
import numpy as np
r = np.random.default_rng(7)
for name, nb in (("many", 11), ("single", 1), ("relu", 5)):
    os.makedirs("manyset/" + name, exist_ok=True)
    for b in range(nb):
        x = r.standard_normal(3001 + 17 * b) * (1 + b)
        if name == "many":
            x[5] = -40.0 - b if b == 4 else x[5]   # the minimum in batch 4
            x[9] = 55.5 if b == 7 else x[9]        # the absmax in batch 7
        if name == "relu":
            x = np.maximum(x, 0)
        np.save("manyset/%s/b%02d.npy" % (name, b), x.astype(np.float32))
PY
for args in "" "--mode asymmetric" "--mode auto --method mse"; do
  # shellcheck disable=SC2086
  "$VKCALIB" calibrate manyset -o many_one.json -q --cpu $args && ok || fail "many batches, one device ($args)"
  for list in "$DEV,$DEV" "cpu,$DEV,cpu" "cpu,cpu,cpu,cpu,cpu"; do
    # shellcheck disable=SC2086
    "$VKCALIB" calibrate manyset -o many_multi.json -q --devices "$list" $args && ok || fail "many batches --devices $list ($args)"
    cmp -s many_multi.json many_one.json && ok || fail "many batches --devices $list ($args): differs from one device"
  done
done
"$VKCALIB" calibrate manyset -o many_one.cache -q --cpu && ok || fail "many batches, one device, cache"
"$VKCALIB" calibrate manyset -o many_multi.cache -q --devices "cpu,$DEV" && ok || fail "many batches, two devices, cache"
cmp -s many_multi.cache many_one.cache && ok || fail "many batches: the caches differ"
expect_fail "--devices with a bad selector" "no-such-gpu" "$VKCALIB" calibrate "$EX" -o x.cache -q --devices "$DEV,no-such-gpu"
"$VKCALIB" collect --help | grep -q "Usage" && ok || fail "collect --help"
"$VKCALIB" merge --help | grep -q "Usage" && ok || fail "merge --help"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
