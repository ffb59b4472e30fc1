"""The Python package's own behaviour: bad input raises with the library's message, zero copy, DLPack and
the buffer protocol, the pass protocol, threads and the GIL, the ONNX Runtime contract, finding the
library (and a clear ImportError without it), pip install and cmake --install."""

import array
import ctypes
import glob
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import tracemalloc

import py_common as C
from py_common import np, vkcalib
from vkcalib import _lib as L

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def setUpModule():
    global BATCHES, CPU, GPU
    BATCHES = [C.load_npz(f) for f in C.example_files()]
    CPU = vkcalib.Context("cpu")
    lvp = C.lavapipe()
    GPU = vkcalib.Context(lvp, validate=True) if lvp else None


class FeedSpy:
    """Records the pointer, count and dtype every vkc_calibrator_feed receives."""

    def __enter__(self):
        self.calls = []
        self.orig = L.lib.vkc_calibrator_feed

        def spy(h, t, ptr, n, dt):
            self.calls.append((ptr or 0, n, dt))
            return self.orig(h, t, ptr, n, dt)
        L.lib.vkc_calibrator_feed = spy
        return self

    def __exit__(self, *exc):
        L.lib.vkc_calibrator_feed = self.orig


class BadInput(C.TempDirCase):
    def cal(self, **kw):
        return vkcalib.Calibrator(context=CPU, **kw)

    def test_dtypes_refused(self):
        cal = self.cal()
        for bad in (np.arange(10), np.zeros(4, np.complex64), np.zeros(3, bool), "abc", [object()]):
            with self.assertRaises(TypeError) as e:
                cal.collect("x", bad)
            self.assertIn("tensor 'x'", str(e.exception))
        if torch is not None:
            with self.assertRaises(TypeError) as e:
                cal.collect("x", torch.arange(5))
            self.assertIn("torch.int64", str(e.exception))
        self.assertEqual(cal.tensors, ["x"])  # declared, nothing fed: the calibrator is still usable
        cal.collect("x", np.ones(4, np.float32))
        cal.end_pass()

    def test_nan_is_the_librarys_error(self):
        cal = self.cal()
        cal.collect("x", np.array([1, np.nan, 2, np.inf], np.float32))
        with self.assertRaises(vkcalib.NonFiniteError) as e:
            cal.end_pass()
        self.assertEqual(str(e.exception), "tensor 'x': 1 NaN, 1 +Inf, 0 -Inf among 4 values")
        self.assertEqual((e.exception.tensor, e.exception.status_name), ("x", "VKC_ERROR_NONFINITE"))
        self.assertEqual(cal.current_pass, "range")  # errors leave the calibrator in its pass

    def test_wrong_pass(self):
        cal = self.cal()
        cal.collect("x", np.ones(8, np.float32))
        with self.assertRaises(vkcalib.WrongPassError):
            cal.compute()
        cal.end_pass()
        with self.assertRaises(vkcalib.WrongPassError) as e:
            cal.collect("new", np.ones(8, np.float32))
        self.assertIn("tensor 'new' is new in the histogram pass", str(e.exception))
        cal.collect("x", np.ones(8, np.float32))
        cal.compute()
        with self.assertRaises(vkcalib.WrongPassError) as e:
            cal.collect("x", np.ones(8, np.float32))
        self.assertIn("not in the done pass", str(e.exception))
        with self.assertRaises(vkcalib.WrongPassError):
            cal.save_state(self.path("s.vkch"))

    def test_different_data_in_the_second_pass(self):
        cal = self.cal()
        cal.collect("x", np.ones(8, np.float32))
        cal.end_pass()
        cal.collect("x", np.ones(7, np.float32))
        with self.assertRaises(ValueError) as e:
            cal.end_pass()
        self.assertIn("8 values in the range pass, 7 in the histogram pass", str(e.exception))

    def test_settings_and_other_errors(self):
        with self.assertRaises(ValueError):
            vkcalib.Calibrator("kl", context=CPU)
        with self.assertRaises(ValueError):
            vkcalib.Calibrator(bins=0, context=CPU)
        with self.assertRaises(vkcalib.InvalidArgumentError) as e:
            vkcalib.Calibrator("percentile", percentile=101, context=CPU)
        self.assertIn("percentile 101", str(e.exception))
        with self.assertRaises(vkcalib.UnsupportedError) as e:
            vkcalib.Calibrator("percentile", "asymmetric", context=CPU)
        self.assertIn("mode asymmetric supports", str(e.exception))
        with self.assertRaises(vkcalib.DeviceError) as e:
            vkcalib.Context("no-such-gpu-anywhere")
        self.assertIn("no-such-gpu-anywhere", str(e.exception))
        cal = self.cal()
        cal.collect("e", np.zeros(0, np.float32))
        with self.assertRaises(vkcalib.EmptyError) as e:
            cal.end_pass()
        self.assertIn("tensor 'e': no finite values", str(e.exception))
        with self.assertRaises(OSError) as e:
            self.cal().load_state(self.path("missing.vkch"))
        self.assertIn("missing.vkch", str(e.exception))
        a = self.cal(mode="asymmetric", method="max")
        a.run(BATCHES[:2])
        with self.assertRaises(vkcalib.InvalidArgumentError) as e:
            a.write_trt_cache(self.path("a.cache"))
        self.assertIn("envelope", str(e.exception))
        a.close()
        with self.assertRaises(ValueError):
            a.collect("x", np.ones(2, np.float32))
        with self.assertRaises(ValueError) as e:
            vkcalib.calibrate(iter(BATCHES), device="cpu")
        self.assertIn("one-shot iterator", str(e.exception))

    def test_search_input(self):
        with self.assertRaises(ValueError):
            vkcalib.search(np.ones((4, 4)), 1.0)
        with self.assertRaises(ValueError):
            vkcalib.search([1, -2, 3], 1.0)
        with self.assertRaises(ValueError):
            vkcalib.search([1.5, 2.0], 1.0)
        with self.assertRaises(ValueError):
            vkcalib.search([1, 2], float("nan"))
        with self.assertRaises(ValueError):
            vkcalib.search([1, 2], 1.0, mode="asymmetric")  # no range_min
        r = vkcalib.search(np.arange(2048, dtype=np.float32)[::-1].copy(), 2.0, context=CPU)
        self.assertEqual((r.int_type, r.zero_point, r.lo), ("int8", 0, -r.hi))


class Arrays(C.TempDirCase):
    def reference(self, arrays, **kw):
        with vkcalib.Calibrator(context=CPU, **kw) as cal:
            return {k: v.to_dict() for k, v in cal.run([{"x": a} for a in arrays]).items()}

    def test_zero_copy_numpy(self):
        """A contiguous array reaches the library at its own address with no allocation; a strided one is
        copied once (tracemalloc sees numpy's allocations)."""
        a = np.random.default_rng(1).standard_normal(8 << 20).astype(np.float32)  # 32 MiB
        cal = vkcalib.Calibrator(context=CPU)
        cal.tensor("x")
        with FeedSpy() as spy:
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                cal.collect("x", a)
                cal.collect("x", a.reshape(2048, -1))
                zero_copy_peak = tracemalloc.get_traced_memory()[1] - base
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                cal.collect("x", a[::2])
                copy_peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
        self.assertEqual(spy.calls[0], (a.ctypes.data, a.size, L.VKC_DTYPE_F32))
        self.assertEqual(spy.calls[1][0], a.ctypes.data)
        self.assertNotEqual(spy.calls[2][0], a.ctypes.data)
        self.assertLess(zero_copy_peak, 1 << 20, "collect allocated %d bytes for a contiguous array" % zero_copy_peak)
        self.assertGreaterEqual(copy_peak, a.nbytes // 2, "a strided view must be copied")
        cal.close()

    def test_no_stale_copy(self):
        """The library reads the memory as it is at each call: an array changed in place between the passes
        gives the histogram of its new values (a cached copy would give the old ones)."""
        a = np.linspace(-1, 1, 10001, dtype=np.float32)
        with vkcalib.Calibrator(context=CPU) as cal:
            cal.collect("x", a)
            cal.end_pass()
            a *= 0.25
            cal.collect("x", a)
            got = cal.compute()["x"].histogram
        want = np.zeros(2048, np.uint64)
        inv = np.float32(2048) / np.float32(1.0)
        np.add.at(want, np.minimum((np.abs(a) * inv).astype(np.uint32), 2047), 1)
        self.assertTrue(np.array_equal(got, want))

    def test_buffer_protocol_and_array_interface(self):
        vals = np.random.default_rng(2).standard_normal(5000).astype(np.float32)
        ref = self.reference([vals])
        ba = bytearray(vals.tobytes())
        addr = ctypes.addressof((ctypes.c_char * len(ba)).from_buffer(ba))
        arr = array.array("f", vals.tolist())

        class Iface:
            def __init__(self, buf):
                self.buf = buf
                self.__array_interface__ = dict(shape=(len(vals),), typestr="<f4", version=3,
                                                data=(ctypes.addressof(buf), True))
        cbuf = (ctypes.c_float * len(vals)).from_buffer_copy(vals.tobytes())
        for obj, ptr in ((memoryview(ba).cast("f"), addr), (arr, arr.buffer_info()[0]),
                         (Iface(cbuf), ctypes.addressof(cbuf))):
            with self.subTest(type(obj).__name__), FeedSpy() as spy:
                self.assertEqual(self.reference([obj]), ref)
                self.assertEqual(spy.calls[0][0], ptr)

    def test_float64_and_big_endian_are_converted(self):
        vals = np.random.default_rng(3).standard_normal(3000).astype(np.float32)
        ref = self.reference([vals])
        self.assertEqual(self.reference([vals.astype(np.float64)]), ref)
        self.assertEqual(self.reference([vals.astype(">f4")]), ref)

    @classmethod
    def torch_values(cls):
        g = torch.Generator().manual_seed(4)
        return (torch.randn(64, 300, generator=g) * 3).to(torch.bfloat16).to(torch.float32)

    def test_torch_float16_bfloat16_zero_copy(self):
        if torch is None:
            self.skipTest("no torch")
        x32 = self.torch_values()  # values exact in bfloat16 and float16 range
        for dt, code in ((torch.float32, L.VKC_DTYPE_F32), (torch.float16, L.VKC_DTYPE_F16),
                         (torch.bfloat16, L.VKC_DTYPE_BF16)):
            with self.subTest(dtype=dt):
                x = x32.to(dt)
                ref = self.reference([x.float().numpy()])
                with FeedSpy() as spy:
                    self.assertEqual(self.reference([x]), ref)
                self.assertEqual(spy.calls[0], (x.data_ptr(), x.numel(), code))
                with FeedSpy() as spy:
                    self.assertEqual(self.reference([x.t()]), ref)  # transposed: copied, same values
                self.assertNotEqual(spy.calls[0][0], x.data_ptr())

    def test_dlpack(self):
        if torch is None:
            self.skipTest("no torch")

        class OnlyDLPack:  # what another framework's tensor offers
            def __init__(self, t):
                self.t = t

            def __dlpack__(self, stream=None):
                return self.t.__dlpack__()

            def __dlpack_device__(self):
                return self.t.__dlpack_device__()

        x32 = self.torch_values()
        for dt in (torch.float32, torch.float16, torch.bfloat16):
            with self.subTest(dtype=dt):
                x = x32.to(dt)
                ref = self.reference([x.float().numpy()])
                with FeedSpy() as spy:
                    self.assertEqual(self.reference([OnlyDLPack(x)]), ref)
                self.assertEqual(spy.calls[0][0], x.data_ptr())
        self.assertEqual(self.reference([OnlyDLPack(x32.t())]), self.reference([x32.numpy()]))
        with self.assertRaises(TypeError) as e:
            self.reference([OnlyDLPack(x32.to(torch.bfloat16).t())])
        self.assertIn("DLPack", str(e.exception))


class Protocol(C.TempDirCase):
    def test_loader_once_per_pass(self):
        calls = []

        def loader():
            calls.append(1)
            return iter(BATCHES)
        for kw, n in ((dict(), 2), (dict(range="streaming"), 1), (dict(memory_budget=64 << 20), 1),
                      (dict(measure=True), 3), (dict(measure=True, memory_budget=64 << 20), 1)):
            with self.subTest(**kw):
                calls.clear()
                res = vkcalib.calibrate(loader, device="cpu", **kw)
                self.assertEqual(len(calls), n)
                if kw.get("measure"):
                    self.assertGreater(res["input"].quality.sqnr_db, 20)

    def test_streaming_by_hand_and_pieces(self):
        """Pieces of any size, in any order: the same result."""
        ref = vkcalib.calibrate(BATCHES, device="cpu")
        cal = vkcalib.Calibrator(context=CPU)
        for name in BATCHES[0]:
            cal.tensor(name)
        for p in range(2):
            for b in (BATCHES if p == 0 else BATCHES[::-1]):
                for k, v in reversed(list(b.items())):
                    flat = v.ravel()
                    for piece in np.array_split(flat, 3):
                        cal.collect(k, piece)
            cal.end_pass()
        self.assertEqual({k: v.to_dict() for k, v in cal.results().items()}, {k: v.to_dict() for k, v in ref.items()})

    def test_ort_overrides(self):
        with vkcalib.Calibrator(mode="asymmetric", method="max", context=CPU) as cal:
            cal.run(BATCHES)
            ov = cal.to_ort_overrides()
            res = cal.results()
        for name, (o,) in ov.items():
            self.assertIs(type(o["scale"]), np.float32)
            self.assertIs(type(o["zero_point"]), np.int8)
            self.assertEqual(o["quant_type"], "QInt8")
            self.assertEqual(o["scale"], np.float32(res[name].scale))
            self.assertEqual(int(o["zero_point"]), res[name].zero_point)
        with vkcalib.Calibrator(mode="auto", context=CPU) as cal:
            cal.run(BATCHES)
            ov = cal.to_ort_overrides()
        self.assertIs(type(ov["/conv1/Relu_output_0"][0]["zero_point"]), np.uint8)
        self.assertEqual(ov["/conv1/Relu_output_0"][0]["quant_type"], "QUInt8")

    def test_histogram_calibrator(self):
        """HistogramCalibrator: collect per batch, compute_amax by every method == the Calibrator's threshold
        for that method on the same data (exact and streaming), reset()."""
        name = "/layer1/conv/Conv_output_0"
        for rng in ("exact", "streaming"):
            hc = vkcalib.HistogramCalibrator(range=rng, context=CPU)
            for b in BATCHES:
                hc.collect(b[name])
            for method, kw in (("entropy", {}), ("mse", {}), ("percentile", dict(percentile=99.9)), ("max", {})):
                with self.subTest(rng=rng, method=method):
                    r = vkcalib.calibrate([{name: b[name]} for b in BATCHES], method, device="cpu", range=rng, **kw)
                    want = r[name].absmax if method == "max" else r[name].threshold
                    self.assertIsInstance(hc.compute_amax(method, **kw), float)
                    self.assertEqual(hc.compute_amax(method, **kw), want)
            self.assertEqual(hc.compute_amax(), hc.compute_amax("entropy"))
            self.assertEqual(hc.compute_amax("entropy", start_bin=512),
                             vkcalib.calibrate([{name: b[name]} for b in BATCHES], device="cpu", start_bin=512,
                                               range=rng)[name].threshold)
            hc.reset()
            hc.collect(BATCHES[0][name])
            self.assertEqual(hc.compute_amax("max"), float(np.abs(BATCHES[0][name]).max()))
        u = vkcalib.HistogramCalibrator(unsigned=True, context=CPU)
        u.collect(BATCHES[0]["input"])
        with self.assertRaises(vkcalib.InvalidArgumentError):
            u.compute_amax()
        with self.assertRaises(ValueError):
            vkcalib.HistogramCalibrator(num_bits=4)


class FakeSession:
    """What an InferenceSession over an augmented model gives: outputs named after the tensors."""

    class Out:
        def __init__(self, name):
            self.name = name

    def __init__(self):
        self.names = list(BATCHES[0])

    def get_outputs(self):
        return [self.Out(n) for n in self.names]

    def run(self, output_names, feeds):
        b = BATCHES[int(feeds["index"][0])]
        return [b[n] for n in self.names]


class Reader:
    def __init__(self, rewind=True):
        self.k = 0
        if rewind:
            self.rewind = self._rewind

    def get_next(self):
        if self.k >= len(BATCHES):
            return None
        self.k += 1
        return {"index": np.array([self.k - 1])}

    def _rewind(self):
        self.k = 0


class OnnxRuntimeContract(C.TempDirCase):
    def test_create_calibrator(self):
        import vkcalib.ort as ort
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("e.json"), "-q", "--cpu")
        want = {t["name"]: t for t in C.cli_json_tensors(self.path("e.json"))}
        for extra in (dict(), dict(memory_budget=1), dict(range="streaming")):
            with self.subTest(**extra):
                cal = ort.create_calibrator("model.onnx", calibrate_method=ort.CalibrationMethod.Entropy,
                                            extra_options=dict(session=FakeSession(), device="cpu", **extra))
                cal.collect_data(Reader())
                td = cal.compute_data()
                self.assertEqual(td["calibration_method"], "Entropy")
                self.assertEqual(list(td["data"]), list(want))
                for name, d in td["data"].items():
                    self.assertIs(type(d["lowest"]), np.float32)
                    if "range" not in extra:
                        self.assertEqual(d["highest"], np.float32(want[name]["hi"]))
                        self.assertEqual(d["lowest"], np.float32(want[name]["lo"]))
                    self.assertEqual(len(d["bins"]), len(d["hist"]) + 1)
        cal = ort.create_calibrator("m.onnx", calibrate_method="MinMax",
                                    extra_options=dict(session=FakeSession(), device="cpu"))
        cal.collect_data(Reader())
        td = cal.compute_data()["data"]
        for name in want:
            x = np.concatenate([b[name].ravel().astype(np.float32) for b in BATCHES])
            self.assertEqual(td[name]["lowest"], np.float32(min(x.min(), 0)))
            self.assertEqual(td[name]["highest"], np.float32(max(x.max(), 0)))
        cal = ort.create_calibrator("m.onnx", calibrate_method=ort.CalibrationMethod.Entropy,
                                    extra_options=dict(session=FakeSession(), device="cpu", memory_budget=1))
        cal.collect_data(Reader(rewind=False))
        with self.assertRaises(RuntimeError) as e:
            cal.compute_data()
        self.assertIn("rewind", str(e.exception))
        with self.assertRaises(ValueError):
            ort.create_calibrator("m.onnx", calibrate_method="Distribution", extra_options=dict(session=FakeSession()))


class Threads(C.TempDirCase):
    def test_two_calibrators_in_two_threads(self):
        def one(ctx, method, out):
            with vkcalib.Calibrator(method, context=ctx) as cal:
                cal.run(BATCHES)
                out.append(cal.format("json"))

        pairs = [(CPU, vkcalib.Context("cpu"))] + ([(GPU, vkcalib.Context(GPU.device_name.split(" ")[0],
                                                                           validate=True))] if GPU else [])
        for a, b in pairs:
            for method in ("entropy", "mse"):
                with self.subTest(device=a.device_name, method=method):
                    seq = []
                    one(a, method, seq)
                    outs = [[], []]
                    th = [threading.Thread(target=one, args=(c, method, o)) for c, o in zip((a, b), outs)]
                    for t in th:
                        t.start()
                    for t in th:
                        t.join()
                    self.assertEqual(outs, [seq, seq])
            self.assertNoValidation(a)
            self.assertNoValidation(b)
            b.close()

    GIL_CHILD = textwrap.dedent("""
        import ctypes, errno, os, sys, threading, time
        sys.path.insert(0, sys.argv[1])
        import vkcalib
        from vkcalib import _lib as L
        if sys.argv[3] == "pydll":  # the control: a loader that keeps the GIL during calls
            pl = ctypes.PyDLL(L.path)
            for name, (res, args) in L.FUNCTIONS.items():
                f = getattr(pl, name); f.restype = res; f.argtypes = args
            L.lib = pl
        fifo = sys.argv[2]
        os.mkfifo(fifo)
        result = []
        def reader():  # blocks inside the library (fopen of a FIFO) until a writer opens it
            try:
                vkcalib.read_calibration(fifo)
            except OSError as e:
                result.append(str(e))
        t = threading.Thread(target=reader)
        t.start()
        spins = 0
        while True:  # Python code running in this thread while the other is inside the call
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
                spins += 1
                time.sleep(0.001)
        os.close(fd)
        t.join()
        print("released", result[0])
        """)

    def test_gil_released_during_a_call(self):
        """A library call blocks (fopen of a FIFO, inside vkc_calibration_read) until another thread opens
        the FIFO for writing; that thread is Python code, so this completes only if the GIL is released.
        The control loads the library with PyDLL (the GIL held): it must deadlock, so the check can fail."""
        child = self.path("gil.py")
        with open(child, "w") as f:
            f.write(self.GIL_CHILD)
        pkg = os.path.join(C.SOURCE, "python")
        p = subprocess.run([sys.executable, child, pkg, self.path("fifo"), "cdll"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("released", p.stdout)
        self.assertIn("not a regular file", p.stdout)  # the library's own message came back
        with self.assertRaises(subprocess.TimeoutExpired):
            subprocess.run([sys.executable, child, pkg, self.path("fifo2"), "pydll"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=5)


class Installation(C.TempDirCase):
    def run_py(self, code, env=None, cwd=None):
        e = dict(os.environ)
        e.pop("PYTHONPATH", None)
        e.update(env or {})
        return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={k: v for k, v in e.items() if v is not None}, cwd=cwd or self.tmp)

    def test_missing_library_is_a_clear_import_error(self):
        pkg = os.path.join(C.SOURCE, "python")
        p = self.run_py("import vkcalib", dict(PYTHONPATH=pkg, VKCALIB_LIBRARY="/nonexistent/libvkcalib.so.0.2"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ImportError: vkcalib: cannot load libvkcalib", p.stderr)
        self.assertIn("/nonexistent/libvkcalib.so.0.2 (VKCALIB_LIBRARY): no such file", p.stderr)
        # A copy of the package with no build tree beside it and nothing on the loader's path.
        try:
            ctypes.CDLL(L.SONAME)
            on_path = True
        except OSError:
            on_path = False
        shutil.copytree(os.path.join(pkg, "vkcalib"), self.path("alone/vkcalib"),
                        ignore=shutil.ignore_patterns("_install_paths.py", "__pycache__"))
        p = self.run_py("import vkcalib", dict(PYTHONPATH=self.path("alone"), VKCALIB_LIBRARY=None,
                                               LD_LIBRARY_PATH=None))
        if not on_path:
            self.assertIn("ImportError", p.stderr)
            self.assertIn("dynamic loader's search path", p.stderr)
            self.assertIn("Set VKCALIB_LIBRARY", p.stderr)

    def test_pip_install(self):
        if subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("no pip for /usr/bin/python3 (Debian: python3-pip)")
        src = self.path("src")
        shutil.copytree(os.path.join(C.SOURCE, "python"), src,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "_install_paths.py"))
        prefix = self.path("prefix")
        p = subprocess.run(["/usr/bin/python3", "-m", "pip", "install", "--no-build-isolation", "--no-index",
                            "--no-deps", "--disable-pip-version-check", "--no-warn-script-location", "--prefix",
                            prefix, src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=dict(os.environ, PIP_ROOT_USER_ACTION="ignore"))
        self.assertEqual(p.returncode, 0, p.stdout)
        inits = glob.glob(os.path.join(prefix, "**", "vkcalib", "__init__.py"), recursive=True)
        self.assertEqual(len(inits), 1, inits)
        site = os.path.dirname(os.path.dirname(inits[0]))
        code = ("import vkcalib, numpy as np; r = vkcalib.calibrate([{'t': np.arange(-50, 50, dtype=np.float32)}], "
                "'max', device='cpu'); print(vkcalib.__file__, r['t'].threshold)")
        p = self.run_py(code, dict(PYTHONPATH=site))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith(site), p.stdout)
        self.assertIn(" 50.0", p.stdout)
        # python -m vkcalib: the executable beside the library it loaded (here the build tree's).
        p = subprocess.run([sys.executable, "-m", "vkcalib", "--version"], stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, PYTHONPATH=site, VKCALIB_EXECUTABLE=""))
        # "vkcalib 0.2.0", and " (mpi)" after it in an MPI build
        self.assertRegex(p.stdout.strip(), "^vkcalib " + re.escape(vkcalib.version()) + r"( \(mpi\))?$")

    def test_cmake_install(self):
        prefix = self.path("inst")
        p = subprocess.run(["cmake", "--install", C.BUILD, "--prefix", prefix], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        env = dict(PYTHONPATH=site, VKCALIB_LIBRARY=None, VKCALIB_EXECUTABLE=None)
        p = self.run_py("import vkcalib; print(vkcalib.library_path())", env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.realpath(p.stdout.strip()).startswith(os.path.realpath(prefix)), p.stdout)
        # A moved prefix still works: the package records the library relative to itself.
        moved = self.path("moved")
        shutil.move(prefix, moved)
        p = self.run_py("import vkcalib, runpy, sys; print(vkcalib.library_path())",
                        dict(env, PYTHONPATH=os.path.join(moved, "lib", "python3", "dist-packages")))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.strip().startswith(moved), p.stdout)
        p = subprocess.run([sys.executable, "-m", "vkcalib", "--version"], stdout=subprocess.PIPE, text=True,
                           env={k: v for k, v in dict(os.environ, **dict(env, PYTHONPATH=os.path.join(
                               moved, "lib", "python3", "dist-packages"))).items() if v is not None})
        # "vkcalib 0.2.0", and " (mpi)" after it in an MPI build
        self.assertRegex(p.stdout.strip(), "^vkcalib " + re.escape(vkcalib.version()) + r"( \(mpi\))?$")


    def test_readme_quick_start(self):
        """The README's Python quick start runs as written, and its cache equals the CLI's."""
        with open(os.path.join(C.SOURCE, "README.md")) as f:
            text = f.read()
        sec = text[text.index("## Python quick start"):]
        code = sec[sec.index("```python\n") + 10:]
        code = code[:code.index("```")]
        os.symlink(os.path.join(C.SOURCE, "examples"), self.path("examples"))
        p = subprocess.run([sys.executable, "-c", code], cwd=self.tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, PYTHONPATH=os.path.join(C.SOURCE, "python")))
        self.assertEqual(p.returncode, 0, p.stderr)
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("cli.cache"), "-q")
        self.assertSameFile(self.path("model.cache"), self.path("cli.cache"))

if __name__ == "__main__":
    C.main()
