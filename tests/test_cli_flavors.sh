#!/bin/bash
# The other tools' entropy flavours through the tool (the searches
# themselves are held to hand-derived cases and the tools' own code in
# test_cpu_flavors and test_gpu_flavors):
#   - every flavour calibrates on the CPU backend and on a Vulkan device
#     (lavapipe in CI) with byte-identical JSON;
#   - batching: a tensor split into four batch files gives the same file as
#     the same values in one file;
#   - state files: four shards collected and merged give the file of one run
#     (version 2 files for the tools' flavours; NVIDIA's stay version 1);
#   - compare puts exactly the thresholds calibrate gives side by side;
#   - the rules: a flavour's own bin count, what its modes allow, the entropy
#     method only, a state of another flavour refused.
#
# Usage: bash test_cli_flavors.sh VKCALIB WORKDIR
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

# Small tensors (the 8001-bin flavours decide on the host in float32, so
# size matters little; lavapipe bins them with its edge tables).
"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os
import numpy as np
r = np.random.default_rng(7)
N = 4 * 6000
vals = {
    "relu": np.maximum(r.standard_normal(N), 0).astype(np.float32),
    "signed": (r.standard_t(3, N) * 0.7).astype(np.float32),
    "soft": r.dirichlet(np.ones(10), N // 10).reshape(-1).astype(np.float32),
}
# one file per tensor (shape (4, 6000)) and four batches (shape (1, 6000) each)
for k, v in vals.items():
    os.makedirs("one/" + k, exist_ok=True)
    np.save("one/%s/batch.npy" % k, v.reshape(4, -1))
    os.makedirs("four/" + k, exist_ok=True)
    for b in range(4):
        np.save("four/%s/b%d.npy" % (k, b), v.reshape(4, -1)[b:b + 1])
EOF

FLAVORS="modelopt tensorrt mxnet mxnet-uint8 mxnet-1.5 mxnet-1.5-uint8 tvm onnxruntime onnxruntime-2048 onnxruntime-8001 ncnn ncnn-aciq mnn paddle ppq"
GPU=$(test_device | cut -f1)
[ -n "$GPU" ] || note "no Vulkan device: the device halves are skipped"

for f in $FLAVORS; do
    if "$VKC" calibrate four -o "four.$f.json" --flavor "$f" --cpu -q 2>err; then pass; else fail "$f on the CPU: $(cat err)"; continue; fi
    "$VKC" calibrate one -o "one.$f.json" --flavor "$f" --cpu -q 2>err || fail "$f on one file: $(cat err)"
    same "four.$f.json" "one.$f.json" "$f: four batches vs one file"
    if [ -n "$GPU" ]; then
        VKCALIB_VALIDATE=1 "$VKC" calibrate four -o "gpu.$f.json" --flavor "$f" --device "$GPU" -q 2>err ||
            fail "$f on the device: $(cat err)"
        same "four.$f.json" "gpu.$f.json" "$f: CPU backend vs device"
        if grep -q "validation layer" err; then fail "$f: validation messages: $(cat err)"; fi
    fi
done

# A flavour's defaults are the tool's: mxnet 8001 bins of x, ppq 4096.
"$PY" - <<'EOF' && pass || fail "flavour defaults in the JSON"
import json
for f, bins in (("mxnet", 8001), ("onnxruntime", 128), ("ppq", 4096), ("modelopt", 2048)):
    d = json.load(open("four.%s.json" % f))
    assert d["settings"]["flavor"] == f, f
    assert all(t["bins"] == bins for t in d["tensors"]), (f, [t["bins"] for t in d["tensors"]])
EOF

# State files: four shards == one run, for a tool's flavour and NVIDIA's.
for f in mxnet paddle ncnn-aciq modelopt; do
    rm -f r?.vkch h?.vkch
    for b in 0 1 2 3; do
        mkdir -p "shard$b"
        for k in relu signed soft; do mkdir -p "shard$b/$k" && cp "four/$k/b$b.npy" "shard$b/$k/"; done
        "$VKC" collect "shard$b" --state "r$b.vkch" --flavor "$f" --cpu -q || fail "$f: collect ranges $b"
    done
    "$VKC" merge r?.vkch -o r.vkch || fail "$f: merge ranges"
    for b in 0 1 2 3; do
        "$VKC" collect "shard$b" --range-from r.vkch --state "h$b.vkch" --flavor "$f" --cpu -q || fail "$f: collect histograms $b"
    done
    "$VKC" merge h?.vkch -o h.vkch || fail "$f: merge histograms"
    "$VKC" calibrate --from-state h.vkch -o "state.$f.json" --flavor "$f" --cpu -q 2>err || fail "$f: from-state: $(cat err)"
    same "four.$f.json" "state.$f.json" "$f: sharded states vs one run"
    v=$(od -An -tu4 -j4 -N4 h.vkch | tr -d ' ')
    want=2
    [ "$f" = modelopt ] && want=1
    [ "$v" = "$want" ] && pass || fail "$f: state version $v, expected $want"
done
# a state of one flavour is not another's
if "$VKC" calibrate --from-state h.vkch -o x.json --flavor mxnet --cpu -q 2>err; then
    fail "a modelopt state calibrated as mxnet"
elif grep -q "flavour modelopt" err && [ ! -e x.json ]; then pass; else fail "flavour mismatch message: $(cat err)"; fi

# compare: the same thresholds as calibrate, per flavour.
if "$VKC" compare four --flavors mxnet,onnxruntime-2048,ncnn,ppq,modelopt --json --cpu -q >cmp.json 2>err; then
    "$PY" - <<'EOF' && pass || fail "compare vs calibrate"
import json
c = json.load(open("cmp.json"))
assert c["format"] == "vkcalib-compare"
assert c["flavors"] == ["mxnet", "onnxruntime-2048", "ncnn", "ppq", "modelopt"], c["flavors"]
for t in c["tensors"]:
    for f, r in t["results"].items():
        d = json.load(open("four.%s.json" % f))
        want = next(x for x in d["tensors"] if x["name"] == t["name"])
        if f.startswith("onnxruntime"):
            # calibrate's default mode is symmetric: the envelope of compare's range
            assert abs(max(-r["lo"], r["hi"]) - want["threshold"]) <= 1e-6 * want["threshold"], (f, t["name"], r, want["threshold"])
        else:
            assert r["threshold"] == want["threshold"], (f, t["name"], r["threshold"], want["threshold"])
    assert t["spread"] >= 1
EOF
else
    fail "compare: $(cat err)"
fi
"$VKC" compare four --flavors mxnet,ncnn --cpu -q --measure >cmp.txt 2>err && grep -q "SQNR dB" cmp.txt &&
    grep -q "spread" cmp.txt && pass || fail "compare table: $(cat cmp.txt err | head -c 400)"
"$VKC" compare four --flavors mxnet,bogus --cpu -q >/dev/null 2>err
[ $? -eq 2 ] && grep -q "bogus" err && pass || fail "compare with an unknown flavour: $(cat err)"

# The rules.
expect() { # WHAT PATTERN ARGS...: calibrate fails, saying PATTERN, writing nothing
    local what=$1 pat=$2
    shift 2
    rm -f rule.json
    if "$VKC" calibrate four -o rule.json --cpu -q "$@" 2>err; then
        fail "$what: accepted"
    elif grep -q -- "$pat" err && [ ! -e rule.json ]; then pass; else fail "$what: $(cat err)"; fi
}
expect "ncnn unsigned" "no unsigned form" --flavor ncnn --mode unsigned
expect "mxnet asymmetric" "symmetric ranges" --flavor mxnet --mode asymmetric
expect "a tool's flavour with mse" "entropy method" --flavor mnn --method mse
expect "streaming" "exact range" --flavor ppq --range streaming
expect "mxnet, even bins" "odd" --flavor mxnet --bins 2048
expect "unknown flavour" "one of modelopt, tensorrt, mxnet" --flavor mxnet2
seq 1 300 >counts.txt
"$VKC" search --counts counts.txt --range-max 3 --flavor mxnet --cpu >/dev/null 2>err
[ $? -eq 2 ] && grep -q "needs the tensors" err && pass || fail "search with a tool's flavour: $(cat err)"
"$VKC" calibrate four -o uns.json --flavor mxnet-uint8 --mode auto --cpu -q 2>err && "$PY" -c '
import json
d = {t["name"]: t for t in json.load(open("uns.json"))["tensors"]}
assert d["relu"]["mode"] == "unsigned" and d["relu"]["int_type"] == "uint8", d["relu"]
assert d["signed"]["mode"] == "symmetric", d["signed"]' && pass || fail "mxnet-uint8 --mode auto: $(cat err)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
