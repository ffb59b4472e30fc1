"""Just enough of the ONNX protobuf to list a graph's nodes: no onnx package needed.

ModelProto.graph is field 7; GraphProto.node 1, .output 12; NodeProto.input 1, .output 2, .name 3,
.op_type 4; ValueInfoProto.name 1 (onnx/onnx.proto3). Subgraphs (If, Loop bodies) are not listed.
"""


def _varint(b, i):
    v, shift = 0, 0
    while True:
        if i >= len(b):
            raise ValueError("truncated ONNX protobuf")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, i
        shift += 7
        if shift > 63:
            raise ValueError("bad varint in ONNX protobuf")


def _fields(b):
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            ln, i = _varint(b, i)
            v, i = b[i:i + ln], i + ln
            if i > n:
                raise ValueError("truncated ONNX protobuf")
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("unsupported protobuf wire type %d (is this an ONNX model?)" % wt)
        yield field, wt, v


def _str(v):
    return bytes(v).decode("utf-8", "replace")


class Node:
    __slots__ = ("name", "op_type", "inputs", "outputs")

    def __init__(self, name, op_type, inputs, outputs):
        self.name, self.op_type, self.inputs, self.outputs = name, op_type, inputs, outputs


def read_graph(model):
    """(nodes, graph output names) of an ONNX model given as bytes, a path, a file object or an
    onnx.ModelProto."""
    if hasattr(model, "SerializeToString"):
        data = model.SerializeToString()
    elif isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    elif hasattr(model, "read"):
        data = model.read()
    else:
        with open(model, "rb") as f:
            data = f.read()
    mv = memoryview(data)
    graph = None
    for f, wt, v in _fields(mv):
        if f == 7 and wt == 2:
            graph = v
    if graph is None:
        raise ValueError("no graph in this ONNX model")
    nodes, outputs = [], []
    for f, wt, v in _fields(graph):
        if f == 1 and wt == 2:
            name, op, ins, outs = "", "", [], []
            for g, wt2, w in _fields(v):
                if wt2 != 2:
                    continue
                if g == 1:
                    ins.append(_str(w))
                elif g == 2:
                    outs.append(_str(w))
                elif g == 3:
                    name = _str(w)
                elif g == 4:
                    op = _str(w)
            nodes.append(Node(name, op, ins, outs))
        elif f == 12 and wt == 2:
            for g, wt2, w in _fields(v):
                if g == 1 and wt2 == 2:
                    outputs.append(_str(w))
    return nodes, outputs
