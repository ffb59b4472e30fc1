#!/usr/bin/python3
"""Independent checks of vkcalib's ONNX outputs with python3-onnx (the
oracle: none of this is vkcalib's code). Subcommands:

  checker M.onnx...          onnx.checker.check_model (full check) accepts each
  trt-rules M.onnx           what TensorRT's ONNX parser requires of explicit
                             INT8 quantization (onnx-tensorrt, QuantDequantize):
                             every Q/DQ zero point int8 and all 0, activation
                             scales scalar and positive, weight (constant) DQ
                             scales positive with length 1 or the axis
                             dimension, no int32 tensor reaching a DQ (TensorRT
                             has no int32 bias Q/DQ); prints the counts
  count M.onnx OP[,OP...]    how many nodes of these op types
  opset M.onnx               the ai.onnx opset
  ranges M.onnx NAME... -o J a vkcalib-calibration JSON with symmetric ranges
                             [-(k+1), k+1] for the k-th name (scale (k+1)/127)
  cache-scales M.onnx C      every <t>_scale in M equals the float32 bits of
                             the TensorRT cache C's line for t
  has-bytes F HEX            file F contains the bytes HEX
"""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper as nh


def load(p):
    return onnx.load(p)


def consts(m):
    out = {i.name: nh.to_array(i) for i in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == 'Constant':
            for a in n.attribute:
                if a.name == 'value':
                    out[n.output[0]] = nh.to_array(a.t)
    return out


def trt_rules(path):
    m = load(path)
    c = consts(m)
    errors = []
    acts = weights = 0
    for n in m.graph.node:
        if n.op_type not in ('QuantizeLinear', 'DequantizeLinear'):
            continue
        scale = c.get(n.input[1])
        zp = c.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
        if scale is None:
            errors.append(f'{n.name}: scale is not a constant')
            continue
        if zp is None or zp.dtype != np.int8 or np.any(zp != 0):
            errors.append(f'{n.name}: zero point {None if zp is None else (zp.dtype, zp.ravel()[:4])}: not int8 0')
        if not np.all(scale > 0) or not np.all(np.isfinite(scale)):
            errors.append(f'{n.name}: scale not positive')
        x = n.input[0]
        if n.op_type == 'DequantizeLinear' and x in c:  # a weight
            weights += 1
            q = c[x]
            if q.dtype == np.int32:
                errors.append(f'{n.name}: int32 input (a quantized bias)')
            axis = next((a.i for a in n.attribute if a.name == 'axis'), 1)
            if scale.size != 1 and scale.size != q.shape[axis]:
                errors.append(f'{n.name}: {scale.size} scales for axis {axis} of {q.shape}')
        else:
            acts += 1
            if scale.ndim != 0:
                errors.append(f'{n.name}: activation scale of shape {scale.shape}, not a scalar')
    for e in errors[:20]:
        print('TRT rule broken:', e, file=sys.stderr)
    print(json.dumps({'activation_qdq_nodes': acts, 'weight_dq_nodes': weights, 'errors': len(errors)}))
    return 1 if errors else 0


def main(argv):
    cmd = argv[1]
    if cmd == 'checker':
        for p in argv[2:]:
            onnx.checker.check_model(load(p), full_check=True)
        return 0
    if cmd == 'trt-rules':
        return trt_rules(argv[2])
    if cmd == 'count':
        ops = argv[3].split(',')
        print(sum(n.op_type in ops for n in load(argv[2]).graph.node))
        return 0
    if cmd == 'opset':
        print(next(o.version for o in load(argv[2]).opset_import if o.domain in ('', 'ai.onnx')))
        return 0
    if cmd == 'ranges':
        names = argv[3:argv.index('-o')]
        out = argv[argv.index('-o') + 1]
        ts = [{'name': n, 'method': 'max', 'mode': 'symmetric', 'int_type': 'int8', 'lo': -(k + 1.0),
               'hi': k + 1.0, 'scale': (k + 1.0) / 127, 'zero_point': 0} for k, n in enumerate(names)]
        json.dump({'format': 'vkcalib-calibration', 'format_version': 1, 'tensors': ts}, open(out, 'w'))
        return 0
    if cmd == 'cache-scales':
        m = load(argv[2])
        c = consts(m)
        lines = open(argv[3]).read().splitlines()[1:]
        want = {l.rsplit(': ', 1)[0]: int(l.rsplit(': ', 1)[1], 16) for l in lines if l.strip()}
        bad = checked = 0
        for n in m.graph.node:
            if n.op_type == 'QuantizeLinear' and n.input[0] in want:
                got = struct.unpack('<I', struct.pack('<f', float(c[n.input[1]])))[0]
                checked += 1
                if got != want[n.input[0]]:
                    bad += 1
                    print(f'{n.input[0]}: scale bits {got:08x}, cache {want[n.input[0]]:08x}', file=sys.stderr)
        print(checked)
        return 1 if bad or not checked else 0
    if cmd == 'has-bytes':
        return 0 if bytes.fromhex(argv[3]) in open(argv[2], 'rb').read() else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
