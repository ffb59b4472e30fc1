#!/bin/bash
# vkcalib report: one self-contained HTML file, checked three ways.
#   - tests/report_check.py (Python's html.parser): well formed, no external
#     resources, accessible, every tensor with its plots, the SVG coordinates
#     of every threshold marker, histogram bar and KL minimum match what
#     `vkcalib calibrate` computes on the same data (each method, --mode auto,
#     --histograms);
#   - the same from a JSON written with --histograms, on a Vulkan device
#     (lavapipe in CI), byte-identical on a rerun, atomic on failure;
#   - headless Chromium: the page renders (a screenshot that is not blank), the
#     console stays silent, and `#sort=KEY` in the address re-sorts the summary
#     table by its script (checked on --dump-dom). Chromium is installed with
#     apt when missing and running as root; without it this part is skipped.
#   - a generated 300-tensor set: size and time to render, printed as NOTEs
#     and held to generous bounds.
#
# Usage: bash test_cli_report.sh VKCALIB WORKDIR
# Env:   VKC_SOURCE_DIR (for tests/report_check.py), VKC_TESTDATA_DIR (unused).
set -u

. "$(dirname "$0")/cli_common.sh" "$@"
SRC=${VKC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CHECK=$SRC/tests/report_check.py
if [ ! -f "$CHECK" ]; then
    echo "report_check.py not found at $CHECK (set VKC_SOURCE_DIR)" >&2
    exit 1
fi

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

# Tensors of different sizes, so that sorting by elements reorders them; a
# name that needs escaping in HTML.
"$PY" - <<'EOF' || { echo "data generation failed" >&2; exit 1; }
import os
import numpy as np
os.makedirs("set", exist_ok=True)
r = np.random.default_rng(11)
for b in range(3):
    d = {
        "relu": np.maximum(r.standard_normal(9000) * 1.3 + 0.1, 0),
        "signed <b>&\"quoted\"</b>": r.standard_t(4, 3000) * 0.8 - 0.2,
        "zero": np.zeros(500),
        "lopsided": r.standard_normal(12000) * 0.3 + 2.0,
        "softmax": r.dirichlet(np.ones(16), 400).ravel(),
        "outlier": np.concatenate([r.standard_normal(6000), [80.0 if b == 1 else 1.0]]),
    }
    np.savez("set/batch_%d.npz" % b, **{k: v.astype(np.float32) for k, v in d.items()})
EOF

# ---- reference JSONs from calibrate ---------------------------------------------
mkdir -p ref
for m in entropy percentile mse max; do
    "$VKC" calibrate set -o "ref/$m.json" --method "$m" --cpu -q >"ref_$m.log" 2>&1 || fail "calibrate --method $m: $(head -c 300 "ref_$m.log")"
done
"$VKC" calibrate set -o ref/auto.json --mode auto --cpu -q >ref_auto.log 2>&1 || fail "calibrate --mode auto"
"$VKC" calibrate set -o ref/hist.json --histograms --cpu -q >ref_hist.log 2>&1 || fail "calibrate --histograms"

check_html() {
    local what=$1 file=$2
    if "$PY" "$CHECK" html "$file" ref 2>"$what.check"; then pass; else fail "$what: report_check.py: $(head -c 1500 "$what.check")"; fi
}

# ---- the report from the data ---------------------------------------------------------
if "$VKC" report set -o report.html --cpu >report.log 2>&1; then
    pass
    check_html "report (cpu)" report.html
    for k in "pass 1/2: range" "pass 2/2: histogram" "pass 3/3: measure" "wrote report.html"; do
        if grep -qF "$k" report.log; then pass; else fail "report: no '$k' on stderr"; fi
    done
    if grep -q "SQNR measured on the values" report.html; then pass; else fail "report: SQNR not measured"; fi
else
    fail "vkcalib report exited non-zero: $(head -c 400 report.log)"
fi
"$VKC" report set -o report2.html --cpu -q >/dev/null 2>&1
if cmp -s report.html report2.html; then pass; else fail "report: two runs differ (not deterministic)"; fi

# from the JSON with histograms: same plots and thresholds, SQNR estimated
if "$VKC" report ref/hist.json -o report_json.html --cpu -q >report_json.log 2>&1; then
    check_html "report (JSON input)" report_json.html
    if grep -q "estimated from the histograms" report_json.html; then pass; else fail "report from JSON: SQNR not marked as estimated"; fi
    # the thresholds on the |x| histograms (a JSON of |x| has no histogram of
    # x, so the two-sided windows of signed tensors are the data's alone)
    if diff <(grep -o 'data-kind="[sa][yl][mt]" data-value="[^"]*"' report.html) \
        <(grep -o 'data-kind="[sa][yl][mt]" data-value="[^"]*"' report_json.html) >/dev/null &&
        [ "$(grep -c 'data-kind="sym"' report.html)" -gt 0 ]; then
        pass
    else
        fail "report from JSON: thresholds differ from the report from the data"
    fi
else
    fail "report from JSON exited non-zero: $(head -c 400 report_json.log)"
fi
"$VKC" report ref/entropy.json -o nohist.html --cpu -q >nohist.log 2>&1
if [ $? -ne 0 ] && grep -q -- "--histograms" nohist.log && [ ! -e nohist.html ]; then pass; else fail "report on a JSON without histograms: expected an error"; fi

# atomic: an injected failure leaves the old file untouched and no temporary
cp report.html keep.html
if [ "${VKC_TEST_HOOKS:-0}" = 1 ]; then
    VKCALIB_TEST_IO_FAIL=rename "$VKC" report set -o keep.html --cpu -q >io.log 2>&1
    if [ $? -ne 0 ] && cmp -s keep.html report.html && [ -z "$(ls -A . | grep '\.tmp$')" ]; then
        pass
    else
        fail "report with an injected rename failure: not atomic"
    fi
else
    note "built without -DVKC_TEST_HOOKS=ON: the injected rename failure is not tested"
fi
"$VKC" report set --cpu -q >/dev/null 2>&1
if [ $? -eq 2 ]; then pass; else fail "report without -o: expected exit 2"; fi
"$VKC" report set -o /nonexistent-dir/x.html --cpu -q >/dev/null 2>&1
if [ $? -ne 0 ]; then pass; else fail "report into a missing directory: expected an error"; fi
if "$VKC" report --help | grep -q "Usage: vkcalib report"; then pass; else fail "report --help"; fi

# ---- --flavors: the tools' thresholds are compare's ---------------------------------------
FL=modelopt,mxnet,onnxruntime,ncnn,paddle
if "$VKC" report set -o tools.html --flavors "$FL" --cpu -q >tools.log 2>&1 &&
    "$VKC" compare set --flavors "$FL" --json --cpu -q >cmp.json 2>cmp.log; then
    pass
    check_html "report --flavors" tools.html
    # every tensor's row of every flavour carries compare's range, to the bit
    if "$PY" - tools.html cmp.json <<'EOF2'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
cmp = json.load(open(sys.argv[2]))
secs = re.findall(r'<section class="tensor" id="t-\d+" aria-labelledby="[^"]*" data-name="([^"]*)">(.*?)</section>', html, re.S)
assert len(secs) == len(cmp["tensors"]), (len(secs), len(cmp["tensors"]))
import html as H
byname = {H.unescape(n): body for n, body in secs}
checked = 0
for t in cmp["tensors"]:
    body = byname[t["name"]]
    got = dict((f, (float(lo), float(hi))) for f, lo, hi in
               re.findall(r'data-flavor="([^"]+)" data-lo="([^"]+)" data-hi="([^"]+)"', body))
    for f, r in t["results"].items():
        if "error" in r:
            continue
        assert got[f] == (r["lo"], r["hi"]), (t["name"], f, got.get(f), r["lo"], r["hi"])
        checked += 1
assert checked >= 5 * len(cmp["tensors"]) - 5, checked
print("checked", checked)
EOF2
    then pass; else fail "report --flavors: the ranges differ from vkcalib compare --json"; fi
    if grep -q "Other tools' entropy" tools.html; then pass; else fail "report --flavors: no table of the tools"; fi
else
    fail "report --flavors exited non-zero: $(head -c 400 tools.log) $(head -c 300 cmp.log)"
fi
"$VKC" report ref/hist.json -o x.html --flavors all -q >fj.log 2>&1
if [ $? -eq 2 ] && grep -q "needs the calibration set" fj.log && [ ! -e x.html ]; then pass; else fail "report JSON --flavors: expected a usage error"; fi
"$VKC" report set -o x.html --flavors nosuch -q --cpu >fj.log 2>&1
if [ $? -eq 2 ] && grep -q "unknown flavour 'nosuch'" fj.log; then pass; else fail "report --flavors nosuch: expected a usage error"; fi

# ---- a Vulkan device: the same thresholds and plots ----------------------------------
GPU=$(test_device | cut -f1)
if [ -n "$GPU" ]; then
    if "$VKC" report set -o report_gpu.html --device "$GPU" -q >gpu.log 2>&1; then
        check_html "report (device $GPU)" report_gpu.html
        if grep -q "validation layer reported" gpu.log; then fail "report on device $GPU: $(grep validation gpu.log)"; else pass; fi
        # the plots are identical (measured SQNR may differ in the last digit:
        # float32 sums on the GPU)
        if diff <(grep -o '<svg.*</svg>' report.html) <(grep -o '<svg.*</svg>' report_gpu.html) >/dev/null; then
            pass
        else
            fail "report on device $GPU: the plots differ from the CPU backend's"
        fi
    else
        fail "report on device $GPU exited non-zero: $(head -c 400 gpu.log)"
    fi
else
    note "no Vulkan device: the device comparison is skipped"
fi

# ---- headless Chromium ------------------------------------------------------------------
find_chromium() {
    local c
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}
CHROME=$(find_chromium)
if [ -z "$CHROME" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium >apt.log 2>&1 ||
        { apt-get update >>apt.log 2>&1 && apt-get install -y --no-install-recommends chromium >>apt.log 2>&1; }
    CHROME=$(find_chromium)
    [ -n "$CHROME" ] || note "apt-get install chromium failed: $(tail -3 apt.log)"
fi

# browser ARGS...: headless Chromium with a fresh profile, no network, stderr
# (console) to browser.err.
browser() {
    local prof
    prof=$(mktemp -d)
    timeout 180 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
        --enable-logging=stderr --v=0 "$@" 2>>browser.err
    local rc=$?
    rm -rf "$prof"
    return $rc
}
console_clean() {
    local what=$1
    if grep -E 'CONSOLE|Uncaught' browser.err >console.txt; then
        fail "$what: browser console: $(head -c 600 console.txt)"
    else
        pass
    fi
    : >browser.err
}

if [ -n "$CHROME" ]; then
    echo "browser: $("$CHROME" --version 2>/dev/null | head -1)" >&2
    URL="file://$WORK/report.html"
    : >browser.err
    if browser --screenshot="$WORK/shot.png" --window-size=1280,2000 "$URL" >/dev/null && [ -s shot.png ]; then
        if "$PY" "$CHECK" png shot.png >png.out 2>png.err; then pass; else fail "screenshot: $(cat png.err)"; fi
        cat png.out >&2
    else
        fail "headless Chromium made no screenshot: $(grep -v dbus browser.err | tail -5)"
    fi
    console_clean "screenshot"
    # the original order, then #sort=KEY re-sorts by a simulated click
    browser --dump-dom "$URL" >dom.html || fail "chromium --dump-dom failed"
    console_clean "dump-dom"
    for key in elements -t-entropy name -sqnr-entropy clipped; do
        if browser --dump-dom "$URL#sort=$key" >"dom_$key.html" && "$PY" "$CHECK" order "dom_$key.html" "$key" >order.out 2>order.err; then
            pass
        else
            fail "#sort=$key: $(cat order.err)"
        fi
        console_clean "#sort=$key"
    done
    if ! cmp -s <(grep -o 'href="#t-[0-9]*"' dom.html) <(grep -o 'href="#t-[0-9]*"' dom_elements.html); then
        pass
    else
        fail "#sort=elements left the rows in the original order (the data should reorder)"
    fi
    if grep -q '<table[^>]*data-sorted' dom.html; then fail "the table is sorted without a #sort hash"; else pass; fi
    if grep -q 'data-sorted="elements"' dom_elements.html; then pass; else fail "#sort=elements: the table's data-sorted is not set"; fi
    # the report from the JSON renders too
    browser --screenshot="$WORK/shot_json.png" --window-size=1280,2000 "file://$WORK/report_json.html" >/dev/null
    if "$PY" "$CHECK" png shot_json.png >/dev/null 2>png2.err; then pass; else fail "screenshot (JSON report): $(cat png2.err)"; fi
    console_clean "JSON report"
else
    note "chromium is not installed and cannot be installed here: the browser checks are skipped"
fi

# ---- 300 tensors: size and time to render ------------------------------------------------
"$PY" - <<'EOF' || fail "generating the 300-tensor set"
import os
import numpy as np
os.makedirs("big", exist_ok=True)
r = np.random.default_rng(3)
for b in range(2):
    d = {}
    for k in range(300):
        n = 2000 + 37 * k
        x = r.standard_normal(n) * (0.5 + k % 7) + (k % 3 - 1)
        d["/model/layers.%03d/act" % k] = (np.maximum(x, 0) if k % 2 else x).astype(np.float32)
    np.savez("big/batch_%d.npz" % b, **d)
EOF
t0=$(date +%s%N)
if "$VKC" report big -o big.html --cpu -q >big.log 2>&1; then
    t1=$(date +%s%N)
    size=$(stat -c %s big.html)
    note "300 tensors: report written in $(((t1 - t0) / 1000000)) ms, $size bytes ($((size / 300)) bytes per tensor)"
    if [ "$size" -lt 8000000 ]; then pass; else fail "300-tensor report is $size bytes (> 8 MB)"; fi
    if "$PY" -c '
import sys, html.parser
p = html.parser.HTMLParser(); p.feed(open(sys.argv[1], encoding="utf-8").read()); p.close()' big.html; then pass; else fail "300-tensor report does not parse"; fi
    if [ -n "$CHROME" ]; then
        : >browser.err
        echo '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>x</body></html>' >tiny.html
        a=$(date +%s%N)
        browser --screenshot="$WORK/tiny.png" --window-size=1280,2000 "file://$WORK/tiny.html" >/dev/null
        b=$(date +%s%N)
        browser --screenshot="$WORK/big.png" --window-size=1280,2000 "file://$WORK/big.html" >/dev/null
        c=$(date +%s%N)
        browser --dump-dom "file://$WORK/big.html#sort=-sqnr-entropy" >big_dom.html
        d=$(date +%s%N)
        note "300 tensors in Chromium: screenshot $(((c - b) / 1000000)) ms (an empty page: $(((b - a) / 1000000)) ms), load + sort 300 rows + dump DOM $(((d - c) / 1000000)) ms"
        if [ $(((c - b) / 1000000)) -lt 60000 ]; then pass; else fail "300-tensor report took over 60 s to render"; fi
        if "$PY" "$CHECK" order big_dom.html -sqnr-entropy >/dev/null 2>big_order.err; then pass; else fail "300 tensors, #sort=-sqnr-entropy: $(cat big_order.err)"; fi
        console_clean "300 tensors"
    fi
else
    fail "report on 300 tensors exited non-zero: $(head -c 400 big.log)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
