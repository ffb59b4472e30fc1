#!/bin/bash
# Issue #15, the command line: each defect of the red-team list (B1-B16)
# and of the new-user notes that the tool shows, one check each, written to
# fail on the code before the fix; then per-tensor control (--override,
# --overrides, --include, --exclude, skipped tensors), the quality guards
# (warnings, JSON flags, --strict), and what explain, report, inspect, merge
# and histogram accept. Small data: the whole script runs in seconds on the
# CPU backend (B14, backend independence, is held by test_gpu_measure and
# test_cli_regress).
#
# Usage: bash test_cli_trust.sh VKCALIB WORKDIR
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
t0=$SECONDS
unset COLUMNS VKCALIB_DEVICE

# ok WHAT CMD...: CMD exits 0.  bad WHAT CODE PATTERN CMD...: CMD exits CODE
# and says PATTERN on stderr (extended regex).
ok() {
    local what=$1
    shift
    if "$@" >out.txt 2>err.txt; then pass; else fail "$what: exit $? ($(tail -c 300 err.txt))"; fi
}
bad() {
    local what=$1 code=$2 pat=$3
    shift 3
    "$@" >out.txt 2>err.txt
    local rc=$?
    if [ "$rc" -ne "$code" ]; then
        fail "$what: exit $rc, expected $code ($(tail -c 300 err.txt))"
    elif ! grep -Eq -- "$pat" err.txt; then
        fail "$what: stderr lacks /$pat/: $(tail -c 300 err.txt)"
    else
        pass
    fi
}

"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os, struct, zlib
import numpy as np
rng = np.random.default_rng(15)
os.makedirs("set", exist_ok=True)
for b in range(3):
    np.savez("set/batch_%03d.npz" % b,
             relu=np.maximum(rng.standard_normal(3000), 0).astype(np.float32),
             signed=(rng.standard_normal(3000) * 2).astype(np.float32),
             soft=np.exp(3 * rng.standard_normal((24, 128))).astype(np.float32) / 1e3,
             labels=rng.integers(0, 10, 100).astype(np.int64))
# A tensor of no values; names the cache cannot hold; float64 beyond float32.
np.savez("odd.npz", empty=np.zeros(0, np.float32), **{"a\nb": np.ones(10, np.float32)})
np.save("big64.npy", np.array([1.0, 2.0, 1e300, -3.0], np.float64))
np.savez("empty_key.npz", **{"": np.ones(10, np.float32)})

def state(path, phase, bins, flags, tensors):
    b = b"VKCH" + struct.pack("<5I", 1, phase, bins, flags, len(tensors))
    for name, mn, mx, am, hi, cnt, zeros, nan, counts in tensors:
        nb = name.encode()
        b += struct.pack("<I", len(nb)) + nb + struct.pack("<4f5Q", mn, mx, am, hi, cnt, zeros, nan, 0, 0)
        if phase == 2:
            b += struct.pack("<%dQ" % bins, *counts)
    open(path, "wb").write(b + struct.pack("<I", zlib.crc32(b) & 0xffffffff))

state("nan_noflag.vkch", 2, 128, 0, [("t", -1, 1, 1, 1, 1280, 0, 5, [10] * 128)])   # B1
state("total0.vkch", 2, 128, 0, [("t", -1, 1, 1, 1, 100000, 0, 0, [0] * 128)])      # B11
state("notensors.vkch", 2, 128, 0, [])
state("minmax.vkch", 2, 128, 0, [("t", 1, -1, 1, 1, 1280, 0, 0, [10] * 128)])
state("flags.vkch", 2, 128, 6, [("t", -1, 1, 1, 1, 1280, 0, 0, [10] * 128)])
state("wrap.vkch", 1, 128, 0, [("t", -1, 1, 1, 0, 2**63 + 5, 0, 0, None)])          # B10
state("wrap2.vkch", 1, 128, 0, [("t", -1, 1, 1, 0, 2**63 + 5, 0, 0, None)])
state("bigbins.vkch", 2, 1 << 17, 0, [("t", -1, 1, 1, 1, 1 << 17, 0, 0, [1] * (1 << 17))])  # B3
EOF

# ---- B1 B10 B11 B16 B3: state files --------------------------------------------
bad "B1: NaN counts without the exclude flag" 1 "5 NaN" "$VKC" calibrate --from-state nan_noflag.vkch -o b1.json --cpu -q
bad "B11: histogram total 0, count 100000" 1 "tensor 't'.*binned 0 values where the range pass's statistics give 100000" \
    "$VKC" calibrate --from-state total0.vkch -o b11.json --cpu -q
bad "B11: no tensors" 1 "no tensors" "$VKC" calibrate --from-state notensors.vkch -o b11.json --cpu -q
bad "B11: min > max" 1 "inconsistent range statistics" "$VKC" calibrate --from-state minmax.vkch -o b11.json --cpu -q
bad "B11: unknown flag bits" 1 "unknown flag bits" "$VKC" calibrate --from-state flags.vkch -o b11.json --cpu -q
bad "B10: counts wrap at 2^64" 1 "overflow 64 bits" "$VKC" merge wrap.vkch wrap2.vkch -o b10.vkch
bad "B16: one file twice" 1 "same file" "$VKC" merge wrap.vkch wrap.vkch -o b16.vkch
ln -s wrap.vkch wrap_link.vkch
bad "B16: one file through a link" 1 "same file" "$VKC" merge wrap.vkch wrap_link.vkch -o b16.vkch
[ ! -e b10.vkch ] && [ ! -e b16.vkch ] && [ ! -e b11.json ] && pass || fail "an output was written after an error"
bad "B3: state bins above the cap" 1 "bad bin count 131072" "$VKC" calibrate --from-state bigbins.vkch -o b3.json --cpu -q

# ---- B2 B13: histogram ---------------------------------------------------------
bad "B2: --count that wraps the size" 2 "count" "$VKC" histogram --generate relu --count 4611686018427387905 --cpu
cp set/batch_000.npz 'q"uote.npz'
ok "B13: histogram --json of a quoted path" "$VKC" histogram 'q"uote.npz' --tensor relu --json --bins 8 --cpu
"$PY" -c 'import json,sys; d=json.load(open("out.txt")); assert d["input"] == "q\"uote.npz[relu.npy]", d["input"]' \
    && pass || fail "B13: histogram --json is not valid JSON or names the input wrongly"
bad "histogram: an .npz of several tensors needs --tensor" 1 "--tensor NAME" "$VKC" histogram set/batch_000.npz --cpu

# ---- B4: many tensors in one .npz ------------------------------------------------
"$PY" -c '
import numpy as np
d = {"t%05d" % i: np.full(4, i, np.float32) for i in range(20000)}
np.savez("many0.npz", **d); np.savez("many1.npz", **d)'
t=$SECONDS
ok "B4: 20,000 tensors in two .npz" "$VKC" calibrate many0.npz many1.npz -o many.json --method max --cpu -q
dt=$((SECONDS - t))
echo "B4: 2 x 20,000 members: ${dt} s" >&2
[ "$dt" -le 20 ] && pass || fail "B4: 2 x 20,000 members took ${dt} s (quadratic: it took minutes)"

# ---- B5 B6 B7: what the scan takes ---------------------------------------------------
cp set/batch_000.npz keep.npz
bad "B5: output is one of the inputs" 1 "is one of the inputs" "$VKC" calibrate set -o set/batch_000.npz --format trt --cpu -q
cmp -s set/batch_000.npz keep.npz && pass || fail "B5: the input was overwritten"
"$VKC" collect set --state s.vkch --cpu -q 2>/dev/null
"$VKC" collect set --range-from s.vkch --state h.vkch --cpu -q 2>/dev/null
bad "B5: collect over an input" 1 "is one of the inputs" "$VKC" collect set --state set/batch_001.npz --cpu -q
bad "B5: report over an input" 1 "is one of the inputs" "$VKC" report set -o set/batch_002.npz --cpu -q
bad "B5: --from-state over its state" 1 "is one of the inputs" "$VKC" calibrate --from-state s.vkch -o s.vkch --format json --cpu -q
mkdir -p mixed/relu && cp "$VKC_SOURCE_DIR"/tests/regress/data/tensors/relu/000.npy mixed/relu/ && cp mixed/relu/000.npy mixed/loose.npy
bad "B6: a .npy beside tensor folders" 1 "loose.npy is a .npy beside tensor folders" "$VKC" calibrate mixed -o b6.json --cpu -q
cp -r set set6 && cp mixed/relu/000.npy set6/stray.npy
bad "B6: a .npy beside .npz batches" 1 "stray.npy is a .npy beside .npz batches" "$VKC" calibrate set6 -o b6.json --cpu -q
rm set6/stray.npy && echo notes >set6/README.txt
ok "B6: another file is said, not silently dropped" "$VKC" calibrate set6 -o b6.json --cpu -q
grep -q "README.txt" err.txt && pass || fail "B6: no word about README.txt"
bad "B7: a folder and a file in it" 1 "given twice|same file" "$VKC" calibrate set set/batch_000.npz -o b7.json --cpu -q
ln -s batch_000.npz set6/batch_009.npz
bad "B7: a link to another batch" 1 "same file" "$VKC" calibrate set6 -o b7.json --cpu -q

# ---- B8: names through JSON -----------------------------------------------------------
# Member names of raw bytes 0xff and 0xfe (zipfile would write UTF-8: the
# names are patched in place, local headers and directory alike).
"$PY" -c '
import numpy as np
np.savez("bytes.npz", Q1=np.arange(10, dtype=np.float32), Q2=np.arange(5, dtype=np.float32))
b = open("bytes.npz", "rb").read().replace(b"Q1.npy", b"\xff1.npy").replace(b"Q2.npy", b"\xfe1.npy")
open("bytes.npz", "wb").write(b)'
ok "B8: names that are not UTF-8" "$VKC" calibrate bytes.npz -o b8.json --method max --cpu -q
"$PY" -c '
import json
names = sorted(t["name"].encode("utf-8", "surrogateescape") for t in json.load(open("b8.json"))["tensors"])
assert names == [b"\xfe1", b"\xff1"], names' && pass || fail "B8: the names do not round-trip (surrogateescape)"
ok "B8: inspect reads them back" "$VKC" inspect b8.json
printf '{"format": "vkcalib-calibration", "tensors": [{"name": "a\\u0000b", "scale": 0.1}]}' >nul.json
bad "B8: a name holding NUL" 1 "NUL" "$VKC" inspect nul.json

# ---- B9 B15 and the new user's option checks: all before the data ----------------------
bad "B9: a name with a line break into a cache" 1 "line break" "$VKC" calibrate odd.npz -o b9.cache --cpu -q
bad "B9: an empty name" 1 "empty name" "$VKC" calibrate empty_key.npz -o b9.json --cpu -q
bad "B9: --percentile 99.99999" 2 "at most 4 decimals" "$VKC" calibrate set -o b9.json --method percentile --percentile 99.99999 --cpu -q
ln -s /nonexistent/dir/x.json dangling.json
bad "B9: a dangling -o link" 1 "dangling.json" "$VKC" calibrate set -o dangling.json --cpu -q
bad "B15: --start-bin below 128 with entropy" 2 "below the 128 levels" "$VKC" calibrate set -o b15.json --start-bin 16 --cpu -q
ok "B15: a small start bin with mse" "$VKC" calibrate set -o b15.json --start-bin 16 --method mse --cpu -q
bad "--bins below the start bin" 2 "below the first candidate bin" "$VKC" calibrate set -o x.json --bins 64 --cpu -q
bad "--percentile without --method percentile" 2 "applies to --method percentile" "$VKC" calibrate set -o x.json --percentile 99.9 --cpu -q
bad "--trt-algo Foo" 2 "EntropyCalibration2" "$VKC" calibrate set -o x.cache --trt-algo Foo --cpu -q
ok "--trt-version 10" "$VKC" calibrate set -o v10.cache --trt-version 10 --cpu -q
[ "$(head -1 v10.cache)" = "TRT-100000-EntropyCalibration2" ] && pass || fail "--trt-version 10: header $(head -1 v10.cache)"
bad "search --start-bin 64 (entropy)" 2 "below the 128 levels" "$VKC" search --counts "$VKC_SOURCE_DIR"/tests/regress/data/counts/relu_abs.txt --range-max 6 --start-bin 64 --cpu
[ ! -e x.json ] && [ ! -e x.cache ] && [ ! -e b9.cache ] && pass || fail "an output was written after a usage error"

# ---- B12: float64 beyond float32 --------------------------------------------------------
bad "B12: a float64 beyond float32's range" 1 "float64 value 1e\+300.*beyond float32" "$VKC" calibrate big64.npy -o b12.json --cpu -q
ok "B12: excluded, and said so" "$VKC" calibrate big64.npy -o b12.json --cpu --exclude-nonfinite
grep -q "beyond float32" err.txt && pass || fail "B12: the exclusion does not say the values are float64 beyond float32"

# ---- -o -, streaming, auto with a cache -----------------------------------------------------
ok "-o - writes to standard output" "$VKC" calibrate set -o - --format json --cpu --method max
"$PY" -c 'import json; json.load(open("out.txt"))' && [ ! -e ./- ] && pass || fail "-o -: no JSON on stdout, or a file named -"
bad "-o - needs --format" 2 "format" "$VKC" calibrate set -o - --cpu -q
ok "streaming max" "$VKC" calibrate set -o st.json --range streaming --method max --cpu -q
"$PY" -c '
import json
for t in json.load(open("st.json"))["tensors"]:
    assert t["threshold"] == t["absmax"], (t["name"], t["threshold"], t["absmax"])' && pass \
    || fail "--range streaming --method max writes the power-of-two range, not the absmax"
ok "symmetric cache" "$VKC" calibrate set -o sym.cache --cpu -q
ok "auto cache" "$VKC" calibrate set -o auto.cache --mode auto --envelope --cpu -q
cmp -s sym.cache auto.cache && pass || fail "--mode auto --envelope: the cache differs from the symmetric one"

# ---- per-tensor control -------------------------------------------------------------------------
ok "--override" "$VKC" calibrate set -o ov.json --override 'so*=max:unsigned' --override 'rel?=mse' --cpu --exclude labels
"$PY" -c '
import json
t = {x["name"]: x for x in json.load(open("ov.json"))["tensors"]}
assert (t["soft"]["method"], t["soft"]["mode"]) == ("max", "unsigned"), t["soft"]["method"]
assert t["relu"]["method"] == "mse" and t["signed"]["method"] == "entropy"
assert "labels" not in t' && pass || fail "--override did not set the methods and modes"
grep -q "skipped 'labels': excluded" out.txt && pass || fail "--exclude: the left-out tensor is not reported"
printf '# overrides\nso* = max:unsigned\nrelu=mse\nexclude labels\n' >rules.txt
ok "--overrides FILE" "$VKC" calibrate set -o ov2.json --overrides rules.txt --cpu -q
cmp -s ov.json ov2.json && pass || fail "--overrides FILE differs from the same --override options"
ok "--include" "$VKC" calibrate set -o inc.json --include 'relu' --cpu
"$PY" -c 'import json; assert [t["name"] for t in json.load(open("inc.json"))["tensors"]] == ["relu"]' && pass || fail "--include"
ok "a non-float tensor is skipped" "$VKC" calibrate set -o nf.json --cpu
grep -q "skipped 'labels': dtype <i8" out.txt && pass || fail "the int64 tensor is not reported as skipped"
bad "--strict: a non-float tensor" 1 "labels" "$VKC" calibrate set -o nf2.json --strict --cpu -q
ok "an empty tensor is skipped" "$VKC" calibrate odd.npz -o emp.json --cpu --exclude 'a?b'
grep -q "skipped 'empty': no finite values" out.txt && pass || fail "the empty tensor is not reported as skipped"
bad "--strict: an empty tensor" 1 "empty" "$VKC" calibrate odd.npz -o emp2.json --cpu --exclude 'a?b' --strict -q
bad "--override asymmetric into a cache" 2 "symmetric ranges only" "$VKC" calibrate set -o x.cache --override 'relu=max:asymmetric' --cpu -q
bad "--override with a bad method" 2 "method entropy, percentile" "$VKC" calibrate set -o x.json --override 'relu=foo' --cpu -q
ok "--override on a state file" "$VKC" calibrate --from-state h.vkch -o fs.json --override 'relu=max' --exclude labels --cpu -q
"$PY" -c '
import json
t = {x["name"]: x for x in json.load(open("fs.json"))["tensors"]}
assert t["relu"]["method"] == "max" and "labels" not in t' && pass || fail "--override / --exclude with --from-state"

# ---- quality guards ---------------------------------------------------------------------------------
ok "guards: warnings in the summary" "$VKC" calibrate set -o g.json --cpu --exclude labels
grep -q "^! 'soft'" out.txt && pass || fail "guards: the softmax-like tensor is not flagged in the summary"
"$PY" -c '
import json
t = {x["name"]: x for x in json.load(open("g.json"))["tensors"]}
g = t["soft"]["guard"]
assert "low_sqnr" in t["soft"]["warnings"] and g["best_sqnr_db"] - g["sqnr_db"] > 6 and g["best_method"] != "entropy"
assert "guard" not in t["signed"]' && pass || fail "guards: no flag and numbers in the JSON"
bad "guards: --strict" 1 "flagged by the quality guards" "$VKC" calibrate set -o g2.json --strict --exclude labels --cpu -q
[ ! -e g2.json ] && pass || fail "--strict wrote the output"
ok "guards: --no-guards" "$VKC" calibrate set -o g3.json --no-guards --exclude labels --cpu
! grep -q '"guard"' g3.json && ! grep -q "^!" out.txt && pass || fail "--no-guards still flags"
ok "guards: --max-clipped" "$VKC" calibrate set -o g4.json --method percentile --percentile 95 --max-clipped 2 --exclude labels --cpu
grep -q '"clipped"' g4.json && pass || fail "--max-clipped 2: a 95th percentile is not flagged for clipping"

# ---- the new user: inputs every command takes ------------------------------------------------------
ok "inspect a state file" "$VKC" inspect s.vkch
grep -q "range statistics" out.txt && grep -q "relu" out.txt && pass || fail "inspect does not describe a .vkch"
ok "inspect a calibration set" "$VKC" inspect set/batch_000.npz
grep -q "relu" out.txt && pass || fail "inspect does not list an .npz's tensors"
ok "explain a histogram state" "$VKC" explain h.vkch --tensor relu --cpu
ok "report a histogram state" "$VKC" report h.vkch -o h.html --cpu -q
ok "merge a folder of states" bash -c "mkdir -p shards && cp s.vkch shards/a.vkch && \"$VKC\" merge shards -o m.vkch"
bad "merge of a calibration set" 2 "state files" "$VKC" merge set/batch_000.npz set/batch_001.npz -o m2.vkch

# ---- progress, columns, exit codes ---------------------------------------------------------------------
if command -v script >/dev/null; then
    "$PY" -c 'import numpy as np; np.savez("slow.npz", **{"t%d" % i: np.ones(400000, np.float32) for i in range(40)})'
    script -qec "\"$VKC\" calibrate slow.npz -o slow.json --cpu --method max" /dev/null >tty.log 2>&1
    # What a terminal shows of each progress line: the text after its last \r.
    "$PY" - <<'EOF' && pass || fail "progress: a final line keeps the tail of an earlier one (a stray 'TA 0s')"
import re
raw = open("tty.log", "rb").read().decode("utf-8", "replace").replace("\r\n", "\n")
for line in raw.split("\n"):
    if "\r" not in line:
        continue
    screen = []
    for part in line.split("\r"):
        screen[: len(part)] = list(part)
    shown = "".join(screen).rstrip()
    assert shown.endswith("MB/s"), repr(shown)
EOF
else
    note "script(1) missing: the progress line is not checked on a terminal"
fi
COLUMNS=80 "$VKC" calibrate set -o c.json --measure --cpu --exclude labels >cols.txt 2>/dev/null
awk 'length($0) > 80 { bad = 1 } END { exit bad }' cols.txt && pass || fail "the summary passes 80 columns with COLUMNS=80: $(awk 'length($0) > 80' cols.txt | head -2)"
COLUMNS=80 "$VKC" inspect c.json >cols2.txt
awk 'length($0) > 80 { bad = 1 } END { exit bad }' cols2.txt && pass || fail "inspect passes 80 columns with COLUMNS=80"
for c in "calibrate set" "collect set" "merge" "inspect" "explain set" "report set" "histogram" "search" \
    "calibrate set -o x.json --bogus" "explain set --tensor relu --bogus" "inspect a b" "devices --bogus" \
    "tensors" "qdq"; do
    # shellcheck disable=SC2086
    "$VKC" $c >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 2 ] && pass || fail "usage error '$c': exit $rc, expected 2"
done

echo "test_cli_trust: $((SECONDS - t0)) s" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
