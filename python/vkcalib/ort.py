"""ONNX Runtime: vkcalib behind create_calibrator's contract, for quantize_static users.

    import vkcalib.ort
    vkcalib.ort.install()    # quantize_static now calibrates with vkcalib
    quantize_static(model_in, model_out, reader, calibrate_method=CalibrationMethod.Entropy, ...)

or directly:

    cal = vkcalib.ort.create_calibrator(model_path, calibrate_method="Entropy")
    cal.collect_data(reader)             # a CalibrationDataReader: get_next() -> {input: array} or None
    ranges = cal.compute_data()          # TensorsData (plain dicts without onnxruntime)

What ORT's calibrators do differently: they keep every intermediate output of every batch in memory and
histogram them in numpy; this one feeds each output to vkcalib as it comes (exact mode keeps copies only up
to memory_budget, and otherwise reads the data reader again through its rewind()).

The activations come from an inference session over a model that outputs every tensor to calibrate.
With onnxruntime and onnx installed, the model is augmented as ORT's own calibrators do (each float tensor
of the selected op types becomes a graph output) and run on CPUExecutionProvider (set_execution_providers
changes it). Without them, extra_options["session"] takes any object with run(None, feeds) and
get_outputs() (names), as an InferenceSession has: that is how the contract is tested on Debian, which has
no onnxruntime.
"""

import enum

from ._core import Calibrator


class CalibrationMethod(enum.Enum):
    """ONNX Runtime's enum, for when onnxruntime is not installed (the same names)."""
    MinMax = 0
    Entropy = 1
    Percentile = 2
    Distribution = 3


def _ort():
    try:
        import onnxruntime.quantization.calibrate as c
        return c
    except Exception:
        return None


def _method_name(m):
    name = getattr(m, "name", m)
    if isinstance(name, str):
        for k in ("MinMax", "Entropy", "Percentile", "Distribution"):
            if name.lower() == k.lower():
                return k
    raise ValueError("calibrate_method: MinMax, Entropy or Percentile, not %r" % (m,))


class VkcalibCalibrater:
    """The calibrator create_calibrator returns: collect_data(data_reader), compute_data() -> TensorsData,
    augment_graph(), create_inference_session(), set_execution_providers(), as ONNX Runtime's have."""

    def __init__(self, model_path, op_types_to_calibrate=None, augmented_model_path="augmented_model.onnx",
                 calibrate_method=CalibrationMethod.MinMax, use_external_data_format=False, extra_options=None):
        opts = dict(extra_options or {})
        self.model_path = model_path
        self.op_types_to_calibrate = op_types_to_calibrate
        self.augmented_model_path = augmented_model_path
        self.use_external_data_format = use_external_data_format
        self.method_name = _method_name(calibrate_method)
        self.calibrate_method = calibrate_method
        self.execution_providers = ["CPUExecutionProvider"]
        symmetric = opts.pop("symmetric", self.method_name == "Percentile")
        if self.method_name == "Distribution":
            raise ValueError("calibrate_method Distribution (float 8) is not a vkcalib method")
        method = opts.pop("vkcalib_method", {"MinMax": "max", "Entropy": "entropy", "Percentile": "percentile"}[
            self.method_name])
        # ORT's MinMax keeps the min and max of x: mode asymmetric with method max gives exactly that.
        default_mode = "symmetric" if symmetric else ("asymmetric" if method in ("max", "mse") else "symmetric")
        mode = opts.pop("mode", default_mode)
        bins = opts.pop("num_bins", opts.pop("bins", 2048))
        opts.pop("num_quantized_bins", None)  # the levels follow from the mode (128 int8, 256 uint8)
        opts.pop("moving_average", None), opts.pop("averaging_constant", None)
        opts.pop("max_intermediate_outputs", None), opts.pop("scenario", None)
        self.session = opts.pop("session", None)
        self.tensors = opts.pop("tensors", None)
        opts.setdefault("memory_budget", 2 << 30)
        self._readers = []
        self.calibrator = Calibrator(method, mode, bins=int(bins), **opts)
        self.model_original_outputs = set()

    # -- ORT's steps
    def augment_graph(self):
        """Adds every float tensor of the selected op types as a graph output (as ORT's HistogramCalibrater
        does) and saves the model to augmented_model_path. Needs the onnx package."""
        import onnx
        model = onnx.shape_inference.infer_shapes(onnx.load(str(self.model_path)))
        g = model.graph
        self.model_original_outputs = {o.name for o in g.output}
        vi = {v.name: v for v in list(g.value_info) + list(g.output) + list(g.input)}
        inits = {i.name for i in g.initializer}
        floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
        chosen = []
        for node in g.node:
            if self.op_types_to_calibrate and node.op_type not in self.op_types_to_calibrate:
                continue
            for t in list(node.input) + list(node.output):
                v = vi.get(t)
                if (v is not None and t not in inits and t not in chosen and v.type.HasField("tensor_type")
                        and v.type.tensor_type.elem_type in floats):
                    chosen.append(t)
        for t in chosen:
            if t not in self.model_original_outputs:
                g.output.append(vi[t])
        self.tensors = chosen
        onnx.save(model, str(self.augmented_model_path), save_as_external_data=self.use_external_data_format)

    def create_inference_session(self):
        import onnxruntime
        so = onnxruntime.SessionOptions()
        so.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = onnxruntime.InferenceSession(str(self.augmented_model_path), sess_options=so,
                                                    providers=self.execution_providers)

    def set_execution_providers(self, execution_providers=("CPUExecutionProvider",)):
        self.execution_providers = list(execution_providers)
        self.create_inference_session()

    # -- data
    def _run_reader(self, reader):
        names = [o.name for o in self.session.get_outputs()]
        want = set(self.tensors) if self.tensors is not None else None
        while True:
            feeds = reader.get_next()
            if not feeds:
                break
            outs = self.session.run(None, feeds)
            for n, v in zip(names, outs):
                if want is None or n in want:
                    self.calibrator.collect(n, v)

    def collect_data(self, data_reader):
        """Runs the session over data_reader (get_next() until None) and feeds every output to vkcalib."""
        if self.session is None:
            raise RuntimeError("no inference session: install onnxruntime and onnx, or pass "
                               "extra_options={'session': ...} (an object with run() and get_outputs())")
        self._readers.append(data_reader)
        self._run_reader(data_reader)

    def compute_data(self):
        """The ranges: TensorsData (onnxruntime installed) or {"calibration_method": name, "data": {tensor:
        {"lowest", "highest", "hist", "bins"}}} with numpy float32 lowest/highest (the range vkcalib chose:
        [-T, T], [0, T] or [lo, hi]), the histogram searched and its bin edges."""
        import numpy as np
        cal = self.calibrator
        if cal.current_pass == "range":
            if cal.end_pass() == "histogram":  # the data did not fit in memory_budget: read it again
                for r in self._readers:
                    if not hasattr(r, "rewind"):
                        raise RuntimeError("the activations did not fit in memory_budget and the data reader has "
                                           "no rewind(): give it one, raise extra_options['memory_budget'], or "
                                           "use extra_options['range'] = 'streaming'")
                    r.rewind()
                    self._run_reader(r)
        res = cal.compute()
        data = {}
        for name, r in res.items():
            d = {"lowest": np.float32(r.lo), "highest": np.float32(r.hi)}
            if r.histogram is not None:
                d["hist"] = r.histogram.astype(np.int64)
                d["bins"] = np.linspace(r.hist_lo, r.hist_hi, r.bins + 1, dtype=np.float32)
            data[name] = d
        c = _ort()
        if c is None:
            return {"calibration_method": self.method_name, "data": data}
        method = getattr(c.CalibrationMethod, self.method_name)
        return c.TensorsData(method, {k: c.TensorData(**v) for k, v in data.items()})


def create_calibrator(model, op_types_to_calibrate=None, augmented_model_path="augmented_model.onnx",
                      calibrate_method=CalibrationMethod.MinMax, use_external_data_format=False, extra_options={}):
    """ONNX Runtime's create_calibrator, calibrating with vkcalib. extra_options takes ORT's (symmetric,
    num_bins, percentile; the others are accepted and ignored) and vkcalib's (vkcalib_method, mode, flavor,
    range, memory_budget, device, exclude_nonfinite, session, tensors)."""
    cal = VkcalibCalibrater(model, op_types_to_calibrate, augmented_model_path, calibrate_method,
                            use_external_data_format, extra_options)
    if cal.session is None:
        cal.augment_graph()
        cal.create_inference_session()
    return cal


def install():
    """Makes onnxruntime.quantization.quantize_static use create_calibrator above (one line to switch)."""
    import onnxruntime.quantization.quantize as q
    q.create_calibrator = create_calibrator
