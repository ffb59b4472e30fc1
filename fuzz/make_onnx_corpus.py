#!/usr/bin/python3
"""Seed corpus for fuzz_onnx (fuzz/corpus/onnx/): small models made with
python3-onnx (checked by its checker) covering every path of the Q/DQ
rewrite, and hostile files made byte by byte. Deterministic: running it
again writes the same files.  /usr/bin/python3 fuzz/make_onnx_corpus.py"""
import os
import struct
import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'onnx')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)


def w(*shape):
    return rng.normal(0, 0.5, shape).astype(np.float32)


def save(name, graph, opset=13, ir=7, check=True):
    m = h.make_model(graph, opset_imports=[h.make_opsetid('', opset)], producer_name='vkcalib-corpus')
    m.ir_version = ir
    if check:
        onnx.checker.check_model(m)
    open(os.path.join(OUT, name), 'wb').write(m.SerializeToString())
    return m


def vi(name, shape, t=T.FLOAT):
    return h.make_tensor_value_info(name, t, shape)


def conv_graph(opset_note=''):
    return h.make_graph(
        [h.make_node('Conv', ['x', 'W', 'B'], ['c'], name='conv'), h.make_node('Relu', ['c'], ['r']),
         h.make_node('Conv', ['r', 'W2'], ['y'], name='conv2', pads=[1, 1, 1, 1])],
        'g' + opset_note, [vi('x', [1, 3, 8, 8])], [vi('y', [1, 4, 8, 8])],
        [nh.from_array(w(4, 3, 1, 1), 'W'), nh.from_array(w(4), 'B'), nh.from_array(w(4, 4, 3, 3), 'W2')])


save('conv.onnx', conv_graph())
save('conv_opset11.onnx', conv_graph('11'), opset=11, ir=6)
save('convt_group.onnx', h.make_graph(
    [h.make_node('ConvTranspose', ['x', 'W', 'B'], ['y'], group=2, strides=[2, 2])], 'g',
    [vi('x', [1, 4, 4, 4])], [vi('y', [1, 6, 8, 8])],
    [nh.from_array(w(4, 3, 2, 2), 'W'), nh.from_array(w(6), 'B')]), opset=11, ir=6)
save('gemm_transb.onnx', h.make_graph(
    [h.make_node('Flatten', ['x'], ['f']), h.make_node('Gemm', ['f', 'W', 'B'], ['g'], transB=1),
     h.make_node('Relu', ['g'], ['r']), h.make_node('Gemm', ['r', 'W2'], ['y'])], 'g',
    [vi('x', [1, 2, 8])], [vi('y', [1, 5])],
    [nh.from_array(w(6, 16), 'W'), nh.from_array(w(6), 'B'), nh.from_array(w(6, 5), 'W2')]))
save('matmul_add_pool.onnx', h.make_graph(
    [h.make_node('MatMul', ['x', 'W'], ['a']), h.make_node('MatMul', ['a', 'x2'], ['b']),
     h.make_node('Add', ['b', 'b'], ['c']), h.make_node('Unsqueeze', ['c', 'axes'], ['u']),
     h.make_node('MaxPool', ['u'], ['p'], kernel_shape=[1, 1]), h.make_node('Shape', ['p'], ['s']),
     h.make_node('Concat', ['s', 's'], ['y2'], axis=0), h.make_node('Identity', ['p'], ['y'])], 'g',
    [vi('x', [4, 8]), vi('x2', [6, 3])], [vi('y', [1, 1, 4, 3]), vi('y2', [8], T.INT64)],
    [nh.from_array(w(8, 6), 'W'), nh.from_array(np.array([0, 1], np.int64), 'axes')]))
cw = h.make_node('Constant', [], ['Wc'], value=nh.from_array(w(2, 3, 3, 3), 'Wc_value'))
save('constant_weights.onnx', h.make_graph(
    [cw, h.make_node('Conv', ['x', 'Wc'], ['c']), h.make_node('Conv', ['c', 'Wc2'], ['y'])], 'g',
    [vi('x', [1, 3, 5, 5])], [vi('y', [1, 2, 3, 3])], [nh.from_array(w(2, 2, 1, 1), 'Wc2')]), opset=11, ir=6)
save('softmax_opset10.onnx', h.make_graph(
    [h.make_node('Conv', ['x', 'W', 'B'], ['c']), h.make_node('Softmax', ['c'], ['y'], axis=1)], 'g',
    [vi('x', [1, 3, 4, 4])], [vi('y', [1, 2, 4, 4])], [nh.from_array(w(2, 3, 1, 1), 'W'), nh.from_array(w(2), 'B')]),
    opset=10, ir=5)
save('opset9.onnx', conv_graph('9'), opset=9, ir=4)
then_g = h.make_graph([h.make_node('Conv', ['x', 'W'], ['t'])], 'then', [], [vi('t', [1, 2, 4, 4])])
else_g = h.make_graph([h.make_node('Identity', ['c'], ['e'])], 'else', [], [vi('e', [1, 2, 4, 4])])
save('subgraph.onnx', h.make_graph(
    [h.make_node('Conv', ['x', 'W'], ['c']), h.make_node('If', ['cond'], ['y'], then_branch=then_g, else_branch=else_g)],
    'g', [vi('x', [1, 2, 4, 4]), vi('cond', [], T.BOOL)], [vi('y', [1, 2, 4, 4])], [nh.from_array(w(2, 2, 1, 1), 'W')]))
# weights in float_data (packed), the initializer also listed as a graph input (IR 3 style)
Wf = h.make_tensor('Wf', T.FLOAT, [2, 1, 1, 1], [0.5, -0.25])
save('float_data_ir3.onnx', h.make_graph(
    [h.make_node('Conv', ['x', 'Wf'], ['y'])], 'g', [vi('x', [1, 1, 2, 2]), vi('Wf', [2, 1, 1, 1])],
    [vi('y', [1, 2, 2, 2])], [Wf]), ir=7, opset=13)
save('no_quantizable_op.onnx', h.make_graph(
    [h.make_node('Relu', ['x'], ['y'])], 'g', [vi('x', [2])], [vi('y', [2])]))
ext = h.make_graph([h.make_node('Conv', ['x', 'We'], ['y'])], 'g', [vi('x', [1, 1, 2, 2])], [vi('y', [1, 2, 2, 2])],
                   [nh.from_array(np.array([0.5, -0.25], np.float32).reshape(2, 1, 1, 1), 'We')])
m = save('external_missing.onnx', ext)
t = m.graph.initializer[0]
t.ClearField('raw_data')
t.data_location = T.EXTERNAL
for k, v in (('location', 'We.bin'), ('offset', '0'), ('length', '8')):
    e = t.external_data.add(); e.key = k; e.value = v
open(os.path.join(OUT, 'external_missing.onnx'), 'wb').write(m.SerializeToString())
t.external_data[0].value = '../../etc/passwd'
open(os.path.join(OUT, 'bad_external_dotdot.onnx'), 'wb').write(m.SerializeToString())

# ---- hostile bytes -------------------------------------------------------------
def varint(v):
    out = b''
    while v >= 0x80:
        out += bytes([v & 0x7f | 0x80]); v >>= 7
    return out + bytes([v])


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


good = open(os.path.join(OUT, 'conv.onnx'), 'rb').read()
open(os.path.join(OUT, 'bad_truncated.onnx'), 'wb').write(good[:len(good) * 2 // 3])
# nested subgraphs 3000 deep: Graph -> Node -> Attribute -> Graph ...
g = b''
for _ in range(3000):
    g = field(1, field(5, field(6, g)))
open(os.path.join(OUT, 'bad_deep.onnx'), 'wb').write(field(7, g))
# a graph whose node claims more bytes than the graph holds
open(os.path.join(OUT, 'bad_overlap.onnx'), 'wb').write(field(7, b'\x0a\x40' + b'\x0a\x01x' * 4) + good)
open(os.path.join(OUT, 'bad_huge_length.onnx'), 'wb').write(b'\x3a' + varint(1 << 62) + b'\x00' * 8)
open(os.path.join(OUT, 'bad_group.onnx'), 'wb').write(b'\x08\x07\x3b\x0a\x00\x3c')
node = field(1, b'x') + field(2, b'a\x00b') + field(4, b'Relu')
open(os.path.join(OUT, 'bad_nul_name.onnx'), 'wb').write(field(7, field(1, node)))
dims = b''.join(b'\x08' + varint((1 << 62) - 1) for _ in range(3))
tensor = dims + b'\x10\x01' + field(8, b'W') + field(9, b'\x00' * 8)
open(os.path.join(OUT, 'bad_shape_overflow.onnx'), 'wb').write(field(7, field(5, tensor)))
open(os.path.join(OUT, 'bad_overlong_varint.onnx'), 'wb').write(b'\x08' + b'\xff' * 10 + b'\x01')
print('wrote', len(os.listdir(OUT)), 'files to', OUT)
