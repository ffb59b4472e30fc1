"""vkcalib.torch on a small real CNN (conv, batch norm, ReLU, residual add, pooling, dropout, linear):
forward hooks over a data loader of 64 batches give the same calibration files, byte for byte, as the CLI
on the same activations dumped to .npz; float32, float16 and bfloat16 tensors; on the CPU backend and
lavapipe. Then the ONNX name mapping on the model's real export, and the Model Optimizer-style calibrator."""

import io
import os

import py_common as C
from py_common import np, vkcalib

try:
    import torch
    import vkcalib.torch as vt
except ImportError:
    print("SKIP: torch is needed (Debian: python3-torch)")
    raise SystemExit(C.SKIP)

NBATCH = 64
LEAVES = ["stem", "block.conv", "block.bn", "block.relu", "block.add", "block.out", "pool", "gap", "flat", "drop",
          "fc"]


class Add(torch.nn.Module):
    def forward(self, a, b):
        return a + b


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = torch.nn.Conv2d(c, c, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(c)
        self.relu = torch.nn.ReLU()
        self.add = Add()
        self.out = torch.nn.ReLU()

    def forward(self, x):
        return self.out(self.add(self.relu(self.bn(self.conv(x))), x))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.block = Block(8)
        self.pool = torch.nn.MaxPool2d(2)
        self.gap = torch.nn.AdaptiveAvgPool2d(1)
        self.flat = torch.nn.Flatten()
        self.drop = torch.nn.Dropout(0.5)
        self.fc = torch.nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.drop(self.flat(self.gap(self.pool(self.block(self.stem(x)))))))


def make_model():
    torch.manual_seed(0)
    m = Net()
    with torch.no_grad():  # batch norm statistics as a trained model has them
        m.block.bn.running_mean.uniform_(-0.5, 0.5)
        m.block.bn.running_var.uniform_(0.5, 2.0)
        m.block.bn.weight.uniform_(0.5, 1.5)
        m.block.bn.bias.uniform_(-0.2, 0.2)
    return m.eval()


class Loader:
    """A data loader: iterable again and again, counting how often."""

    def __init__(self, dtype=torch.float32):
        g = torch.Generator().manual_seed(1)
        self.batches = [torch.randn(4, 3, 16, 16, generator=g).to(dtype) for _ in range(NBATCH)]
        self.iterations = 0

    def __iter__(self):
        self.iterations += 1
        return iter(self.batches)


def dump(model, loader, folder, cast=None):
    """Each leaf module's output, batch by batch, to .npz (plain hooks: independent of vkcalib)."""
    os.makedirs(folder)
    acts = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: acts.__setitem__(n, o.detach()))
             for n, m in model.named_modules() if n and not list(m.children())]
    with torch.no_grad():
        for k, b in enumerate(loader.batches):
            acts.clear()
            model(b)
            np.savez(os.path.join(folder, "batch_%03d.npz" % k), **{n: cast(t) for n, t in acts.items()})
    for h in hooks:
        h.remove()


def setUpModule():
    global DEVICES, CTX
    lvp = C.lavapipe()
    DEVICES = ["cpu"] + ([lvp] if lvp else [])
    CTX = {d: vkcalib.Context(d, validate=d != "cpu") for d in DEVICES}


class Hooks(C.TempDirCase):
    def check(self, model, loader, cast, dtype=None, runs=(("entropy", "symmetric"), ("entropy", "auto"),
                                                           ("mse", "symmetric"), ("percentile", "auto"))):
        dump(model, loader, self.path("acts"), cast)
        for device in DEVICES:
            for method, mode in (runs if device == "cpu" else runs[:2]):
                with self.subTest(device=device, method=method, mode=mode):
                    loader.iterations = 0
                    mc = vt.ModuleCalibrator(model, method=method, mode=mode, dtype=dtype,
                                             calibrator=vkcalib.Calibrator(method, mode, context=CTX[device]))
                    res = mc.run(loader)
                    self.assertEqual(loader.iterations, 2)  # exact: the loader once per pass
                    self.assertEqual(list(res), LEAVES)  # every leaf module, in the order they ran
                    mc.calibrator.write_json(self.path("py.json"))
                    C.cli("calibrate", self.path("acts"), "-o", self.path("cli.json"), "--method", method, "--mode",
                          mode, "-q", *C.device_args(device))
                    self.assertSameFile(self.path("py.json"), self.path("cli.json"), "%s %s" % (method, mode))
                    if mode == "symmetric":
                        mc.calibrator.write_trt_cache(self.path("py.cache"))
                        C.cli("calibrate", self.path("acts"), "-o", self.path("cli.cache"), "--method", method,
                              "-q", *C.device_args(device))
                        self.assertSameFile(self.path("py.cache"), self.path("cli.cache"))
                    self.assertEqual(list(res), LEAVES)
                    mc.calibrator.close()
            self.assertNoValidation(CTX[device])
        return res

    def test_float32(self):
        res = self.check(make_model(), Loader(), lambda t: t.numpy())
        self.assertEqual(res["block.out"].int_type, "uint8")  # post-ReLU tensors get uint8 in mode auto
        self.assertEqual(res["block.conv"].int_type, "int8")

    def test_bfloat16_model(self):
        """A bfloat16 model: its hooks feed bfloat16 tensors; the CLI reads their exact float32 widening."""
        self.check(make_model().to(torch.bfloat16), Loader(torch.bfloat16), lambda t: t.float().numpy(),
                   runs=(("entropy", "symmetric"), ("entropy", "auto")))

    def test_float16_tensors(self):
        """dtype=torch.float16: the values a float16 deployment sees, fed as float16; the CLI reads .npy <f2."""
        self.check(make_model(), Loader(), lambda t: t.half().numpy(), dtype=torch.float16,
                   runs=(("entropy", "symmetric"), ("mse", "auto")))

    def test_streaming_and_kept_data_read_the_loader_once(self):
        model, loader = make_model(), Loader()
        for kw in (dict(range="streaming"), dict(memory_budget=256 << 20)):
            loader.iterations = 0
            res = vt.calibrate(model, loader, device="cpu", **kw)
            self.assertEqual(loader.iterations, 1, kw)
            self.assertEqual(list(res), LEAVES)
        exact = vt.calibrate(model, loader, device="cpu")
        kept = vt.calibrate(model, loader, device="cpu", memory_budget=256 << 20)
        self.assertEqual({k: v.to_dict() for k, v in exact.items()}, {k: v.to_dict() for k, v in kept.items()})

    def test_selection_and_inputs(self):
        model = make_model()
        res = vt.calibrate(model, Loader(), ["block.conv", "fc"], capture="both", device="cpu")
        self.assertEqual(list(res), ["block.conv:input", "block.conv", "fc:input", "fc"])
        res = vt.calibrate(model, Loader(), torch.nn.ReLU, device="cpu")
        self.assertEqual(list(res), ["block.relu", "block.out"])


class OnnxNames(C.TempDirCase):
    def test_mapping_on_the_real_export(self):
        model = make_model()
        example = Loader().batches[0]
        buf = io.BytesIO()
        torch.onnx.export(model, example, buf, input_names=["input"], output_names=["logits"])
        names = vt.onnx_names(model, buf.getvalue(), example)
        self.assertEqual(names.names, {
            "stem": "/stem/Conv_output_0",
            "block.bn": "/block/conv/Conv_output_0",      # batch norm folded into the conv: its output
            "block.relu": "/block/relu/Relu_output_0",
            "block.add": "/block/add/Add_output_0",
            "block.out": "/block/out/Relu_output_0",
            "pool": "/pool/MaxPool_output_0",
            "gap": "/gap/GlobalAveragePool_output_0",
            "flat": "/flat/Flatten_output_0",
            "drop": "/flat/Flatten_output_0",             # an identity at inference
            "fc": "logits",
        })
        self.assertEqual(list(names.unmapped), ["block.conv"])
        self.assertIn("fused with 'block.bn'", names.unmapped["block.conv"])
        self.assertIn("identity", names.notes["drop"])
        # Calibrating under the ONNX names: the cache TensorRT would read for that export.
        mc = vt.ModuleCalibrator(model, names=names.names, only_named=True, device="cpu")
        res = mc.run(Loader())
        self.assertNotIn("block.conv", str(list(res)))
        plain = vt.calibrate(model, Loader(), device="cpu")
        for mod, onnx_name in names.names.items():
            if mod != "drop":  # drop shares flat's tensor: both fed it, so its range covers both
                self.assertEqual(res[onnx_name].threshold, plain[mod].threshold, mod)
        self.assertEqual(set(names.apply(plain)), set(names.names.values()))
        # A training-mode export keeps the batch norm: then conv and bn both map.
        buf = io.BytesIO()
        torch.onnx.export(model, example, buf, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
        names = vt.onnx_names(model, buf.getvalue(), example, modules=["block.conv", "block.bn"])
        self.assertEqual(names.names["block.conv"], "/block/conv/Conv_output_0")
        self.assertNotIn("block.conv", names.unmapped)
        model.eval()

    def test_reused_module_is_not_guessed(self):
        class Twice(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.relu = torch.nn.ReLU()
                self.lin = torch.nn.Linear(4, 4)

            def forward(self, x):
                return self.relu(self.lin(self.relu(x)))
        m = Twice().eval()
        x = torch.randn(2, 4)
        buf = io.BytesIO()
        torch.onnx.export(m, x, buf)
        names = vt.onnx_names(m, buf.getvalue(), x)
        self.assertIn("called 2 times", names.unmapped["relu"])


class ModelOptimizerStyle(C.TempDirCase):
    def test_histogram_calibrator_returns_a_tensor(self):
        model, loader = make_model(), Loader()
        acts = []
        h = model.block.conv.register_forward_hook(lambda m, i, o: acts.append(o))
        with torch.no_grad():
            for b in loader:
                model(b)
        h.remove()
        hc = vt.HistogramCalibrator(device="cpu")
        for a in acts:
            hc.collect(a)
        amax = hc.compute_amax("entropy")
        self.assertIsInstance(amax, torch.Tensor)
        self.assertEqual(amax.dtype, torch.float32)
        want = vkcalib.calibrate([{"x": a} for a in acts], device="cpu")["x"].threshold
        self.assertEqual(float(amax), float(np.float32(want)))
        self.assertEqual(float(hc.compute_amax("percentile", percentile=99.9)),
                         float(np.float32(vkcalib.calibrate([{"x": a} for a in acts], "percentile", percentile=99.9,
                                                            device="cpu")["x"].threshold)))


if __name__ == "__main__":
    C.main()
