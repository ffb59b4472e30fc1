"""The Python package against the vkcalib executable on the same data: byte-identical calibration files
(TensorRT cache and JSON) for every method and mode, on the CPU backend and on lavapipe (validation layer
on, any message fails), the results' fields equal to the JSON's, vkcalib.search equal to `vkcalib search
--json`, and state files split over shards equal to one run."""

import json
import os
import shutil

import py_common as C
from py_common import np, vkcalib

REGRESS = os.path.join(C.SOURCE, "tests", "regress", "data")
NONNEG = ["/conv1/Relu_output_0", "/attn/Softmax_output_0", "/head/Sigmoid_output_0"]


def setUpModule():
    global BATCHES, DEVICES, CTX
    BATCHES = [C.load_npz(f) for f in C.example_files()]
    lvp = C.lavapipe()
    DEVICES = ["cpu"] + ([lvp] if lvp else [])
    CTX = {d: vkcalib.Context(d, validate=d != "cpu") for d in DEVICES}
    if not lvp:
        print("NOTE: no Vulkan device: the lavapipe half is not run")


def tearDownModule():
    for c in CTX.values():
        c.close()


class Files(C.TempDirCase):
    def calibrate_both(self, device, inputs, batches, cli_args, py, outputs, reverse_second=False):
        """CLI and Python on the same data; compares every output file byte for byte."""
        kw = dict(py)
        write = kw.pop("write", {})
        cal = vkcalib.Calibrator(context=CTX[device], **kw)
        k = [0]

        def loader():
            k[0] += 1
            return list(reversed(batches)) if reverse_second and k[0] > 1 else batches

        res = cal.run(loader)
        tag = "%s %s" % (device, " ".join(cli_args))
        for ext in outputs:
            ours, theirs = self.path("py." + ext), self.path("cli." + ext)
            if ext == "cache":
                cal.write_trt_cache(ours, **write.get("cache", {}))
            else:
                cal.write_json(ours, **write.get("json", {}))
            C.cli("calibrate", *inputs, "-o", theirs, "-q", *cli_args, *C.device_args(device))
            self.assertSameFile(ours, theirs, tag)
            if ext == "json":
                want = C.cli_json_tensors(theirs)
                got = [r.to_dict() for r in res.values()]
                for w, g in zip(want, got):
                    w.pop("histogram", None), w.pop("kl_start", None), w.pop("kl_stride", None)
                    w.pop("kl_curve", None)
                    self.assertEqual(w, g, tag)
                self.assertEqual(len(want), len(got))
        self.assertNoValidation(CTX[device])
        cal.close()
        return res

    def test_every_method_and_mode(self):
        sub = self.path("nonneg")
        os.mkdir(sub)
        for i, b in enumerate(BATCHES):
            np.savez(os.path.join(sub, "batch_%03d.npz" % i), **{k: b[k] for k in NONNEG})
        nonneg = [{k: b[k] for k in NONNEG} for b in BATCHES]
        for device in DEVICES:
            for method in ("entropy", "percentile", "mse", "max"):
                for mode in ("symmetric", "auto", "asymmetric", "unsigned"):
                    if mode == "asymmetric" and method == "percentile":
                        continue
                    with self.subTest(device=device, method=method, mode=mode):
                        args = ["--method", method, "--mode", mode]
                        py = dict(method=method, mode=mode)
                        if mode == "asymmetric":
                            args += ["--bins", "256"]  # every window is searched: keep lavapipe quick
                            py["bins"] = 256
                        inputs, data = ([sub], nonneg) if mode == "unsigned" else ([C.EXAMPLES], BATCHES)
                        outs = ["json"] + (["cache"] if mode == "symmetric" else [])
                        self.calibrate_both(device, inputs, data, args, py, outs,
                                            reverse_second=method == "entropy")

    def test_options(self):
        cases = [
            (["--flavor", "tensorrt"], dict(flavor="tensorrt"), ["cache", "json"], {}),
            (["--method", "percentile", "--percentile", "99.9"], dict(method="percentile", percentile=99.9),
             ["json"], {}),
            (["--start-bin", "192", "--bins", "1024"], dict(start_bin=192, bins=1024), ["json"], {}),
            (["--range", "streaming"], dict(range="streaming"), ["json", "cache"], {}),
            (["--range", "streaming", "--mode", "auto"], dict(range="streaming", mode="auto"), ["json"], {}),
            (["--histograms"], dict(write={"json": dict(histograms=True)}), ["json"], {}),
            (["--trt-version", "10.3.0", "--trt-algo", "MinMaxCalibration", "--method", "max"],
             dict(method="max", write={"cache": dict(trt_version="10.3.0", algo="MinMaxCalibration")}), ["cache"],
             {}),
            # A cache holds symmetric ranges: the CLI searches --mode auto symmetrically for one (it warns).
            (["--mode", "auto", "--envelope"], dict(mode="symmetric", write={"cache": dict(envelope=True)}),
             ["cache"], {}),
            # The data kept in the range pass (read once): the same files.
            ([], dict(memory_budget=64 << 20), ["json", "cache"], {}),
        ]
        for device in DEVICES:
            for args, py, outs, _ in cases:
                with self.subTest(device=device, args=args):
                    self.calibrate_both(device, [C.EXAMPLES], BATCHES, args, py, outs)

    def test_tool_flavors(self):
        """Every tool's flavour from Python == the CLI's file (the image shape ncnn-aciq needs comes from
        the arrays' shapes, Paddle's min |x| from the data; the searches themselves are test_cpu_flavors')."""
        flavors = ["mxnet", "mxnet-uint8", "mxnet-1.5", "tvm", "onnxruntime", "onnxruntime-8001", "ncnn",
                   "ncnn-aciq", "mnn", "paddle", "ppq"]
        for device in DEVICES:
            for f in flavors:
                with self.subTest(device=device, flavor=f):
                    self.calibrate_both(device, [C.EXAMPLES], BATCHES, ["--flavor", f], dict(flavor=f), ["json"])
        # the layout reaches MNN's image size (below 100 pixels MNN keeps the max): (2, 4, 8, 32) is 8x32
        # images as N C H W, 4x8 as N H W C
        x = np.random.default_rng(3).standard_t(3, (2, 4, 8, 32)).astype(np.float32)
        a = vkcalib.calibrate(lambda: [{"x": x}], flavor="mnn", device="cpu")["x"]
        b = vkcalib.calibrate(lambda: [{"x": x}], flavor="mnn", layout="nhwc", device="cpu")["x"]
        self.assertLess(a.threshold, 0.9 * float(np.abs(x).max()))
        # MNN's max is candidate 2047: T = 2047.5 / inv
        self.assertAlmostEqual(b.threshold / (2047.5 / 2048 * float(np.abs(x).max())), 1.0, places=6)
        with self.assertRaisesRegex(vkcalib.Error, "symmetric"):
            vkcalib.calibrate(lambda: BATCHES, flavor="mxnet", mode="asymmetric", device="cpu")

    def test_exclude_nonfinite(self):
        d = os.path.join(REGRESS, "nonfinite")
        data = [C.load_npz(os.path.join(d, f)) for f in sorted(os.listdir(d))]
        for device in DEVICES:
            self.calibrate_both(device, [d], data, ["--exclude-nonfinite"], dict(exclude_nonfinite=True), ["json"])
            cal = vkcalib.Calibrator(context=CTX[device])
            with self.assertRaises(vkcalib.NonFiniteError) as e:
                cal.run(data)
            p = C.cli("calibrate", d, "-o", self.path("x.json"), "-q", *C.device_args(device), check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(str(e.exception), p.stderr)  # the library's message, as the CLI prints it
            self.assertIn("NaN", str(e.exception))
            cal.close()

    def test_unsigned_error_is_the_librarys(self):
        for device in DEVICES:
            with vkcalib.Calibrator(mode="unsigned", context=CTX[device]) as cal:
                with self.assertRaises(vkcalib.InvalidArgumentError) as e:
                    cal.run(BATCHES)
                self.assertEqual(e.exception.tensor, "input")
            p = C.cli("calibrate", C.EXAMPLES, "-o", self.path("u.json"), "--mode", "unsigned", "-q",
                      *C.device_args(device), check=False)
            self.assertIn(str(e.exception), p.stderr)

    def test_search(self):
        with vkcalib.Calibrator(context=CTX["cpu"]) as cal:
            res = cal.run(BATCHES)
        x = np.concatenate([b["block2:act"].ravel() for b in BATCHES])
        signed, _ = np.histogram(x, bins=512, range=(float(x.min()), float(x.max())))
        for device in DEVICES:
            for name in ("input", "/conv1/Relu_output_0", "/fc/Gemm_output_0"):
                r = res[name]
                counts = self.path("counts.npy")
                np.save(counts, r.histogram)
                for method in ("entropy", "percentile", "mse", "max"):
                    for mode in ("symmetric", "unsigned"):
                        with self.subTest(device=device, tensor=name, method=method, mode=mode):
                            got = vkcalib.search(r.histogram, r.hist_hi, method=method, mode=mode,
                                                 context=CTX[device])
                            p = C.cli("search", "--counts", counts, "--range-max", repr(r.hist_hi), "--method", method,
                                      "--mode", mode, "--json", *C.device_args(device))
                            self.assertEqual(json.loads(p.stdout), got.to_dict())
            # torch.histc-style float counts, and a histogram of x for the two-sided searches.
            np.save(self.path("signed.npy"), signed)
            for method in ("entropy", "mse", "max"):
                with self.subTest(device=device, method=method, mode="asymmetric"):
                    got = vkcalib.search(signed.astype(np.float32), float(x.max()), method=method, mode="asymmetric",
                                         range_min=float(x.min()), context=CTX[device])
                    p = C.cli("search", "--counts", self.path("signed.npy"), "--range-max", repr(float(x.max())),
                              "--range-min", repr(float(x.min())), "--mode", "asymmetric", "--method", method,
                              "--json", *C.device_args(device))
                    self.assertEqual(json.loads(p.stdout), got.to_dict())
            self.assertNoValidation(CTX[device])

    def test_states_split_over_shards(self):
        """Range states of two shards (one per device where there are two), merged; histogram states over
        the merged ranges, merged; the search from the merged state equals one CLI run byte for byte."""
        shards = [BATCHES[0::2], BATCHES[1::2]]
        devs = [DEVICES[0], DEVICES[-1]]
        paths = []
        for k, (sh, dev) in enumerate(zip(shards, devs)):
            with vkcalib.Calibrator(context=CTX[dev]) as cal:
                for b in sh:
                    cal.collect(b)
                cal.save_state(self.path("range_%d.vkch" % k))
            paths.append(self.path("range_%d.vkch" % k))
        vkcalib.merge_states(paths, self.path("ranges.vkch"))
        hist = []
        for k, (sh, dev) in enumerate(zip(shards, devs)):
            with vkcalib.Calibrator(context=CTX[dev]) as cal:
                cal.load_state(self.path("ranges.vkch"))
                self.assertEqual(cal.current_pass, "histogram")
                for b in sh:
                    cal.collect(b)
                cal.save_state(self.path("hist_%d.vkch" % k))
            hist.append(self.path("hist_%d.vkch" % k))
        vkcalib.merge_states(hist[::-1], self.path("hist.vkch"))
        for method in ("entropy", "mse"):
            with vkcalib.Calibrator(method, context=CTX["cpu"]) as cal:
                cal.load_state(self.path("hist.vkch"), want="histogram")
                cal.compute()
                cal.write_trt_cache(self.path("state.cache"))
                cal.write_json(self.path("state.json"))
            for ext in ("cache", "json"):
                C.cli("calibrate", C.EXAMPLES, "-o", self.path("full." + ext), "--method", method, "-q", "--cpu")
                self.assertSameFile(self.path("state." + ext), self.path("full." + ext), method)
        # The CLI merges Python's state files too, and calibrates from them.
        C.cli("merge", *hist, "-o", self.path("hist_cli.vkch"))
        C.cli("calibrate", "--from-state", self.path("hist_cli.vkch"), "-o", self.path("cli_state.cache"), "-q")
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("full_entropy.cache"), "-q", "--cpu")
        self.assertSameFile(self.path("cli_state.cache"), self.path("full_entropy.cache"))

    def test_in_process_merge(self):
        """merge/adopt: two calibrators (two devices where there are two) share the batches exactly."""
        a = vkcalib.Calibrator(context=CTX[DEVICES[0]])
        b = vkcalib.Calibrator(context=CTX[DEVICES[-1]])
        for cal in (a, b):
            for name in BATCHES[0]:
                cal.tensor(name)
        for p in range(2):
            for i, batch in enumerate(BATCHES):
                (a if i % 2 == 0 else b).collect(batch)
            a.merge(b)
            a.end_pass()
            if p == 0:
                b.adopt(a)
        a.write_json(self.path("merged.json"))
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("one.json"), "-q", "--cpu")
        self.assertSameFile(self.path("merged.json"), self.path("one.json"))
        a.close(), b.close()

    def test_read_calibration(self):
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("a.json"), "-q", "--cpu", "--mode", "auto")
        C.cli("calibrate", C.EXAMPLES, "-o", self.path("a.cache"), "-q", "--cpu")
        j = vkcalib.read_calibration(self.path("a.json"))
        self.assertEqual([r.to_dict() for r in j.values()], C.cli_json_tensors(self.path("a.json")))
        self.assertEqual(j.settings["mode"], "auto")
        j.write(self.path("b.json"))
        self.assertSameFile(self.path("a.json"), self.path("b.json"))
        c = vkcalib.read_calibration(self.path("a.cache"))
        self.assertEqual(list(c), list(j))
        c.write(self.path("b.cache"), "trt")
        self.assertSameFile(self.path("a.cache"), self.path("b.cache"))
        self.assertIsNone(c["input"].threshold if not (c["input"].known & 1) else None)
        with self.assertRaises(vkcalib.FormatError):
            vkcalib.parse_calibration(b"{ not json", "bad.json")


if __name__ == "__main__":
    C.main()
