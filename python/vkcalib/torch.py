"""vkcalib for PyTorch: calibrate a torch.nn.Module through forward hooks.

    import vkcalib.torch
    with vkcalib.torch.ModuleCalibrator(model, method="entropy") as mc:
        ranges = mc.run(loader)              # {module name: TensorResult}
        mc.calibrator.write_trt_cache("model.cache")

    names = vkcalib.torch.onnx_names(model, "model.onnx", example_input)   # module -> ONNX tensor
    names.names, names.unmapped                                           # what it could map, and why not

Hooks read each captured tensor in place (CPU tensors; a CUDA tensor is copied to host memory first, as
vkcalib cannot read CUDA memory) and feed it to a vkcalib.Calibrator under the module's name. Exact mode
runs the loader twice (once per pass); range="streaming" or a memory_budget runs it once.
"""

import torch as _torch

from . import histogram as _histogram
from ._core import Calibrator
from ._onnx import read_graph


def _leaf_modules(model):
    return [(n, m) for n, m in model.named_modules() if n and not any(True for _ in m.children())]


def _select(model, modules):
    if modules is None:
        return _leaf_modules(model)
    named = dict(model.named_modules())
    if callable(modules) and not isinstance(modules, type):
        return [(n, m) for n, m in model.named_modules() if n and modules(n, m)]
    if isinstance(modules, type) or (isinstance(modules, (list, tuple)) and modules and
                                     all(isinstance(t, type) for t in modules)):
        types = tuple(modules) if isinstance(modules, (list, tuple)) else (modules,)
        return [(n, m) for n, m in model.named_modules() if n and isinstance(m, types)]
    out = []
    for n in ([modules] if isinstance(modules, str) else modules):
        if n not in named:
            raise KeyError("no module named %r in the model" % (n,))
        out.append((n, named[n]))
    return out


def _tensors(x, prefix):
    """(name, tensor) pairs of a module's output: a tensor, or a tuple/list/dict of them."""
    if isinstance(x, _torch.Tensor):
        return [(prefix, x)]
    if isinstance(x, (tuple, list)):
        out = []
        for i, v in enumerate(x):
            out += _tensors(v, "%s:%d" % (prefix, i))
        return out
    if isinstance(x, dict):
        out = []
        for k, v in x.items():
            out += _tensors(v, "%s:%s" % (prefix, k))
        return out
    return []


_FLOATS = (_torch.float32, _torch.float16, _torch.bfloat16, _torch.float64)


class ModuleCalibrator:
    """Calibrates the outputs (capture="output"), inputs ("input") or both of the selected modules of model.

    modules: None (every leaf module), a list of module names, a module type or tuple of types, or a
    callable(name, module) -> bool. Tensor names are the module names ("layer1.conv"); a module's tuple or
    dict outputs get ":0", ":1" / ":key"; inputs get ":input" (":input:1", ... beyond the first). names
    renames them ({module name: tensor name}, e.g. onnx_names(...).names; modules it lacks keep their own
    name unless only_named=True). dtype casts each captured tensor first (e.g. torch.float16, to calibrate the
    values a float16 deployment sees). Non-float outputs (indices, masks) are skipped (see .skipped).
    Other options are Calibrator's (method, mode, flavor, bins, range, memory_budget, device, ...); or pass
    calibrator= your own. A module called several times per forward feeds every call into one range."""

    def __init__(self, model, modules=None, *, capture="output", names=None, only_named=False, dtype=None,
                 calibrator=None, **options):
        if capture not in ("output", "input", "both"):
            raise ValueError("capture: 'output', 'input' or 'both', not %r" % (capture,))
        self.model = model
        self.modules = _select(model, modules)
        if not self.modules:
            raise ValueError("no module selected")
        self.capture = capture
        self.rename = dict(names or {})
        self.only_named = only_named
        self.dtype = dtype
        self.calibrator = calibrator if calibrator is not None else Calibrator(**options)
        self.skipped = {}
        self._handles = []

    # -- hooks
    def _name(self, base):
        n = self.rename.get(base)
        if n is None and self.only_named:
            return None
        return n or base

    def _feed(self, base, value):
        for key, t in _tensors(value, base):
            if t.dtype not in _FLOATS:
                self.skipped[key] = "dtype %s" % t.dtype
                continue
            name = self._name(key)
            if name is None:
                continue
            t = t.detach()
            if t.device.type != "cpu":
                t = t.cpu()
            if self.dtype is not None:
                t = t.to(self.dtype)
            self.calibrator.collect(name, t)

    def install(self):
        """Installs the hooks (done by `with` and run())."""
        if self._handles:
            return self
        for name, m in self.modules:
            if self.capture in ("output", "both"):
                self._handles.append(m.register_forward_hook(
                    lambda mod, inp, out, _n=name: self._feed(_n, out)))
            if self.capture in ("input", "both"):
                self._handles.append(m.register_forward_pre_hook(
                    lambda mod, inp, _n=name: self._feed(_n + ":input", inp[0] if len(inp) == 1 else inp)))
        return self

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self.install()

    def __exit__(self, *exc):
        self.remove()

    # -- the loop
    @staticmethod
    def _forward(model, batch):
        if isinstance(batch, dict):
            return model(**batch)
        if isinstance(batch, (tuple, list)):
            return model(*batch)
        return model(batch)

    def run(self, loader, forward=None):
        """Runs the model over loader (an iterable that can be iterated again, such as a DataLoader, or a
        callable returning a fresh iterable) once per pass, in torch.no_grad(), and returns {name:
        TensorResult}. forward(model, batch) replaces model(batch) (model(*batch) for tuples, model(**batch)
        for dicts), e.g. to move batches to the model's device or drop labels."""
        fwd = forward or self._forward
        was = bool(self._handles)
        self.install()

        def batches():
            for b in (loader() if callable(loader) else loader):
                fwd(self.model, b)
                yield {}

        try:
            with _torch.no_grad():
                return self.calibrator.run(batches)
        finally:
            if not was:
                self.remove()

    def results(self):
        return self.calibrator.results()


def calibrate(model, loader, modules=None, *, forward=None, **options):
    """{module name: TensorResult} of model over loader (see ModuleCalibrator)."""
    mc = ModuleCalibrator(model, modules, **options)
    try:
        return mc.run(loader, forward)
    finally:
        mc.calibrator.close()


class HistogramCalibrator(_histogram.HistogramCalibrator):
    """vkcalib.HistogramCalibrator for pytorch-quantization / Model Optimizer: compute_amax returns a float32
    torch scalar tensor (as theirs do, so a TensorQuantizer can load it), and CUDA tensors are copied to host
    memory before they are read."""

    @staticmethod
    def _to_host(x):
        if isinstance(x, _torch.Tensor):
            x = x.detach()
            if x.device.type != "cpu":
                x = x.cpu()
        return x

    def compute_amax(self, method=None, *, stride=1, start_bin=128, percentile=99.99):
        a = super().compute_amax(method, stride=stride, start_bin=start_bin, percentile=percentile)
        return _torch.tensor(a, dtype=_torch.float32)


# ---- module names -> tensor names of the ONNX export ---------------------------

_EXPECTED_OPS = {
    "Conv1d": ("Conv",), "Conv2d": ("Conv",), "Conv3d": ("Conv",),
    "ConvTranspose1d": ("ConvTranspose",), "ConvTranspose2d": ("ConvTranspose",),
    "ConvTranspose3d": ("ConvTranspose",),
    "Linear": ("Gemm", "MatMul", "Add"),
    "BatchNorm1d": ("BatchNormalization",), "BatchNorm2d": ("BatchNormalization",),
    "BatchNorm3d": ("BatchNormalization",),
    "ReLU": ("Relu",), "ReLU6": ("Clip",), "LeakyReLU": ("LeakyRelu",), "Sigmoid": ("Sigmoid",),
    "Tanh": ("Tanh",), "Softmax": ("Softmax",), "LogSoftmax": ("LogSoftmax",),
    "MaxPool1d": ("MaxPool",), "MaxPool2d": ("MaxPool",), "MaxPool3d": ("MaxPool",),
    "AvgPool1d": ("AveragePool",), "AvgPool2d": ("AveragePool",), "AvgPool3d": ("AveragePool",),
    "AdaptiveAvgPool1d": ("GlobalAveragePool", "AveragePool"),
    "AdaptiveAvgPool2d": ("GlobalAveragePool", "AveragePool"),
    "AdaptiveMaxPool2d": ("GlobalMaxPool", "MaxPool"),
    "Flatten": ("Flatten", "Reshape"), "Upsample": ("Resize",), "Embedding": ("Gather",),
}


class OnnxNames:
    """The answer of onnx_names: names {module name: ONNX tensor name} for the modules it could map, unmapped
    {module name: why not}, notes {module name: how it was mapped, where that needs saying}."""

    def __init__(self, names, unmapped, notes):
        self.names, self.unmapped, self.notes = names, unmapped, notes

    def apply(self, results):
        """{ONNX tensor name: result} for the mapped modules of a {module name: result} dict."""
        return {self.names[k]: v for k, v in results.items() if k in self.names}

    def __repr__(self):
        return "OnnxNames(%d mapped, %d unmapped)" % (len(self.names), len(self.unmapped))


def _dataflow(model, modules, example):
    """One forward: for each module, the module that produced its first input, whether its output equals
    that input exactly (an identity at inference: Dropout, Identity), and how often it ran."""
    last_writer, keep = {}, []
    producer, identity, calls = {}, {}, {}

    def pre(name):
        def hook(mod, inp):
            calls[name] = calls.get(name, 0) + 1
            x = inp[0] if inp else None
            if isinstance(x, _torch.Tensor):
                producer[name] = last_writer.get(id(x))
        return hook

    def post(name):
        def hook(mod, inp, out):
            x = inp[0] if inp else None
            if isinstance(out, _torch.Tensor):
                identity[name] = (isinstance(x, _torch.Tensor) and x.shape == out.shape and x.dtype == out.dtype
                                  and bool(_torch.equal(x, out)))
                last_writer[id(out)] = name
                keep.append(out)
        return hook

    hs = []
    for name, m in modules:
        hs.append(m.register_forward_pre_hook(pre(name)))
        hs.append(m.register_forward_hook(post(name)))
    try:
        with _torch.no_grad():
            ModuleCalibrator._forward(model, example)
    finally:
        for h in hs:
            h.remove()
    return producer, identity, calls


def onnx_names(model, onnx_model, example_input, modules=None):
    """Maps module names to the tensor names of model's ONNX export (torch.onnx.export names node outputs
    "/scope/path/OpType_output_0" after the module that ran them).

    onnx_model is the exported model (a path, bytes, a file object or an onnx.ModelProto); example_input a
    batch the model takes (one forward records which module feeds which). A module maps to the one tensor
    that leaves its scope's nodes, when that tensor is produced by an op its type exports to. Where the
    export has no node of a module: an identity at inference (Dropout) maps to its input's tensor; a module
    fused into the one before it (an eval-mode export folds BatchNorm into Conv) takes the fused tensor, and
    the module before it is unmapped (its own output does not exist in the ONNX model). Everything else is
    listed in .unmapped with the reason; nothing is guessed."""
    nodes, graph_outputs = read_graph(onnx_model)
    mods = _select(model, modules)
    types = {n: type(m).__name__ for n, m in mods}
    producer, identity, calls = _dataflow(model, mods, example_input)
    consumers = {}
    for k, nd in enumerate(nodes):
        for t in nd.inputs:
            consumers.setdefault(t, set()).add(k)
    outs = set(graph_outputs)
    cand, unmapped, notes, empty = {}, {}, {}, []
    for name, _m in mods:
        scope = "/" + name.replace(".", "/") + "/"
        mine = [k for k, nd in enumerate(nodes) if nd.name.startswith(scope)]
        if calls.get(name, 0) > 1:
            unmapped[name] = "called %d times per forward: the export has a tensor per call, vkcalib one range" \
                             % calls[name]
            continue
        if calls.get(name, 0) == 0:
            unmapped[name] = "did not run in the example forward"
            continue
        if not mine:
            empty.append(name)
            continue
        mset = set(mine)
        leaving, op = [], {}
        for k in mine:
            for t in nodes[k].outputs:
                if t and (t in outs or any(c not in mset for c in consumers.get(t, ()))):
                    if t not in leaving:
                        leaving.append(t)
                        op[t] = nodes[k].op_type
        if len(leaving) != 1:
            unmapped[name] = ("%d tensors leave its nodes (%s): which is its output is not known"
                              % (len(leaving), ", ".join(leaving)) if leaving else "none of its nodes' outputs "
                              "is used outside it")
            continue
        t = leaving[0]
        want = _EXPECTED_OPS.get(types[name])
        if want and op[t] not in want:
            unmapped[name] = "its output %s comes from a %s node, not what a %s exports (%s)" % (
                t, op[t], types[name], "/".join(want))
            continue
        cand[name] = t
        if not want:
            notes[name] = "by scope (a %s: its op types are not known to vkcalib)" % types[name]
    names = dict(cand)
    for name in empty:
        p = producer.get(name)
        if p is None or p not in cand:
            unmapped[name] = "no node of it in the export, and its input's module is not mapped"
        elif identity.get(name):
            names[name] = cand[p]
            notes[name] = "no node in the export: an identity at inference, the same tensor as '%s'" % p
        else:
            names[name] = cand[p]
            notes[name] = "fused into '%s' by the export: %s holds this module's output" % (p, cand[p])
            names.pop(p, None)
            unmapped[p] = "fused with '%s' in the export: its own output is not a tensor of the ONNX model" % name
    return OnnxNames({n: names[n] for n, _ in mods if n in names}, unmapped, notes)
