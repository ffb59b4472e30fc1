#!/bin/bash
# vkcalib calibrate end to end: calibration sets generated here with numpy in
# both layouts (.npz per batch; folder per tensor with one .npy per batch),
# float32/float16/float64, ReLU, signed, constant and all-zero tensors.
#   - the native CPU backend and a Vulkan device (lavapipe in CI) write
#     byte-identical files, twice;
#   - the TensorRT cache reads back (vkcalib inspect) to the JSON's thresholds;
#   - an independent numpy implementation of DESIGN.md §2 (histogram of |x| in
#     float32, NVIDIA's _compute_amax_entropy with the 1e-9 tie rule) chooses
#     the same bin and threshold;
#   - every bad input fails with a message naming the file or tensor, leaves no
#     output file behind and an existing one untouched;
#   - inspect on hand-written caches, --help, --version, devices.
#
# Usage: bash test_cli_calibrate.sh VKCALIB WORKDIR
# Env:   VKC_TESTDATA_DIR, VKC_SOURCE_DIR (unused here, accepted).
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
t0=$SECONDS

# ---- calibration sets --------------------------------------------------------
"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os
import numpy as np

rng = np.random.default_rng(1234)
N = 100_000           # elements per tensor, over all batches
B = 3                 # batches
per = N // B + 1

def tensors(b):
    """Batch b of every tensor; float64 values, cast per layout below."""
    r = np.random.default_rng(100 + b)
    pre = r.standard_normal(per) * 1.3 + 0.2
    return {
        "relu": np.maximum(pre, 0.0),                      # ReLU: about half exact zeros
        "/blk/conv:0 out": r.standard_t(4, per) * 0.8,     # signed, heavy-ish tail, odd name
        "const": np.full(per, 0.75),                       # constant
        "zero": np.zeros(per),                             # all zero
    }

dtypes = [np.float32, np.float16, np.float64]

# Layout A: one .npz per batch (stored and deflated), dtype per tensor.
os.makedirs("setA", exist_ok=True)
tdt = {"relu": np.float32, "/blk/conv:0 out": np.float16, "const": np.float64, "zero": np.float32}
for b in range(B):
    d = {k: v.astype(tdt[k]) for k, v in tensors(b).items()}
    (np.savez_compressed if b % 2 else np.savez)("setA/batch_%03d.npz" % b, **d)
    # The same batches all stored and all deflated (decoded ahead of the reader).
    for folder, save in (("setS", np.savez), ("setD", np.savez_compressed)):
        os.makedirs(folder, exist_ok=True)
        save("%s/batch_%03d.npz" % (folder, b), **d)

# Layout B: a folder per tensor, one .npy per batch, dtype per batch; 2-D arrays.
for b in range(B):
    for k, v in tensors(b).items():
        folder = "setB/" + {"/blk/conv:0 out": "signed"}.get(k, k)
        os.makedirs(folder, exist_ok=True)
        np.save("%s/%03d.npy" % (folder, b), v.astype(dtypes[b]).reshape(-1, 1) if b == 1 else v.astype(dtypes[b]))

# ---- bad inputs: each a folder of tensor folders, a good batch and a bad one ----
good = (rng.standard_normal(1000)).astype(np.float32)

def npy_bytes(arr, version=None):
    import io
    f = io.BytesIO()
    if version:
        np.lib.format.write_array(f, arr, version=version)
    else:
        np.save(f, arr)
    return bytearray(f.getvalue())

def header(descr, shape, fortran=False, version=1):
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    pre = 10 if version == 1 else 12
    pad = (64 - (pre + len(h) + 1) % 64) % 64
    h = h + " " * pad + "\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h.encode()
    return b"\x93NUMPY\x02\x00" + len(h).to_bytes(4, "little") + h.encode()

def bad_case(name, data):
    d = "bad/%s/act" % name
    os.makedirs(d, exist_ok=True)
    np.save(d + "/000.npy", good)
    with open(d + "/001.npy", "wb") as f:
        f.write(bytes(data))

ok = npy_bytes(good)
bad_case("truncated", ok[: len(ok) - 1000])
bad_case("trailing", ok + b"\0" * 16)
bad_case("magic", b"\x93NUMPZ" + ok[6:])
bad_case("notnpy", b"this is not a numpy file at all\n" * 8)
big = bytearray(ok); big[8:10] = (0xFFFF).to_bytes(2, "little")
bad_case("hugeheader1", big)
v2 = npy_bytes(good, version=(2, 0)); v2[8:12] = (0xFFFFFFF0).to_bytes(4, "little")
bad_case("hugeheader2", v2)
bad_case("shapeoverflow", header("<f4", "(%d, 8)" % 2**62) + b"\0" * 64)
bad_case("shapelie", header("<f4", "(100000,)") + b"\0" * 4000)
bad_case("int16", npy_bytes(np.arange(1000, dtype="<i2")))
bad_case("complex64", npy_bytes(np.ones(1000, dtype="<c8")))
bad_case("bigendian", npy_bytes(np.ones(1000, dtype=">f4")))
bad_case("fortran", npy_bytes(np.asfortranarray(np.ones((40, 25), np.float32))))
bad_case("emptyfile", b"")
nan = good.copy(); nan[[5, 77]] = np.nan
bad_case("nan", npy_bytes(nan))
inf = good.copy(); inf[9] = np.inf; inf[10] = -np.inf
bad_case("inf", npy_bytes(inf))
# the same data without the non-finite values, for --exclude-nonfinite
for name, arr in (("nan", nan), ("inf", inf)):
    d = "finite_%s/act" % name
    os.makedirs(d, exist_ok=True)
    np.save(d + "/000.npy", good)
    np.save(d + "/001.npy", arr[np.isfinite(arr)])
os.makedirs("empty_set", exist_ok=True)
os.makedirs("unreadable/act", exist_ok=True)
np.save("unreadable/act/000.npy", good)

# npz batches where one tensor is missing from batch 1
os.makedirs("missing", exist_ok=True)
np.savez("missing/b0.npz", a=good, b=good * 2)
np.savez("missing/b1.npz", a=good)
np.savez("missing/b2.npz", a=good, b=good * 3)

# a truncated .npz and one whose stored member has a flipped data byte (CRC)
np.savez_compressed("tmp_deflated.npz", a=good, b=good)
raw = open("tmp_deflated.npz", "rb").read()
os.makedirs("badnpz_trunc", exist_ok=True)
open("badnpz_trunc/b0.npz", "wb").write(raw[: len(raw) // 2])
np.savez("tmp_stored.npz", a=good)
raw = bytearray(open("tmp_stored.npz", "rb").read())
raw[200] ^= 0x55
os.makedirs("badnpz_crc", exist_ok=True)
open("badnpz_crc/b0.npz", "wb").write(bytes(raw))
os.remove("tmp_deflated.npz"); os.remove("tmp_stored.npz")
EOF
echo "data generated after $((SECONDS - t0)) s" >&2

# ---- backends -------------------------------------------------------------------
# The Vulkan device: VKCALIB_TEST_DEVICE when set, else lavapipe (llvmpipe) when
# listed (CI), else the first device. GPU=--device argument, empty for none.
GPU=
if dev=$(test_device); then
    pass
    GPU=${dev%%$'\t'*}
    gpu_name=${dev#*$'\t'}
else
    fail "vkcalib devices --json failed or printed no valid JSON"
fi
have_gpu=0
if [ -n "$GPU" ]; then
    have_gpu=1
    echo "Vulkan device: $GPU ($gpu_name)" >&2
    # the plain listing names the device too
    if "$VKC" devices >devices.txt 2>&1 && grep -qF "${gpu_name%% (*}" devices.txt; then pass; else fail "vkcalib devices does not list $gpu_name"; fi
else
    note "vkcalib devices lists no Vulkan device: the GPU half of this test is skipped"
fi

# calib NAME ARGS...: runs calibrate, quietly; records failures.
calib() {
    local what=$1
    shift
    if ! "$VKC" calibrate "$@" -q >"$what.log" 2>&1; then
        fail "$what: vkcalib calibrate $* exited non-zero: $(head -c 400 "$what.log")"
        return 1
    fi
    if grep -q "validation layer reported" "$what.log"; then
        fail "$what: $(grep "validation layer reported" "$what.log")"
        return 1
    fi
    return 0
}

# ---- CPU == lavapipe, and determinism ------------------------------------------
mkdir -p r
variants=(
    "cache::"
    "json::"
    "json:auto:--mode auto --format json"
    "json:pct:--method percentile"
    "json:pct999:--method percentile --percentile 99.9"
    "json:mse:--method mse"
    "json:max:--method max"
    "json:trt:--flavor tensorrt"
    "json:unsmse:--mode auto --method mse"
    "cache:v10:--trt-version 10.3.0"
    "json:asym:--mode asymmetric --method max"
    "json:stream:--range streaming"
)
for set in setA setB; do
    for v in "${variants[@]}"; do
        ext=${v%%:*}
        rest=${v#*:}
        tag=${rest%%:*}
        read -r -a extra <<<"${rest#*:}"
        base="r/${set}_${tag:-default}"
        calib "${base}_cpu" "$set" -o "${base}_cpu.$ext" --cpu ${extra[@]+"${extra[@]}"}
        calib "${base}_cpu2" "$set" -o "${base}_cpu2.$ext" --cpu ${extra[@]+"${extra[@]}"}
        same "${base}_cpu.$ext" "${base}_cpu2.$ext" "determinism (cpu) $set ${rest#*:}"
        if [ "$have_gpu" = 1 ]; then
            calib "${base}_gpu" "$set" -o "${base}_gpu.$ext" --device "$GPU" ${extra[@]+"${extra[@]}"}
            same "${base}_cpu.$ext" "${base}_gpu.$ext" "cpu vs gpu $set ${rest#*:}"
            if [ "$set" = setA ] && [ -z "$tag" ]; then
                calib "${base}_gpu2" "$set" -o "${base}_gpu2.$ext" --device "$GPU"
                same "${base}_gpu.$ext" "${base}_gpu2.$ext" "determinism (gpu) $set"
            fi
        fi
    done
done
# The two layouts hold the same values, cast differently: the relu tensor is
# float32 in setA and float32/float16/float64 per batch in setB, so only the
# files themselves are compared above. Both layouts must list the same tensors.
echo "cpu/gpu comparisons done after $((SECONDS - t0)) s" >&2

# ---- how the files are read changes nothing ------------------------------------------
# stored or deflated (deflated members are inflated ahead on other threads),
# a deflated set read once (it fits --memory-budget: the later passes run
# from the kept copy) or once per pass (a budget too small to keep it); a
# stored set is read per pass (the page cache is cheaper than a copy)
"$VKC" calibrate setS -o r/stored.json --cpu --measure >/dev/null 2>r/stored.err || fail "stored: $(head -c 300 r/stored.err)"
if grep -q "copy in memory" r/stored.err; then fail "a stored set is kept: $(head -c 300 r/stored.err)"; else pass; fi
"$VKC" calibrate setD -o r/once.json --cpu --measure >/dev/null 2>r/once.err || fail "read once: $(head -c 300 r/once.err)"
if grep -q "histogram: from the range pass's copy in memory" r/once.err; then pass; else
    fail "a small deflated set is not read once: $(head -c 300 r/once.err)"; fi
"$VKC" calibrate setD -o r/twice.json --cpu --measure --memory-budget 1M >/dev/null 2>r/twice.err ||
    fail "read twice: $(head -c 300 r/twice.err)"
if grep -q "copy in memory" r/twice.err; then fail "--memory-budget 1M still keeps the set"; else pass; fi
same r/stored.json r/once.json "stored vs deflated .npz (read once)"
same r/stored.json r/twice.json "stored vs deflated .npz, read once per pass"
if [ "$have_gpu" = 1 ]; then
    calib r/defl_gpu setD -o r/defl_gpu.json --device "$GPU" --measure --memory-budget 1M
    same r/stored.json r/defl_gpu.json "deflated .npz on device $GPU (float16 members as float16)"
fi

# ---- the cache reads back to the JSON's thresholds ------------------------------
for set in setA setB; do
    c="r/${set}_default_cpu.cache"
    j="r/${set}_default_cpu.json"
    if ! "$VKC" inspect --json "$c" >"r/${set}_inspect.json" 2>"r/${set}_inspect.err"; then
        fail "inspect --json $c exited non-zero: $(head -c 300 "r/${set}_inspect.err")"
        continue
    fi
    msg=$("$PY" - "r/${set}_inspect.json" "$j" <<'EOF'
import json, sys
import numpy as np
ins, cal = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
floor = 2.0 ** -24
errs = []
if ins.get("source") != "trt" or ins.get("version") != 8601 or ins.get("algo") != "EntropyCalibration2":
    errs.append("header: source %r version %r algo %r" % (ins.get("source"), ins.get("version"), ins.get("algo")))
ct, jt = ins["tensors"], cal["tensors"]
if [t["name"] for t in ct] != [t["name"] for t in jt]:
    errs.append("names differ: %r vs %r" % ([t["name"] for t in ct], [t["name"] for t in jt]))
for a, b in zip(ct, jt):
    thr = max(b["threshold"], floor)
    s = np.float32(thr / 127.0)
    want_bits = "%08x" % int(s.view(np.uint32))
    want_amax = float(s) * 127.0
    if a["scale_bits"] != want_bits:
        errs.append("%s: cache bits %s, float32(threshold/127) is %s" % (a["name"], a["scale_bits"], want_bits))
    if a["amax"] != want_amax or abs(a["amax"] - thr) > 2.0 ** -23 * thr:
        errs.append("%s: cache amax %r, threshold %r" % (a["name"], a["amax"], thr))
    if a["scale"] != float(s):
        errs.append("%s: cache scale %r, expected %r" % (a["name"], a["scale"], float(s)))
    if b["mode"] != "symmetric" or b["zero_point"] != 0 or b["hi"] != thr or b["lo"] != -thr:
        errs.append("%s: JSON range %r..%r mode %r zp %r" % (b["name"], b["lo"], b["hi"], b["mode"], b["zero_point"]))
# the constant tensor's threshold is its value, the all-zero one is floored
byname = {t["name"]: t for t in jt}
if byname["const"]["threshold"] != 0.75:
    errs.append("const: threshold %r, expected 0.75" % byname["const"]["threshold"])
z = byname["zero"]
if z["absmax"] != 0 or z["scale"] != floor / 127:
    errs.append("zero: absmax %r scale %r, expected 0 and 2^-24/127" % (z["absmax"], z["scale"]))
print("; ".join(errs))
EOF
)
    if [ -n "$msg" ]; then fail "cache vs JSON ($set): $msg"; else pass; fi
done

# inspect's table names every tensor and the header
if "$VKC" inspect r/setA_default_cpu.cache >r/inspect_table.txt 2>&1 \
    && grep -q "TRT-\|version 8601" r/inspect_table.txt && grep -q "EntropyCalibration2" r/inspect_table.txt \
    && grep -q "/blk/conv:0 out" r/inspect_table.txt && grep -q "^zero " r/inspect_table.txt; then
    pass
else
    fail "inspect table: $(head -c 400 r/inspect_table.txt)"
fi
if "$VKC" inspect r/setA_auto_cpu.json >r/inspect_json_table.txt 2>&1 \
    && grep -q "unsigned" r/inspect_json_table.txt && grep -q "symmetric" r/inspect_json_table.txt; then
    pass
else
    fail "inspect table of a JSON: $(head -c 400 r/inspect_json_table.txt)"
fi
if "$VKC" inspect --json r/setA_auto_cpu.json >r/inspect_auto.json 2>&1 \
    && "$PY" -c '
import json, sys
d = json.load(open("r/inspect_auto.json")); c = json.load(open("r/setA_auto_cpu.json"))
assert d["source"] == "vkcalib-json", d["source"]
for a, b in zip(d["tensors"], c["tensors"]):
    for k in ("name", "scale", "mode", "lo", "hi", "zero_point", "threshold", "i"):
        assert a[k] == b[k], (k, a[k], b[k])
assert len(d["tensors"]) == len(c["tensors"]) == 4
' 2>r/inspect_auto.err; then
    pass
else
    fail "inspect --json of a vkcalib JSON: $(head -c 400 r/inspect_auto.err)"
fi

# ---- independent check of the whole pipeline -----------------------------------
# DESIGN.md §2 in plain numpy: histogram of |x| with a float32 multiply, then
# NVIDIA's _compute_amax_entropy (h[0] = h[1]; candidates 128..N; P folds the
# outliers into bin i-1; Q spreads each level's mass over its non-empty bins;
# scipy's entropy), least KL with ties (1e-9 relative, 1e-15 absolute) to the
# largest i; percentile and MSE as defined there.
"$PY" - r/setB_default_cpu.json r/setB_auto_cpu.json r/setB_pct_cpu.json r/setB_mse_cpu.json >indep.txt 2>&1 <<'EOF'
import glob, json, sys
import numpy as np

N, S = 2048, 128

def load(folder):
    return np.concatenate([np.load(f).astype(np.float32).ravel() for f in sorted(glob.glob(folder + "/*.npy"))])

def hist_abs(x):
    a = np.abs(x).astype(np.float32)
    amax = a.max()
    if amax == 0:
        return np.bincount(np.zeros(len(a), np.int64), minlength=N).astype(np.int64), amax
    inv = np.float32(N) / np.float32(amax)
    prod = (a * inv).astype(np.float32)            # one float32 multiply per value
    b = np.minimum(prod.astype(np.uint64), N - 1).astype(np.int64)
    return np.bincount(b, minlength=N).astype(np.int64), amax

def entropy_kl(h, levels):
    h = h.astype(np.float64).copy()
    h[0] = h[1]
    kls = {}
    for i in range(S, N + 1):
        p = h[:i].copy()
        p[i - 1] += h[i:].sum()
        lev = (np.arange(i) * levels) // i
        nz = h[:i] != 0
        m = np.bincount(lev, weights=h[:i], minlength=levels)
        cnt = np.bincount(lev, weights=nz.astype(np.float64), minlength=levels)
        q = np.where(nz, m[lev] / np.where(cnt[lev] > 0, cnt[lev], 1), 0.0)
        if p.sum() == 0 or q.sum() == 0:
            kls[i] = np.inf
            continue
        p = p / p.sum()
        q = q / q.sum()
        pos = p > 0
        if np.any(q[pos] == 0):
            kls[i] = np.inf
            continue
        kls[i] = float(np.sum(p[pos] * np.log(p[pos] / q[pos])))
    finite = [v for v in kls.values() if np.isfinite(v)]
    if not finite:
        return None
    best = min(finite)
    tol = max(1e-9 * abs(best), 1e-15)
    return max(i for i, v in kls.items() if v <= best + tol)

def percentile_bin(h, pct):
    total = int(h.sum())
    # exact integer comparison: cumulative * 10^6 >= pct * 10^4 * total
    p = round(pct * 10000)
    c = np.cumsum(h)
    return int(np.argmax(c * 1000000 >= p * total))

def mse_bin(h, bound):
    centres = (np.arange(N) + 0.5)
    total = h.sum()
    best, best_i = None, None
    for i in range(S, N):
        amax = centres[i]
        q = np.clip(np.round(centres * bound / amax), -bound if bound == 127 else 0, bound) * amax / bound
        err = float(np.sum(h * (q - centres) ** 2) / total)
        if best is None or err < best - max(1e-9 * abs(best), 1e-15):
            best, best_i = err, i
    return best_i

files = [json.load(open(p)) for p in sys.argv[1:]]
default, auto, pct, mse = ({t["name"]: t for t in f["tensors"]} for f in files)
errs = []
checked = 0
for name in ("relu", "signed"):
    x = load("setB/" + name)
    h, amax = hist_abs(x)
    w = float(amax) / N
    t = default[name]
    if t["absmax"] != float(amax) or t["elements"] != len(x):
        errs.append("%s: absmax %r elements %r, numpy %r %r" % (name, t["absmax"], t["elements"], float(amax), len(x)))
    i = entropy_kl(h, 128)
    if t["i"] != i or abs(t["threshold"] - i * w) > 1e-12 * float(amax):
        errs.append("%s entropy symmetric: vkcalib i=%r threshold=%r, numpy i=%r threshold=%r" % (name, t["i"], t["threshold"], i, i * w))
    checked += 1
    a = auto[name]
    want_mode = "unsigned" if x.min() >= 0 else "symmetric"
    if a["mode"] != want_mode:
        errs.append("%s auto: mode %r, expected %r" % (name, a["mode"], want_mode))
    elif want_mode == "unsigned":
        iu = entropy_kl(h, 256)
        if a["i"] != iu or abs(a["threshold"] - iu * w) > 1e-12 * float(amax):
            errs.append("%s entropy unsigned: vkcalib i=%r, numpy i=%r" % (name, a["i"], iu))
        checked += 1
    k = percentile_bin(h, 99.99)
    if pct[name]["i"] != k or abs(pct[name]["threshold"] - k * w) > 1e-12 * float(amax):
        errs.append("%s percentile 99.99: vkcalib i=%r threshold=%r, numpy %r" % (name, pct[name]["i"], pct[name]["threshold"], k))
    checked += 1
    m = mse_bin(h, 127)
    if mse[name]["i"] != m or abs(mse[name]["threshold"] - (m + 0.5) * w) > 1e-12 * float(amax):
        errs.append("%s mse: vkcalib i=%r threshold=%r, numpy %r" % (name, mse[name]["i"], mse[name]["threshold"], m))
    checked += 1
for e in errs:
    print("ERR " + e)
print("checked %d" % checked)
EOF
if grep -q "^ERR" indep.txt || ! grep -q "^checked" indep.txt; then
    fail "independent numpy check: $(head -c 800 indep.txt)"
else
    pass
    echo "independent numpy check: $(grep '^checked' indep.txt) results agree" >&2
fi
echo "cross-checks done after $((SECONDS - t0)) s" >&2

# ---- bad inputs -----------------------------------------------------------------
# expect_fail WHAT PATTERN [ENV=VALUE] -- ARGS...: calibrate ARGS -o OUT fails
# (exit 1 or 2, no signal), stderr matches PATTERN, and the output file is as it
# was: run once onto an existing file (must be untouched), once onto a new name
# (must not appear); no temporary file may be left in the directory.
KNOWN="existing content, must survive"
expect_fail() {
    local what=$1 pat=$2
    shift 2
    local envs=()
    while [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    shift
    local d
    d="o/$(echo "$what" | tr -c 'a-zA-Z0-9_\n' '_')"
    rm -rf "$d"
    mkdir -p "$d"
    printf '%s\n' "$KNOWN" >"$d/old.cache"
    local ok=1 rc out
    for out in "$d/old.cache" "$d/new.json"; do
        env ${envs[@]+"${envs[@]}"} "$VKC" calibrate "$@" -o "$out" >"$d.out" 2>"$d.err"
        rc=$?
        if [ "$rc" -eq 0 ]; then
            fail "$what: exit 0, expected a failure (-o $out)"; ok=0; break
        elif [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
            fail "$what: exit $rc (crash?): $(head -c 300 "$d.err")"; ok=0; break
        elif ! grep -Eq -- "$pat" "$d.err"; then
            fail "$what: stderr does not match '$pat': $(head -c 400 "$d.err")"; ok=0; break
        fi
    done
    if [ "$ok" = 1 ]; then
        if [ "$(cat "$d/old.cache")" != "$KNOWN" ]; then
            fail "$what: the existing output file was changed"
        elif [ -e "$d/new.json" ]; then
            fail "$what: an output file was written"
        elif [ "$(ls -A "$d")" != "old.cache" ]; then
            fail "$what: files left behind: $(ls -A "$d" | tr '\n' ' ')"
        else
            pass
        fi
    fi
}

mkdir -p o
expect_fail "truncated npy" "bad/truncated/act/001\.npy" -- bad/truncated --cpu
expect_fail "trailing bytes after npy data" "bad/trailing/act/001\.npy" -- bad/trailing --cpu
expect_fail "wrong npy magic" "bad/magic/act/001\.npy" -- bad/magic --cpu
expect_fail "not an npy" "bad/notnpy/act/001\.npy" -- bad/notnpy --cpu
expect_fail "huge header length v1" "bad/hugeheader1/act/001\.npy" -- bad/hugeheader1 --cpu
expect_fail "huge header length v2" "bad/hugeheader2/act/001\.npy" -- bad/hugeheader2 --cpu
expect_fail "shape overflow" "bad/shapeoverflow/act/001\.npy" -- bad/shapeoverflow --cpu
expect_fail "shape larger than data" "bad/shapelie/act/001\.npy" -- bad/shapelie --cpu
expect_fail "dtype <i2" "bad/int16/act/001\.npy" -- bad/int16 --cpu
expect_fail "dtype <c8" "bad/complex64/act/001\.npy" -- bad/complex64 --cpu
expect_fail "big-endian float" "bad/bigendian/act/001\.npy" -- bad/bigendian --cpu
expect_fail "Fortran order" "bad/fortran/act/001\.npy" -- bad/fortran --cpu
expect_fail "empty npy file" "bad/emptyfile/act/001\.npy" -- bad/emptyfile --cpu
expect_fail "NaN in data (cpu)" "'act'.*NaN|NaN.*'act'" -- bad/nan --cpu
expect_fail "Inf in data (cpu)" "'act'.*Inf|Inf.*'act'" -- bad/inf --cpu
if [ "$have_gpu" = 1 ]; then
    expect_fail "NaN in data (gpu)" "'act'.*NaN|NaN.*'act'" -- bad/nan --device "$GPU"
    expect_fail "Inf in data (gpu)" "'act'.*Inf|Inf.*'act'" -- bad/inf --device "$GPU"
    expect_fail "truncated npy (gpu)" "bad/truncated/act/001\.npy" -- bad/truncated --device "$GPU"
fi
expect_fail "empty folder" "empty_set" -- empty_set --cpu
expect_fail "missing input" "no_such_input" -- no_such_input --cpu
expect_fail "tensor missing in one npz batch" "'b'.*2 of 3|--allow-missing" -- missing --cpu
expect_fail "truncated npz" "badnpz_trunc/b0\.npz" -- badnpz_trunc --cpu
expect_fail "npz member CRC mismatch" "badnpz_crc/b0\.npz" -- badnpz_crc --cpu
expect_fail "unsigned mode on a signed tensor" "signed" -- setB --cpu --mode unsigned --format json
if [ "${VKC_TEST_HOOKS:-0}" = 1 ]; then
    expect_fail "full disk (write)" "old\.cache|new\.json" VKCALIB_TEST_IO_FAIL=write -- setA --cpu
    expect_fail "full disk (partial write)" "old\.cache|new\.json" VKCALIB_TEST_IO_FAIL=write:100 -- setA --cpu
    expect_fail "full disk (fsync)" "old\.cache|new\.json" VKCALIB_TEST_IO_FAIL=fsync -- setA --cpu
    expect_fail "full disk (close)" "old\.cache|new\.json" VKCALIB_TEST_IO_FAIL=close -- setA --cpu
    expect_fail "rename fails" "old\.cache|new\.json" VKCALIB_TEST_IO_FAIL=rename -- setA --cpu
else
    note "built without -DVKC_TEST_HOOKS=ON: injected write failures not tested"
fi
expect_fail "bad option" "--frobnicate" -- setA --cpu --frobnicate
expect_fail "bad --method" "method" -- setA --cpu --method kl
expect_fail "bad --bins" "bins" -- setA --cpu --bins 0
expect_fail "bad --trt-version" "trt-version" -- setA --cpu --trt-version x.y

# unreadable file: root reads it anyway
chmod 000 unreadable/act/000.npy
if cat unreadable/act/000.npy >/dev/null 2>&1; then
    note "running as root (or chmod does not block reads): unreadable-file case skipped"
else
    expect_fail "unreadable file" "unreadable/act/000\.npy" -- unreadable --cpu
fi
chmod 644 unreadable/act/000.npy

# no inputs, no -o: usage errors, exit 2
"$VKC" calibrate -o o/x.cache --cpu >/dev/null 2>o/noinput.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q "INPUT" o/noinput.err && [ ! -e o/x.cache ]; then pass; else fail "no inputs: exit $rc: $(head -c 200 o/noinput.err)"; fi
"$VKC" calibrate setA --cpu >/dev/null 2>o/noout.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "-o" o/noout.err; then pass; else fail "no -o: exit $rc: $(head -c 200 o/noout.err)"; fi
"$VKC" calibrate >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "calibrate without arguments: exit $rc, expected 2"; fi

# output directory missing: error naming it, nothing created
"$VKC" calibrate setA -o no_such_dir/out.cache --cpu -q >/dev/null 2>o/nodir.err
rc=$?
if [ "$rc" -ne 0 ] && grep -q "no_such_dir" o/nodir.err && [ ! -e no_such_dir ]; then
    pass
else
    fail "missing output directory: exit $rc: $(head -c 200 o/nodir.err)"
fi

# -o /dev/full: refused cleanly, the device node stays
"$VKC" calibrate setA -o /dev/full --format trt --cpu -q >/dev/null 2>o/devfull.err
rc=$?
leftover=$(find /dev -maxdepth 1 -name '.full.*.tmp' 2>/dev/null)
if [ "$rc" -eq 1 ] && grep -q "/dev/full" o/devfull.err && [ -c /dev/full ] && [ -z "$leftover" ]; then
    pass
else
    fail "-o /dev/full: exit $rc, /dev/full still a device: $([ -c /dev/full ] && echo yes || echo NO): $(head -c 200 o/devfull.err)"
fi

# an output path that is a directory
mkdir -p o/isdir.cache
"$VKC" calibrate setA -o o/isdir.cache --cpu -q >/dev/null 2>o/isdir.err
rc=$?
if [ "$rc" -eq 1 ] && grep -q "isdir.cache" o/isdir.err && [ -d o/isdir.cache ]; then pass; else fail "-o DIRECTORY: exit $rc: $(head -c 200 o/isdir.err)"; fi

# --exclude-nonfinite: succeeds, warns, and equals the data without those values
for kind in nan inf; do
    if "$VKC" calibrate bad/$kind -o o/ex_$kind.json --cpu --exclude-nonfinite >/dev/null 2>o/ex_$kind.err \
        && "$VKC" calibrate finite_$kind -o o/fin_$kind.json --cpu -q >/dev/null 2>&1; then
        if ! grep -q "warning" o/ex_$kind.err || ! grep -q "act" o/ex_$kind.err; then
            fail "--exclude-nonfinite ($kind): no warning naming the tensor: $(head -c 300 o/ex_$kind.err)"
        elif msg=$("$PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))["tensors"][0]; b = json.load(open(sys.argv[2]))["tensors"][0]
bad = a["nan"] + a["pos_inf"] + a["neg_inf"]
for k in ("threshold", "i", "absmax", "scale", "finite"):
    if a[k] != b[k]: print("%s %r != %r" % (k, a[k], b[k]))
if bad != 2 or a["elements"] != b["elements"] + 2: print("counts: nan %r inf %r/%r elements %r" % (a["nan"], a["pos_inf"], a["neg_inf"], a["elements"]))
' o/ex_$kind.json o/fin_$kind.json) && [ -z "$msg" ]; then
            pass
        else
            fail "--exclude-nonfinite ($kind) differs from the finite data: $msg"
        fi
    else
        fail "--exclude-nonfinite ($kind) failed: $(head -c 300 o/ex_$kind.err)"
    fi
done
if [ "$have_gpu" = 1 ]; then
    if "$VKC" calibrate bad/nan -o o/ex_nan_gpu.json --device "$GPU" --exclude-nonfinite -q >/dev/null 2>&1; then
        same o/ex_nan.json o/ex_nan_gpu.json "--exclude-nonfinite cpu vs gpu"
    else
        fail "--exclude-nonfinite on the GPU failed"
    fi
fi

# --allow-missing: succeeds; b is calibrated on the two batches that hold it
if "$VKC" calibrate missing -o o/allow.json --cpu --allow-missing -q >/dev/null 2>o/allow.err \
    && "$PY" -c '
import json, sys
t = {x["name"]: x for x in json.load(open("o/allow.json"))["tensors"]}
assert t["a"]["elements"] == 3000 and t["b"]["elements"] == 2000, (t["a"]["elements"], t["b"]["elements"])
' 2>>o/allow.err; then
    pass
else
    fail "--allow-missing: $(head -c 300 o/allow.err)"
fi
echo "bad inputs done after $((SECONDS - t0)) s" >&2

# ---- inspect on caches written by others -------------------------------------------
printf 'TRT-100300-EntropyCalibration2\r\ninput: 3c010204\r\nname:with: colons: 3f800000\r\nwith space: 0\r\n\r\nshort: 3C01\r\n' >others.cache
if "$VKC" inspect --json others.cache >others.json 2>others.err && "$PY" -c '
import json
d = json.load(open("others.json"))
assert d["source"] == "trt" and d["version"] == 100300 and d["algo"] == "EntropyCalibration2", d
t = d["tensors"]
assert [x["name"] for x in t] == ["input", "name:with: colons", "with space", "short"], [x["name"] for x in t]
assert [x["scale_bits"] for x in t] == ["3c010204", "3f800000", "00000000", "00003c01"], t
assert t[1]["scale"] == 1.0 and t[1]["amax"] == 127.0 and t[2]["amax"] == 0
assert abs(t[0]["amax"] - 1.0) < 1e-7
' 2>>others.err; then
    pass
else
    fail "inspect of a foreign cache: $(head -c 400 others.err)"
fi
# errors name the file and the line
printf 'TRT-8601-EntropyCalibration2\na: 3c010204\nb 3c010204\n' >noline.cache
printf 'TRT-8601-EntropyCalibration2\na: 3c010204\n\nb: xyz\n' >badhex.cache
printf 'input: 3c010204\n' >nohdr.cache
printf '{"format": "vkcalib-calibration",\n "tensors": [\n  {"name": "a", "scale": 0.5,}\n ]}\n' >broken.json
printf '{"format": "something-else", "tensors": []}\n' >other.json
printf '{"format": "vkcalib-calibration", "tensors": [{"name": "a"}]}\n' >noscale.json
for c in "noline.cache:line 3" "badhex.cache:line 4" "nohdr.cache:line 1" "broken.json:line 3" \
    "other.json:vkcalib-calibration" "noscale.json:scale"; do
    f=${c%%:*}
    pat=${c#*:}
    "$VKC" inspect "$f" >/dev/null 2>ins.err
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "$f" ins.err && grep -q "$pat" ins.err; then
        pass
    else
        fail "inspect $f: exit $rc, expected 1 and a message with the file and '$pat': $(head -c 300 ins.err)"
    fi
done
"$VKC" inspect >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "inspect without a file: exit $rc, expected 2"; fi
"$VKC" inspect others.cache --bogus >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "inspect --bogus: exit $rc, expected 2"; fi

# ---- help, version ---------------------------------------------------------------
for args in "--help" "calibrate --help" "search --help" "devices --help" "inspect --help" "histogram --help"; do
    # shellcheck disable=SC2086
    if "$VKC" $args >help.out 2>&1 && grep -q "Usage" help.out; then pass; else fail "vkcalib $args: no Usage or non-zero exit"; fi
done
if "$VKC" --version >version.out 2>&1 && grep -Eq '^vkcalib [0-9]+\.[0-9]+\.[0-9]+' version.out; then
    pass
else
    fail "vkcalib --version: $(head -c 200 version.out)"
fi
"$VKC" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "vkcalib without a command: exit $rc, expected 2"; fi
"$VKC" frobnicate >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "unknown command: exit $rc, expected 2"; fi

echo "total $((SECONDS - t0)) s" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
