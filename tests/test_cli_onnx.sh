#!/usr/bin/env bash
# vkcalib qdq / tensors / calibrate --model on small models made with
# python3-onnx (fuzz/make_onnx_corpus.py, the fuzz seeds): capture with
# ONNX Runtime -> calibrate -> qdq for every target; python3-onnx's checker
# and the TensorRT parser's rules (onnx_check.py) judge the outputs, ONNX
# Runtime runs them. Then the error paths: no quantizable op, a range file
# for another model, missing and unknown ranges, opsets, external data
# leaving the folder, state files, failed writes; and the copy-through
# properties (unknown fields kept, a no-op byte-identical, determinism).
set -uo pipefail
. "$(dirname "$0")/cli_common.sh" "$@"
. "$(dirname "$0")/onnx_common.sh"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
need_ort
CORPUS=$SRC/fuzz/corpus/onnx
CHECK="$PY $SRC/tests/onnx_check.py"
CAPTURE="node $SRC/scripts/capture.mjs --vkcalib $VKC"
EVAL="node $SRC/tests/ort_eval.mjs"

# inputs MODEL DIR N SEED: N .npz batches of N(0, 1) for the model's inputs.
inputs() {
    "$PY" - "$@" <<'PYEOF'
import os, sys, numpy as np, onnx
model, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
g = onnx.load(model).graph
inits = {i.name for i in g.initializer}
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(seed)
for b in range(n):
    arrays = {}
    for i in g.input:
        if i.name in inits:
            continue
        shape = [d.dim_value or 1 for d in i.type.tensor_type.shape.dim]
        arrays[i.name] = rng.normal(0, 1, shape).astype(np.float32)
    np.savez(os.path.join(out, f'{b:03d}.npz'), **arrays)
PYEOF
}

# --- the full path on each small model, each target -------------------------
for name in conv conv_opset11 convt_group gemm_transb matmul_add_pool constant_weights float_data_ir3; do
    m=$CORPUS/$name.onnx
    inputs "$m" "in_$name" 20 1 || { fail "$name: inputs"; continue; }
    if ! $CAPTURE "$m" in_$name/00*.npz in_$name/01[0-5].npz -o "cap_$name" --target onnxruntime --ops all 2>cap.err; then
        fail "$name: capture: $(tail -3 cap.err)"
        continue
    fi
    # max ranges: a few batches of a few hundred values are too few for
    # entropy's 2048-bin histogram (it would clip the held-out data)
    "$VKC" calibrate "cap_$name" -o "r_$name.json" --model "$m" --method max -q || fail "$name: calibrate --model"
    for t in tensorrt onnxruntime openvino; do
        ops=()
        [ "$name" = matmul_add_pool ] && ops=(--ops all)
        out=q_${name}_$t.onnx
        if ! "$VKC" qdq "$m" --ranges "r_$name.json" -o "$out" --target "$t" "${ops[@]}" -q; then
            fail "$name $t: qdq"
            continue
        fi
        $CHECK checker "$out" && pass || fail "$name $t: onnx checker rejects $out"
        if [ "$t" = tensorrt ]; then
            $CHECK trt-rules "$out" >/dev/null && pass || fail "$name: TensorRT rules broken in $out"
        fi
        # ONNX Runtime runs it close to the fp32 model on held-out inputs. A
        # single int8 layer on N(0,1) data is ~30-40 dB; a floor of 15 dB
        # catches a wrong scale, axis or zero point (those land below 5 dB).
        sq=$($EVAL --fp32 "$m" --q "$out" in_$name/01[6-9].npz 2>eval.err) || { fail "$name $t: ORT: $(tail -2 eval.err)"; continue; }
        if "$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["sqnr_db"]; sys.exit(0 if min(d.values()) >= 15 else 1)' "$sq"; then
            pass
        else
            fail "$name $t: SQNR below 15 dB: $sq"
        fi
    done
done

# the capture itself, checked by numpy: batch 0 holds the input as it was
# and the 1x1 Conv's output computed here from the model's weights
"$PY" - "$CORPUS/conv.onnx" <<'PYEOF' && pass || fail "capture: batch 0 of cap_conv is not what the model computes"
import sys, numpy as np, onnx
from onnx import numpy_helper as nh
init = {i.name: nh.to_array(i) for i in onnx.load(sys.argv[1]).graph.initializer}
cap, x = np.load('cap_conv/batch_00000.npz'), np.load('in_conv/000.npz')['x']
c = np.einsum('oc,nchw->nohw', init['W'][:, :, 0, 0], x) + init['B'][None, :, None, None]
assert sorted(cap.keys()) == ['c', 'r', 'x', 'y'] or sorted(cap.keys()) == ['c', 'r', 'x'], sorted(cap.keys())
assert np.array_equal(cap['x'], x)
assert np.abs(cap['c'] - c).max() < 1e-4 * np.abs(c).max(), np.abs(cap['c'] - c).max()
assert np.array_equal(cap['r'], np.maximum(cap['c'], 0))
PYEOF

# TensorRT rules: the checker itself must catch a broken rule (an ORT model
# has uint8/int32 zero points and biases).
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.json -o ort_bias.onnx --target onnxruntime -q
$CHECK trt-rules ort_bias.onnx >/dev/null 2>&1 && fail "trt-rules accepts an int32 bias" || pass

# opset 11 is raised to 13 (only Conv and Relu: same meaning); opset 10 with
# Softmax (changed in 13) keeps its opset with per-tensor weight scales.
[ "$($CHECK opset q_conv_opset11_tensorrt.onnx)" = 13 ] && pass || fail "opset 11 not raised to 13"
inputs "$CORPUS/softmax_opset10.onnx" in_sm 4 2
$CAPTURE "$CORPUS/softmax_opset10.onnx" in_sm -o cap_sm --target onnxruntime 2>/dev/null && "$VKC" calibrate cap_sm -o r_sm.json -q
"$VKC" qdq "$CORPUS/softmax_opset10.onnx" --ranges r_sm.json -o q_sm.onnx 2>sm.err && pass || fail "opset 10: $(cat sm.err)"
grep -q "one scale per tensor" sm.err && pass || fail "opset 10: no per-tensor warning: $(cat sm.err)"
[ "$($CHECK opset q_sm.onnx)" = 10 ] && pass || fail "opset 10 changed"
$CHECK checker q_sm.onnx && $CHECK trt-rules q_sm.onnx >/dev/null && pass || fail "opset 10 output rejected"
# ... and for ONNX Runtime: an int32 bias with one scale (no axis before 13)
"$VKC" qdq "$CORPUS/softmax_opset10.onnx" --ranges r_sm.json -o q_sm_ort.onnx --target onnxruntime -q &&
    $CHECK checker q_sm_ort.onnx && pass || fail "opset 10, ONNX Runtime target: rejected"
must_fail "opset 9" "opset 9" q9.onnx -- "$VKC" qdq "$CORPUS/opset9.onnx" --ranges r_conv.json -o q9.onnx
must_fail "tensors opset 9" "opset 9" - -- "$VKC" tensors "$CORPUS/opset9.onnx"

# --- copy-through ---------------------------------------------------------------
# no quantizable op: qdq refuses (naming the model); tensors --expose adds
# nothing, so its output is the input byte for byte.
must_fail "no quantizable op" "no_quantizable_op.onnx: no quantizable op" nq.onnx -- \
    "$VKC" qdq "$CORPUS/no_quantizable_op.onnx" --ranges r_conv.json -o nq.onnx
"$VKC" tensors "$CORPUS/no_quantizable_op.onnx" --expose -o nq_copy.onnx 2>/dev/null
same "$CORPUS/no_quantizable_op.onnx" nq_copy.onnx "no-op write"
# unknown fields: a field from the future appended to the ModelProto (and so
# kept by python3-onnx too) survives the rewrite
"$PY" -c "
import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d + bytes([0xc2, 0x3e, 5]) + b'later')
" "$CORPUS/conv.onnx" future.onnx
"$VKC" qdq future.onnx --ranges r_conv.json -o future_q.onnx -q && $CHECK has-bytes future_q.onnx c23e056c61746572 &&
    pass || fail "unknown model field lost"
$CHECK checker future_q.onnx && pass || fail "checker rejects the output with an unknown field"
# determinism
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.json -o det2.onnx -q
same q_conv_tensorrt.onnx det2.onnx "same inputs, same bytes"

# --- ranges -------------------------------------------------------------------------
$CHECK ranges "$CORPUS/conv.onnx" /features/conv1/Conv_output_0 /features/relu/Relu_output_0 -o r_other.json
must_fail "ranges of another model" "r_other.json: none of its 2 ranges .*another model" other.onnx -- \
    "$VKC" qdq "$CORPUS/conv.onnx" --ranges r_other.json -o other.onnx
# one range removed: listed, nothing written; --skip-missing leaves that op float
"$PY" -c "
import json,sys; r=json.load(open(sys.argv[1])); r['tensors']=[t for t in r['tensors'] if t['name']!='r']
r['tensors'].append(dict(r['tensors'][0], name='no_such_tensor')); json.dump(r,open(sys.argv[2],'w'))" r_conv.json r_miss.json
must_fail "missing range" "1 tensor of .*conv.onnx has no range: 'r'" miss.onnx -- \
    "$VKC" qdq "$CORPUS/conv.onnx" --ranges r_miss.json -o miss.onnx
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_miss.json -o miss.onnx --skip-missing 2>miss.err && pass || fail "--skip-missing"
grep -q "1 left in float" miss.err && pass || fail "--skip-missing summary: $(cat miss.err)"
grep -q "'no_such_tensor' is not in" miss.err && pass || fail "unknown range not warned: $(cat miss.err)"
$CHECK checker miss.onnx && pass || fail "--skip-missing output rejected"
# a TensorRT cache: the Q/DQ scales are its float32 bits exactly
"$VKC" calibrate cap_conv -o r_conv.cache -q
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.cache -o q_cache.onnx -q && [ "$($CHECK cache-scales q_cache.onnx r_conv.cache)" -ge 2 ] &&
    pass || fail "cache scales differ"
# an unsigned calibration for TensorRT: the envelope, warned per tensor
"$VKC" calibrate cap_conv -o r_auto.json --mode auto -q
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_auto.json -o q_auto.onnx 2>auto.err && grep -q "tensor 'r': unsigned range .* symmetric envelope" auto.err &&
    $CHECK trt-rules q_auto.onnx >/dev/null && pass || fail "unsigned range for TensorRT: $(cat auto.err)"
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_auto.json -o q_auto_ort.onnx --target onnxruntime -q && $CHECK checker q_auto_ort.onnx &&
    pass || fail "unsigned range for ONNX Runtime"
# a range-round state holds statistics only: a clear pointer to the next round
"$VKC" collect cap_conv --state st.vkch -q 2>/dev/null
must_fail "range state file" "range statistics only.*collect --range-from" st.onnx -- "$VKC" qdq "$CORPUS/conv.onnx" --ranges st.vkch -o st.onnx
# a histogram-round state is searched in place, as calibrate --from-state
# would (the same method and mode), and gives the same model
"$VKC" collect cap_conv --range-from st.vkch --state h.vkch -q 2>/dev/null
"$VKC" calibrate --from-state h.vkch -o from_state.json --model "$CORPUS/conv.onnx" -q && pass || fail "--from-state --model"
"$VKC" calibrate --from-state h.vkch -o from_state_mse.json --method mse -q
for m in entropy mse; do
    j=from_state.json
    [ $m = mse ] && j=from_state_mse.json
    "$VKC" qdq "$CORPUS/conv.onnx" --ranges h.vkch --method $m -o q_state_$m.onnx -q &&
        "$VKC" qdq "$CORPUS/conv.onnx" --ranges $j -o q_json_$m.onnx -q && cmp -s q_state_$m.onnx q_json_$m.onnx &&
        pass || fail "qdq --ranges STATE.vkch --method $m differs from qdq of calibrate --from-state's JSON"
done
must_fail "--from-state, other model" "not graph tensors of .*gemm_transb.onnx" fs.json -- \
    "$VKC" calibrate --from-state h.vkch -o fs.json --model "$CORPUS/gemm_transb.onnx"
printf 'not json' >bad.json
must_fail "bad range file" "bad.json" bad.onnx -- "$VKC" qdq "$CORPUS/conv.onnx" --ranges bad.json -o bad.onnx

# --- fp8 (TensorRT): E4M3 at opset 19 (python3-onnx 1.12 predates opset 19,
# so ONNX Runtime is the judge; E4M3 keeps 3 mantissa bits: floor 15 dB)
"$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.json -o q_fp8.onnx --fp8 -q && pass || fail "fp8"
sq=$($EVAL --fp32 "$CORPUS/conv.onnx" --q q_fp8.onnx --opt basic in_conv/01[6-9].npz 2>&1)
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["sqnr_db"]; sys.exit(0 if min(d.values()) >= 15 else 1)' "$sq" 2>/dev/null &&
    pass || fail "fp8 SQNR: $sq"

# --- calibrate --model ------------------------------------------------------------------
# a dump with a name the graph lacks fails before any data is read: its
# second tensor holds a NaN, which reading would report instead
"$PY" -c "
import numpy as np; np.savez('wrong.npz', **{'r': np.ones(4, np.float32), 'conv1_out': np.array([np.nan], np.float32)})"
must_fail "calibrate --model" "'conv1_out' of the calibration set is not in" wrong.json -- \
    "$VKC" calibrate wrong.npz -o wrong.json --model "$CORPUS/conv.onnx"

# --- external data ------------------------------------------------------------------------
mkdir -p ext out
"$PY" -c "
import onnx,sys; m=onnx.load(sys.argv[1]); onnx.save_model(m, 'ext/m.onnx', save_as_external_data=True, all_tensors_to_one_file=True, location='m.weights', size_threshold=0)
" "$CORPUS/conv.onnx"
"$VKC" qdq ext/m.onnx --ranges r_conv.json -o out/q.onnx -q && [ -f out/q.onnx.data ] && pass || fail "external data qdq"
$CHECK checker out/q.onnx && pass || fail "checker rejects the external-data output"
sq=$($EVAL --fp32 ext/m.onnx --q out/q.onnx in_conv/01[6-9].npz 2>&1)
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["sqnr_db"]; sys.exit(0 if min(d.values()) >= 15 else 1)' "$sq" 2>/dev/null &&
    pass || fail "external data model in ORT: $sq"
"$PY" -c "
import onnx; m=onnx.load('ext/m.onnx', load_external_data=False)
for t in m.graph.initializer:
    for e in t.external_data:
        if e.key == 'location': e.value = '../conv.weights'
onnx.save(m, 'ext/escape.onnx')"
cp ext/m.weights conv.weights
must_fail "external data outside the folder" "escape.onnx: tensor '.*': external data location '../conv.weights' leaves" out/e.onnx -- \
    "$VKC" qdq ext/escape.onnx --ranges r_conv.json -o out/e.onnx
ln -sf "$PWD/conv.weights" ext/link.weights
"$PY" -c "
import onnx; m=onnx.load('ext/m.onnx', load_external_data=False)
for t in m.graph.initializer:
    for e in t.external_data:
        if e.key == 'location': e.value = 'link.weights'
onnx.save(m, 'ext/link.onnx')"
must_fail "symlink out of the folder" "resolves outside" out/l.onnx -- "$VKC" qdq ext/link.onnx --ranges r_conv.json -o out/l.onnx

# --- hostile files (the fuzz seeds): errors naming the file, no output --------------------
for f in "$CORPUS"/bad_*.onnx; do
    b=$(basename "$f")
    must_fail "$b" "$b" "h_$b" -- "$VKC" qdq "$f" --ranges r_conv.json -o "h_$b"
done
# a failed write: no output, no temporary file
VKCALIB_TEST_IO_FAIL=write:100 must_fail "failed write" "injected" out/w.onnx -- \
    "$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.json -o out/w.onnx
no_temp_files out "failed write"
must_fail "over its input" "is the input model" - -- "$VKC" qdq "$CORPUS/conv.onnx" --ranges r_conv.json -o "$CORPUS/conv.onnx"
finish
