#!/bin/bash
# vkcalib explain: golden-structure tests on a calibration set generated here
# (numpy): a ReLU output, a signed tensor, an all-zero tensor, a tensor with a
# long name and one whose name holds an escape sequence.
#   - every section heading is there, for every method and mode;
#   - the numbers agree with `vkcalib calibrate` of the same data: threshold,
#     scale and bin i against the JSON, the cache line against the TensorRT
#     cache, the SQNR against `calibrate --measure`; the same from a JSON
#     written with --histograms; the same on a Vulkan device (lavapipe in CI);
#   - every line fits 80 columns (UTF-8 and ASCII locales); ASCII output is
#     pure ASCII; no escape codes unless stdout is a terminal (faked with
#     script(1) where it exists) and NO_COLOR is unset, and never from a
#     tensor name;
#   - an unknown --tensor is an error listing available names.
#
# Usage: bash test_cli_explain.sh VKCALIB WORKDIR
# Env:   VKC_TESTDATA_DIR, VKC_SOURCE_DIR (unused here, accepted).
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

LONG="a/very/long/tensor/name/that/goes/on/and/on/model.layers.17.self_attn.o_proj/output_0"
ESCNAME=$'esc\x1b[31mred'

"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os
import numpy as np
os.makedirs("set", exist_ok=True)
r = np.random.default_rng(5)
for b in range(3):
    d = {
        "relu": np.maximum(r.standard_normal(20000) * 1.3 + 0.1, 0).astype(np.float32),
        "signed": (r.standard_t(4, 20000) * 0.8 - 0.2).astype(np.float32),
        "zero": np.zeros(20000, np.float32),
        "a/very/long/tensor/name/that/goes/on/and/on/model.layers.17.self_attn.o_proj/output_0":
            (r.standard_normal(20000) + 0.3).astype(np.float32),
        "esc\x1b[31mred": r.random(20000).astype(np.float32),
    }
    np.savez("set/batch_%d.npz" % b, **d)
EOF

# explain NAME ARGS...: stdout to NAME.out, stderr to NAME.err; records a
# failure when it exits non-zero.
explain() {
    local what=$1
    shift
    if NO_COLOR=1 "$VKC" explain "$@" --quiet >"$what.out" 2>"$what.err"; then
        return 0
    fi
    fail "$what: vkcalib explain $* exited non-zero: $(head -c 400 "$what.err")"
    return 1
}

# check_width FILE: every line <= 80 columns (code points, escape codes
# stripped) and no escape byte at all.
check_plain() {
    local what=$1 file=$2
    if "$PY" - "$file" <<'EOF'; then pass; else fail "$what: a line is wider than 80 columns or holds an escape code"; fi
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
bad = [l for l in text.split("\n") if len(l) > 80]
for l in bad[:3]:
    print("  %d columns: %r" % (len(l), l), file=sys.stderr)
esc = "\x1b" in text
if esc:
    print("  escape code in the output", file=sys.stderr)
sys.exit(1 if bad or esc else 0)
EOF
}

# has_text FILE PHRASE: the phrase occurs, line wrapping aside.
has_text() {
    tr '\n' ' ' <"$1" | tr -s ' ' | grep -qF -- "$2"
}

HEADINGS_ENTROPY=("1. Range pass" "2. Histogram of |x|" "3. What a candidate threshold means"
    "4. KL divergence of every candidate" "5. Threshold and scale" "6. Why symmetric, and what it costs here")

check_headings() {
    local what=$1 file=$2
    shift 2
    local h missing=""
    for h in "$@"; do
        grep -qxF "$h" "$file" || missing="$missing [$h]"
    done
    if [ -z "$missing" ]; then pass; else fail "$what: missing headings:$missing"; fi
}

# ---- reference numbers from calibrate ------------------------------------------
for m in entropy percentile mse max; do
    "$VKC" calibrate set -o "cal_$m.json" --method "$m" --cpu -q >"cal_$m.log" 2>&1 ||
        fail "calibrate --method $m: $(head -c 300 "cal_$m.log")"
done
"$VKC" calibrate set -o cal_auto.json --mode auto --cpu -q >cal_auto.log 2>&1 || fail "calibrate --mode auto"
"$VKC" calibrate set -o cal.cache --cpu -q >cal_cache.log 2>&1 || fail "calibrate -o cal.cache"
"$VKC" calibrate set -o cal_h.json --histograms --cpu -q >cal_h.log 2>&1 || fail "calibrate --histograms"
"$VKC" calibrate set -o cal_m.json --measure --cpu >cal_measure.txt 2>cal_measure.err || fail "calibrate --measure"

# compare OUT JSON TENSOR [CACHE]: the section-5 numbers of an explain output
# against a calibrate JSON (and cache line against a cache).
compare() {
    local what=$1 out=$2 json=$3 tensor=$4 cache=${5:-}
    if "$PY" - "$out" "$json" "$tensor" "$cache" <<'EOF'; then pass; else fail "$what: explain disagrees with calibrate"; fi
import json, re, sys
out = open(sys.argv[1], encoding="utf-8").read()
doc = json.load(open(sys.argv[2]))
t = [x for x in doc["tensors"] if x["name"] == sys.argv[3]][0]
sec = out[out.index("5. Threshold and scale"):out.index("6. Why symmetric")]
ok = True
def bad(msg):
    global ok
    ok = False
    print("  " + msg, file=sys.stderr)
m = re.search(r"threshold\s+T = (\S+) \(bin edge i = (\d+)", sec)
if t["mode"] == "symmetric" or t["mode"] == "unsigned":
    if not m:
        bad("no threshold line")
    else:
        T, i = float(m.group(1)), int(m.group(2))
        if abs(T - t["threshold"]) > 1e-8 * max(1e-30, abs(t["threshold"])) and not (T == 0 and t["threshold"] == 0):
            bad("threshold %r vs JSON %r" % (T, t["threshold"]))
        if i != t["i"]:
            bad("i %d vs JSON %d" % (i, t["i"]))
s = re.search(r"scale\s+.*? = (\S+) \(float32 0x([0-9a-f]{8})\)", sec)
if not s:
    bad("no scale line")
elif abs(float(s.group(1)) - t["scale"]) > 1e-8 * t["scale"]:
    bad("scale %s vs JSON %r" % (s.group(1), t["scale"]))
if sys.argv[4]:
    lines = open(sys.argv[4]).read().splitlines()
    want = [l for l in lines if l.rsplit(": ", 1)[0] == sys.argv[3]]
    got = re.search(r"cache line\s+(.*)", sec)
    if not want or not got or got.group(1).strip() != want[0]:
        bad("cache line %r vs cache %r" % (got.group(1) if got else None, want[0] if want else None))
sys.exit(0 if ok else 1)
EOF
}

# ---- the walkthrough of each tensor, default method -----------------------------
for tn in relu signed zero; do
    explain "ex_$tn" set --tensor "$tn" --cpu || continue
    check_headings "explain $tn" "ex_$tn.out" "${HEADINGS_ENTROPY[@]}"
    check_plain "explain $tn (UTF-8 locale)" "ex_$tn.out"
    compare "explain $tn vs calibrate" "ex_$tn.out" cal_entropy.json "$tn" cal.cache
done
# the plots are there: 8 rows of bars + an axis line, twice (histogram, KL)
if [ "$(grep -c '└─' ex_relu.out)" -eq 2 ]; then pass; else fail "explain relu: expected two plots (axis lines)"; fi
if grep -Eq '▲ T = |T = [0-9.e+-]+ ▲' ex_relu.out && grep -q 'least KL: i = ' ex_relu.out; then pass; else fail "explain relu: threshold markers missing"; fi
# P and Q numbers of the chosen candidate
for k in "bins per level" "outliers" "last level" "KL(P||Q)"; do
    if grep -qF "$k" ex_relu.out; then pass; else fail "explain relu: no '$k' in the candidate walkthrough"; fi
done
# The KL of the chosen candidate is the JSON's.
if "$PY" - ex_relu.out cal_entropy.json <<'EOF'; then pass; else fail "explain relu: KL differs from calibrate's"; fi
import json, re, sys
out = open(sys.argv[1], encoding="utf-8").read()
t = [x for x in json.load(open(sys.argv[2]))["tensors"] if x["name"] == "relu"][0]
m = re.search(r"^\s+KL\(P\|\|Q\)\s+([0-9.e+-]+)", out, re.M)
sys.exit(0 if m and abs(float(m.group(1)) - t["kl"]) <= 1e-5 * t["kl"] else 1)
EOF
# never negative: the cost of the symmetric range is spelled out, with rows
for k in "codes -127..-1, half of them, are never used" "unsigned, same T" "unsigned, entropy u8" "asymmetric [min, max]"; do
    if has_text ex_relu.out "$k"; then pass; else fail "explain relu: no '$k'"; fi
done
for k in "Unsigned ranges do not apply" "asymmetric [min, max]"; do
    if has_text ex_signed.out "$k"; then pass; else fail "explain signed: no '$k'"; fi
done
if has_text ex_zero.out "all zeros"; then pass; else fail "explain zero: the all-zero case is not explained"; fi

# SQNR of the cache range equals calibrate --measure's.
if "$PY" - ex_relu.out ex_signed.out cal_measure.txt <<'EOF'; then pass; else fail "explain SQNR differs from calibrate --measure"; fi
import re, sys
ok = True
summary = open(sys.argv[3]).read().splitlines()
for f, name in ((sys.argv[1], "relu"), (sys.argv[2], "signed")):
    out = open(f, encoding="utf-8").read()
    m = re.search(r"symmetric, entropy \(cache\)\s+\[\S+ \S+\]\s+(\S+)\s+(\S+)%", out)
    row = [l for l in summary if l.split()[:1] == [name]]
    if not m or not row:
        print("  %s: no SQNR row (explain %s, calibrate %s)" % (name, bool(m), bool(row)), file=sys.stderr)
        ok = False
        continue
    want = float(row[0].split()[-2])
    if abs(float(m.group(1)) - want) > 0.011:
        print("  %s: SQNR %s vs calibrate --measure %s" % (name, m.group(1), want), file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
EOF

# ---- other methods and modes ------------------------------------------------------
explain ex_pct set --tensor relu --method percentile --cpu &&
    check_headings "explain --method percentile" ex_pct.out "1. Range pass" "2. Histogram of |x|" "3. The percentile" \
        "4. KL divergence of every candidate" "5. Threshold and scale" "6. Why symmetric, and what it costs here" &&
    compare "explain --method percentile" ex_pct.out cal_percentile.json relu
explain ex_mse set --tensor signed --method mse --cpu &&
    check_headings "explain --method mse" ex_mse.out "3. What a candidate threshold means" "4. Error of every candidate" \
        "5. Threshold and scale" && compare "explain --method mse" ex_mse.out cal_mse.json signed
explain ex_max set --tensor signed --method max --cpu &&
    check_headings "explain --method max" ex_max.out "3. The maximum" "5. Threshold and scale" &&
    compare "explain --method max" ex_max.out cal_max.json signed
explain ex_auto set --tensor relu --mode auto --cpu && compare "explain --mode auto" ex_auto.out cal_auto.json relu &&
    { if grep -q "zero point" ex_auto.out && grep -q "(uint8)" ex_auto.out; then pass; else fail "explain --mode auto: no uint8 range"; fi; }
"$VKC" calibrate set -o cal_asym.json --mode asymmetric --method max --cpu -q >/dev/null 2>&1 || fail "calibrate --mode asymmetric"
"$VKC" calibrate set -o cal_trt.json --flavor tensorrt --cpu -q >/dev/null 2>&1 || fail "calibrate --flavor tensorrt"
for tn in relu signed; do
    explain "ex_asym_$tn" set --tensor "$tn" --mode asymmetric --method max --cpu &&
        compare "explain --mode asymmetric ($tn)" "ex_asym_$tn.out" cal_asym.json "$tn" &&
        { if grep -Eq "zero point +-?[0-9]+" "ex_asym_$tn.out" && [ "$(grep -E '^ +zero point' "ex_asym_$tn.out" | awk '{print $3}')" = \
            "$("$PY" -c 'import json,sys; print([t for t in json.load(open("cal_asym.json"))["tensors"] if t["name"] == sys.argv[1]][0]["zero_point"])' "$tn")" ]; then
            pass
        else
            fail "explain --mode asymmetric ($tn): zero point differs from calibrate's"
        fi; }
done
explain ex_trt set --tensor relu --flavor tensorrt --cpu && compare "explain --flavor tensorrt" ex_trt.out cal_trt.json relu
for f in ex_pct ex_mse ex_max ex_auto ex_asym_relu ex_asym_signed ex_trt; do [ -f $f.out ] && check_plain "$f" $f.out; done

# ---- from a JSON written with --histograms ---------------------------------------
explain ex_json cal_h.json --tensor relu --cpu && {
    check_headings "explain JSON" ex_json.out "${HEADINGS_ENTROPY[@]}"
    compare "explain JSON vs calibrate" ex_json.out cal_entropy.json relu cal.cache
    if has_text ex_json.out "estimated from the histogram"; then pass; else fail "explain JSON: SQNR not marked as estimated"; fi
    if diff <(sed -n '/^5\. /,/^6\. /p' ex_relu.out) <(sed -n '/^5\. /,/^6\. /p' ex_json.out) >/dev/null; then
        pass
    else
        fail "explain: the threshold section from the JSON differs from the one from the data"
    fi
}
"$VKC" calibrate set -o nohist.json --cpu -q >/dev/null 2>&1
if ! NO_COLOR=1 "$VKC" explain nohist.json --tensor relu --cpu -q >nohist.out 2>nohist.err && grep -q -- "--histograms" nohist.err; then
    pass
else
    fail "explain on a JSON without histograms: expected an error naming --histograms"
fi

# ---- width, ASCII, colour ------------------------------------------------------------
explain ex_long set --tensor "$LONG" --cpu && check_plain "explain long name" ex_long.out
if LC_ALL=C NO_COLOR=1 "$VKC" explain set --tensor relu --cpu -q >ex_ascii.out 2>ex_ascii.err; then
    check_plain "explain ASCII" ex_ascii.out
    if LC_ALL=C grep -q '[^[:print:][:space:]]' ex_ascii.out; then fail "explain in the C locale: non-ASCII output"; else pass; fi
    check_headings "explain ASCII" ex_ascii.out "${HEADINGS_ENTROPY[@]}"
else
    fail "explain in the C locale exited non-zero"
fi
if NO_COLOR=1 "$VKC" explain set --tensor relu --cpu -q --ascii >ex_ascii2.out 2>/dev/null &&
    ! LC_ALL=C grep -q '[^[:print:][:space:]]' ex_ascii2.out; then pass; else fail "explain --ascii: non-ASCII output"; fi
explain ex_esc set --tensor "$ESCNAME" --cpu && check_plain "explain with an escape in the tensor name" ex_esc.out
# not a terminal: no colour even without NO_COLOR
env -u NO_COLOR "$VKC" explain set --tensor relu --cpu -q >ex_pipe.out 2>/dev/null
if grep -q $'\x1b' ex_pipe.out; then fail "explain: escape codes when stdout is not a terminal"; else pass; fi
env -u NO_COLOR "$VKC" explain set --tensor relu --cpu -q --color >ex_color.out 2>/dev/null
if grep -q $'\x1b\[' ex_color.out; then pass; else fail "explain --color: no colour"; fi
if command -v script >/dev/null 2>&1 && script -qc true /dev/null >/dev/null 2>&1; then
    q() { printf '%q ' "$@"; }
    env -u NO_COLOR TERM=xterm script -qc "$(q "$VKC" explain set --tensor relu --cpu -q)" /dev/null </dev/null >ex_tty.out 2>&1
    if grep -q $'\x1b\[' ex_tty.out; then pass; else fail "explain on a terminal: no colour"; fi
    NO_COLOR=1 TERM=xterm script -qc "$(q "$VKC" explain set --tensor relu --cpu -q)" /dev/null </dev/null >ex_tty_nc.out 2>&1
    if grep -q $'\x1b\[[0-9;]*m' ex_tty_nc.out; then fail "explain on a terminal with NO_COLOR: colour codes"; else pass; fi
    if grep -q "5. Threshold and scale" ex_tty_nc.out; then pass; else fail "explain on a terminal: no output"; fi
else
    note "script(1) missing: the terminal colour checks are skipped"
fi

# ---- errors -----------------------------------------------------------------------
NO_COLOR=1 "$VKC" explain set --tensor nosuch --cpu -q >bad.out 2>bad.err
rc=$?
if [ $rc -ne 0 ] && grep -q "no tensor named 'nosuch'" bad.err && grep -qx "  relu" bad.err && grep -qx "  signed" bad.err; then
    pass
else
    fail "explain --tensor nosuch: exit $rc, expected an error listing names: $(head -c 300 bad.err)"
fi
NO_COLOR=1 "$VKC" explain set --tensor rel --cpu -q >bad2.out 2>bad2.err
if [ $? -ne 0 ] && [ "$(sed -n 2p bad2.err)" = "  relu" ]; then pass; else fail "explain --tensor rel: relu not listed first: $(head -c 300 bad2.err)"; fi
NO_COLOR=1 "$VKC" explain set --cpu -q >bad3.out 2>bad3.err
if [ $? -ne 0 ] && grep -q -- "--tensor" bad3.err; then pass; else fail "explain without --tensor: expected an error"; fi
NO_COLOR=1 "$VKC" explain cal_h.json --tensor nosuch --cpu -q >bad4.out 2>bad4.err
if [ $? -ne 0 ] && grep -q "no tensor named" bad4.err; then pass; else fail "explain JSON --tensor nosuch: expected an error"; fi
NO_COLOR=1 "$VKC" explain set --tensor signed --mode unsigned --cpu -q >bad5.out 2>bad5.err
if [ $? -ne 0 ] && grep -q "minimum" bad5.err; then pass; else fail "explain --mode unsigned on a signed tensor: expected an error"; fi
"$VKC" explain set --tensor relu --method nope >/dev/null 2>&1
if [ $? -eq 2 ]; then pass; else fail "explain --method nope: expected exit 2"; fi
if "$VKC" explain --help | grep -q "Usage: vkcalib explain"; then pass; else fail "explain --help"; fi

# ---- a Vulkan device gives the same numbers -----------------------------------------
GPU=$(test_device | cut -f1)
if [ -n "$GPU" ]; then
    if explain ex_gpu set --tensor relu --device "$GPU"; then
        if diff <(sed -n '/^5\. /,/^6\. /p' ex_relu.out) <(sed -n '/^5\. /,/^6\. /p' ex_gpu.out) >/dev/null; then
            pass
        else
            fail "explain on device $GPU: threshold section differs from the CPU backend's"
        fi
        compare "explain on device $GPU" ex_gpu.out cal_entropy.json relu cal.cache
        if grep -q "validation layer reported" ex_gpu.err; then fail "explain on device $GPU: $(grep validation ex_gpu.err)"; else pass; fi
    fi
else
    note "no Vulkan device: the device comparison is skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
