"""Contexts, the calibrator, results, the threshold search and calibration files.

One module of about 900 lines on purpose: these classes mirror one C object family each
(vkc_context, vkc_calibrator, vkc_calibration, vkc_search) and share the ctypes conversions of
_lib.py; the adapters (histogram.py, torch.py, ort.py, _onnx.py) and the array intake (_array.py)
are modules of their own."""

import ctypes
import math
import os
import threading
from ctypes import byref, c_char_p, c_double, c_int, c_size_t, c_uint32, c_void_p

from . import _lib as L
from ._array import host_array
from ._errors import Error, WrongPassError, check_msg, error

PASS_NAMES = {L.VKC_PASS_RANGE: "range", L.VKC_PASS_HISTOGRAM: "histogram", L.VKC_PASS_STREAM: "stream",
              L.VKC_PASS_MEASURE: "measure", L.VKC_PASS_DONE: "done"}
_PASS_BY_NAME = {v: k for k, v in PASS_NAMES.items()}
_FEATURES = {"subgroup": L.VKC_FEATURE_SUBGROUP_ARITHMETIC, "shared": L.VKC_FEATURE_SHARED_HISTOGRAM,
             "timestamp": L.VKC_FEATURE_TIMESTAMPS, "import": L.VKC_FEATURE_HOST_IMPORT}
_WARNINGS = {L.VKC_WARNING_NONFINITE_EXCLUDED: "nonfinite_excluded", L.VKC_WARNING_FLOORED: "floored",
             L.VKC_WARNING_FALLBACK: "fallback", L.VKC_WARNING_TOOL: "tool", L.VKC_WARNING_CLIPPED: "clipped",
             L.VKC_WARNING_LOW_SQNR: "low_sqnr"}
UINT32_MAX = 0xFFFFFFFF


def version():
    """The loaded library's version ("0.2.0")."""
    return L.text(L.lib.vkc_version())


def library_path():
    """The path of the libvkcalib the package loaded."""
    return L.path


def _parse(kind, value, allow_none_default=None):
    """A method, mode or flavor name through the library's own parser (the CLI's names)."""
    if value is None:
        return allow_none_default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    out = c_int(0)
    fn = {"method": L.lib.vkc_method_parse, "mode": L.lib.vkc_mode_parse, "flavor": L.lib.vkc_flavor_parse}[kind]
    if not fn(L.encode(value), byref(out)):
        names = {"method": "entropy, percentile, mse or max", "mode": "symmetric, unsigned, asymmetric or auto",
                 "flavor": ", ".join(L.text(L.lib.vkc_flavor_name(f)) for f in range(L.VKC_FLAVOR_COUNT))}[kind]
        raise ValueError("%s: %s, not %r" % (kind, names, value))
    return out.value


def method_name(m):
    return L.text(L.lib.vkc_method_name(m))


def mode_name(m):
    return L.text(L.lib.vkc_mode_name(m))


def flavor_name(f):
    return L.text(L.lib.vkc_flavor_name(f))


def _json_number(v):
    """A double as the library's JSON writer gives it back to a JSON reader: NaN and infinities are null."""
    return v if math.isfinite(v) else None


# ---- devices and contexts ----------------------------------------------------

def devices():
    """The Vulkan devices vkcalib can use, as dicts (index, name, type, uuid, driver, is_default, ...); [] when
    the system has no Vulkan loader."""
    msg = L.vkc_msg()
    n = c_uint32(0)
    s = L.lib.vkc_enumerate_devices(None, byref(n), byref(msg))
    if s == L.VKC_ERROR_NO_VULKAN:
        return []
    check_msg(s, msg)
    caps = (L.vkc_device_caps * max(n.value, 1))()
    s = L.lib.vkc_enumerate_devices(caps, byref(n), byref(msg))
    check_msg(s, msg)
    types = {0: "other", 1: "integrated", 2: "discrete", 3: "virtual", 4: "cpu"}
    out = []
    for c in caps[:n.value]:
        out.append(dict(index=c.index, name=L.text(c.name), type=types.get(c.type, str(c.type)),
                        uuid="%s" % "-".join(bytes(c.uuid).hex()[a:b] for a, b in ((0, 8), (8, 12), (12, 16),
                                                                                    (16, 20), (20, 32))),
                        driver_name=L.text(c.driver_name), driver_info=L.text(c.driver_info),
                        vendor_id=c.vendor_id, device_id=c.device_id, subgroup_size=c.subgroup_size,
                        host_import=bool(c.host_import), is_default=bool(c.is_default)))
    return out


class Context:
    """A vkc_context: one device (a Vulkan GPU, or the native CPU backend) with its own queues and buffers.

    device: None (VKCALIB_DEVICE, else the default rule: first discrete GPU, else integrated, else virtual,
    else the CPU backend), "cpu" (the native CPU backend), or a Vulkan device index, UUID or name substring
    ("llvmpipe" for lavapipe). validate=True turns on the Khronos validation layer (VKCALIB_VALIDATE=1 does
    too); disable masks optional GPU features ("subgroup", "shared", "timestamp", "import").

    A context is used by one thread at a time; this object serialises the calls made through it with a
    lock, so sharing one between threads is safe (if not parallel). Different contexts run in parallel."""

    def __init__(self, device=None, *, validate=None, cpu_threads=0, disable=()):
        info = L.vkc_context_info()
        info.sType = L.VKC_STRUCTURE_TYPE_CONTEXT_INFO
        self._device_arg = None
        if device is None:
            info.backend = L.VKC_BACKEND_AUTO
        elif isinstance(device, str) and device == "cpu":
            info.backend = L.VKC_BACKEND_CPU
        else:
            info.backend = L.VKC_BACKEND_VULKAN
            self._device_arg = L.encode(device)
            info.device = self._device_arg
        info.validate = 1 if validate else 0
        info.cpu_threads = int(cpu_threads)
        mask = 0
        if isinstance(disable, int):
            mask = disable
        else:
            for f in ([disable] if isinstance(disable, str) else disable):
                if f not in _FEATURES:
                    raise ValueError("disable: %s, not %r" % (", ".join(_FEATURES), f))
                mask |= _FEATURES[f]
        info.disable_features = mask
        self.lock = threading.RLock()
        self._h = c_void_p()
        msg = L.vkc_msg()
        check_msg(L.lib.vkc_context_create(byref(info), byref(self._h), byref(msg)), msg)

    @property
    def handle(self):
        if not self._h:
            raise ValueError("the context is closed")
        return self._h

    @property
    def device_name(self):
        """"cpu" or the Vulkan device's name."""
        return L.text(L.lib.vkc_context_device_name(self.handle))

    @property
    def is_cpu(self):
        return bool(L.lib.vkc_context_is_cpu(self.handle))

    def validation_counts(self):
        """(warnings, errors) the validation layer reported so far ((0, 0) without validation)."""
        w, e = c_uint32(0), c_uint32(0)
        L.lib.vkc_context_validation_counts(self.handle, byref(w), byref(e))
        return w.value, e.value

    def validation_first(self):
        """The first validation message ("" when none)."""
        return L.text(L.lib.vkc_context_validation_first(self.handle))

    def error_message(self):
        return L.text(L.lib.vkc_context_error(self.handle))

    def close(self):
        h, self._h = getattr(self, "_h", None), c_void_p()
        if h and L is not None and L.lib is not None:
            with self.lock:
                L.lib.vkc_context_destroy(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<vkcalib.Context %s>" % (self.device_name if self._h else "closed")


_default_contexts = {}
_default_lock = threading.Lock()


def _default_context(device):
    """One shared context per device selector, for the calls that need one only briefly (search)."""
    key = device if device is None or isinstance(device, str) else str(device)
    with _default_lock:
        ctx = _default_contexts.get(key)
        if ctx is None:
            ctx = _default_contexts[key] = Context(device)
        return ctx


# ---- results -----------------------------------------------------------------

class Quality:
    """A measure pass's numbers for one tensor: signal, noise, count, clipped, sqnr_db, clipped_fraction."""

    __slots__ = ("signal", "noise", "count", "clipped", "sqnr_db", "clipped_fraction")

    def __init__(self, q):
        self.signal, self.noise, self.count, self.clipped = q.signal, q.noise, q.count, q.clipped
        self.sqnr_db = L.lib.vkc_quality_sqnr_db(byref(q))
        self.clipped_fraction = q.clipped / q.count if q.count else 0.0

    def __repr__(self):
        return "Quality(sqnr_db=%.3f, clipped=%d of %d)" % (self.sqnr_db, self.clipped, self.count)


class TensorResult:
    """One tensor's calibration, with the fields of the CLI's JSON (`vkcalib calibrate -o x.json`) as
    attributes: name, method, mode, int_type ("int8"/"uint8"), threshold, lo, hi, scale, zero_point, amax,
    min, max, absmax, elements, finite, zeros, nan, pos_inf, neg_inf, bins, bin_width, i, window_a and
    window_b (asymmetric mode, else None), kl (entropy) or mse (mse), fallback, fallback_reason,
    tool_warning (what the tool itself would do, for a tool's flavour), warnings, guard (the quality
    guards' numbers). Beside them: cache_scale (the float32 scale a TensorRT cache holds), floored,
    candidates, inf_candidates,
    reevaluated, histogram (the counts searched, a numpy uint64 array, when known), hist_kind, hist_lo,
    hist_hi, quality (a Quality after a measure pass, else None). Parts a source does not hold (a TensorRT
    cache holds scales only) are None. to_dict() gives exactly the JSON's tensor object."""

    def __init__(self, r, settings=None):
        f = r.fields
        self.name = L.text(r.name)
        self.known = f
        rng, st, se = f & L.VKC_RESULT_RANGE, f & L.VKC_RESULT_STATS, f & L.VKC_RESULT_SEARCH
        self.method = method_name(r.method) if se or rng else None
        self.mode = mode_name(r.mode) if rng else None
        self.int_type = ("uint8" if r.int_type == L.VKC_UINT8 else "int8") if rng else None
        self.threshold = r.threshold if rng else None
        self.lo = r.lo if rng else None
        self.hi = r.hi if rng else None
        self.scale = r.scale if rng else None
        self.zero_point = r.zero_point if rng else None
        self.amax = r.amax
        self.cache_scale = ctypes.c_float.from_buffer_copy(ctypes.c_uint32(r.cache_scale_bits)).value
        self.floored = bool(r.floored)
        self.warnings = tuple(n for b, n in _WARNINGS.items() if r.warnings & b)
        s = r.stats
        self.min = s.min if st else None
        self.max = s.max if st else None
        self.absmax = s.absmax if st else None
        self.elements = s.count + s.nan + s.pos_inf + s.neg_inf if st else None
        self.finite = s.count if st else None
        self.zeros = s.zeros if st else None
        self.nan = s.nan if st else None
        self.pos_inf = s.pos_inf if st else None
        self.neg_inf = s.neg_inf if st else None
        sp = r.spec
        self.bins = sp.bins if se else None
        self.bin_width = (float(sp.hi) - float(sp.lo)) / sp.bins if se and sp.bins else None
        self.hist_kind = ("abs" if sp.kind == L.VKC_HIST_ABS else "signed") if se else None
        self.hist_lo = sp.lo if se else None
        self.hist_hi = sp.hi if se else None
        sr = r.search
        asym = rng and r.mode == L.VKC_MODE_ASYMMETRIC
        self.i = sr.i if se else None
        self.window_a = sr.window_a if se and asym else None
        self.window_b = sr.window_b if se and asym else None
        self.kl = sr.kl if se and r.method == L.VKC_METHOD_ENTROPY else None
        self.mse = sr.kl if se and r.method == L.VKC_METHOD_MSE else None
        self.fallback = bool(sr.fallback) if se else None
        self.fallback_reason = L.text(sr.message) if se and sr.fallback else None
        self.tool_warning = L.text(sr.message) if se and sr.tool_warning else None
        self.candidates = sr.candidates if se else None
        self.inf_candidates = sr.inf_candidates if se else None
        self.reevaluated = sr.reevaluated if se else None
        self.histogram = None
        if se and r.counts and sp.bins:
            try:
                import numpy as np
                self.histogram = np.ctypeslib.as_array(r.counts, shape=(sp.bins,)).copy()
            except ImportError:  # pragma: no cover
                self.histogram = [r.counts[k] for k in range(sp.bins)]
        self.quality = Quality(r.quality) if f & L.VKC_RESULT_QUALITY else None
        g = r.guard
        self.guard = None
        if f & L.VKC_RESULT_GUARD:
            self.guard = dict(clipped=g.clipped, sqnr_db=g.sqnr_db, best_method=method_name(g.best_method),
                              best_sqnr_db=g.best_sqnr_db, best_lo=g.best_lo, best_hi=g.best_hi,
                              max_clipped=g.max_clipped, max_sqnr_gap_db=g.max_sqnr_gap_db)

    @property
    def flagged(self):
        """True when a quality guard flagged the range (warnings "clipped" or "low_sqnr")."""
        return "clipped" in self.warnings or "low_sqnr" in self.warnings

    def to_dict(self):
        """The tensor object of the CLI's JSON: the same keys in the same order, numbers as a JSON reader
        reads them back (NaN and infinities as None)."""
        d = {}
        for k in ("name", "method", "mode", "int_type", "threshold", "lo", "hi", "scale", "zero_point", "amax",
                  "min", "max", "absmax", "elements", "finite", "zeros", "nan", "pos_inf", "neg_inf", "bins",
                  "bin_width", "i"):
            d[k] = getattr(self, k)
        if self.mode == "asymmetric":
            d["window_a"], d["window_b"] = self.window_a, self.window_b
        if self.method == "entropy":
            d["kl"] = self.kl
        elif self.method == "mse":
            d["mse"] = self.mse
        d["fallback"] = self.fallback
        if self.fallback:
            d["fallback_reason"] = self.fallback_reason
        if self.tool_warning:
            d["tool_warning"] = self.tool_warning
        if self.warnings:
            d["warnings"] = list(self.warnings)
        if self.guard is not None and self.flagged:
            d["guard"] = {k: (_json_number(v) if isinstance(v, float) else v) for k, v in self.guard.items()}
        return {k: (_json_number(v) if isinstance(v, float) else v) for k, v in d.items()}

    def __repr__(self):
        return ("TensorResult(%r, %s %s: threshold=%.9g, range [%.9g, %.9g], scale=%.9g, zero_point=%s, %s)"
                % (self.name, self.method, self.mode, self.threshold or 0.0, self.lo or 0.0, self.hi or 0.0,
                   self.scale or 0.0, self.zero_point, self.int_type))


class Calibration(dict):
    """{tensor name: TensorResult} in the calibration's order, plus .settings (a dict of the settings a JSON
    records: method, mode, flavor, bins, start_bin, stride, percentile, exclude_nonfinite, range, source)."""

    settings = None


def _settings_dict(s):
    return dict(source={0: "calibrator", 1: "json", 2: "trt_cache", 3: "state_range",
                        4: "state_histogram"}.get(s.source, s.source),
                method=method_name(s.method), mode=mode_name(s.mode), flavor=flavor_name(s.flavor), bins=s.bins,
                start_bin=s.start_bin, stride=s.stride, percentile=s.percentile,
                exclude_nonfinite=s.nonfinite == L.VKC_NONFINITE_EXCLUDE,
                range="streaming" if s.range == L.VKC_RANGE_STREAMING else "exact",
                trt_version=s.trt_version or None, trt_algo=L.text(s.trt_algo) if s.trt_algo else None,
                producer=L.text(s.producer) if s.producer else None)


def _calibration_of(h):
    out = Calibration()
    out.settings = _settings_dict(L.lib.vkc_calibration_get_settings(h).contents)
    for t in range(L.lib.vkc_calibration_count(h)):
        r = TensorResult(L.lib.vkc_calibration_tensor(h, t).contents)
        # A cache may list a name twice; the dict keeps the last line's value, as TensorRT does.
        out[r.name] = r
    return out


def _write_info(trt_version=None, algo=None, envelope=False, histograms=False):
    wi = L.vkc_write_info()
    wi.sType = L.VKC_STRUCTURE_TYPE_WRITE_INFO
    if trt_version is not None:
        v = ctypes.c_uint32(0)
        if isinstance(trt_version, int) and not isinstance(trt_version, bool):
            trt_version = str(trt_version)
        if not L.lib.vkc_trt_version_parse(L.encode(trt_version), byref(v)):
            raise ValueError("trt_version: like '8.6.1', '10.3.0' or 8601, not %r" % (trt_version,))
        wi.trt_version = v.value
    keep = L.encode(algo) if algo else None
    wi.trt_algo = keep
    wi.envelope = 1 if envelope else 0
    wi.histograms = 1 if histograms else 0
    return wi, keep


def _format(h, fmt, wi):
    fmt_id = _format_id(fmt)
    buf, n, msg = c_void_p(), c_size_t(0), L.vkc_msg()
    check_msg(L.lib.vkc_calibration_format(h, fmt_id, byref(wi), byref(buf), byref(n), byref(msg)), msg)
    try:
        return ctypes.string_at(buf, n.value).decode("utf-8")
    finally:
        L.lib.vkc_free(buf)


def _format_id(fmt):
    if fmt in ("trt", "cache", "trt_cache", L.VKC_FORMAT_TRT_CACHE):
        return L.VKC_FORMAT_TRT_CACHE
    if fmt in ("json", L.VKC_FORMAT_JSON):
        return L.VKC_FORMAT_JSON
    raise ValueError("format: 'trt' or 'json', not %r" % (fmt,))


def _write(h, path, fmt, wi):
    msg = L.vkc_msg()
    check_msg(L.lib.vkc_calibration_write(h, L.fspath(path), _format_id(fmt), byref(wi), byref(msg)), msg)


class CalibrationFile(Calibration):
    """A calibration read from a vkcalib JSON or a TensorRT cache (read_calibration); it can be written
    again in either format (a cache holds symmetric scales only)."""

    def __init__(self, handle):
        c = _calibration_of(handle)
        super().__init__(c)
        self.settings = c.settings
        self._h = handle

    def format(self, fmt="json", **kw):
        wi, _keep = _write_info(**kw)
        return _format(self._h, fmt, wi)

    def write(self, path, fmt="json", **kw):
        wi, _keep = _write_info(**kw)
        _write(self._h, path, fmt, wi)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h and L is not None and L.lib is not None:
            L.lib.vkc_calibration_free(h)


def read_calibration(path):
    """Reads a vkcalib calibration JSON or a TensorRT calibration cache (told apart by content) into a
    {name: TensorResult} dict (a CalibrationFile)."""
    h, msg = c_void_p(), L.vkc_msg()
    check_msg(L.lib.vkc_calibration_read(L.fspath(path), byref(h), byref(msg)), msg)
    return CalibrationFile(h)


def parse_calibration(data, name="<memory>"):
    """The same as read_calibration for bytes or str."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    h, msg = c_void_p(), L.vkc_msg()
    check_msg(L.lib.vkc_calibration_parse(data, len(data), L.encode(name), byref(h), byref(msg)), msg)
    return CalibrationFile(h)


def merge_states(paths, out):
    """Adds state files of one round (Calibrator.save_state on shards) into out, exactly (vkcalib merge)."""
    paths = [L.fspath(p) for p in paths]
    if not paths:
        raise ValueError("merge_states: no state files")
    arr = (c_char_p * len(paths))(*paths)
    msg = L.vkc_msg()
    check_msg(L.lib.vkc_state_merge_files(arr, len(paths), L.fspath(out), byref(msg)), msg)


# ---- the calibrator ----------------------------------------------------------

class Calibrator:
    """The whole calibration of a set of activation tensors (vkc_calibrator), pass by pass.

    Settings are the CLI's: method ("entropy", "percentile", "mse", "max"), mode ("symmetric", "unsigned",
    "auto", "asymmetric"), flavor ("modelopt" or "tensorrt"; None is modelopt; or a tool's own entropy,
    as `vkcalib compare` lists: "mxnet", "onnxruntime", "ncnn", "ppq"... with that tool's bins, modes and
    arithmetic), bins (None: the flavour's own), layout ("nchw" or "nhwc": which dimensions of 4-D arrays are
    H and W, for the flavours that use the image size), start_bin, stride, percentile, exclude_nonfinite (NaN/Inf are an error otherwise), range ("exact": a range pass, then a
    histogram pass over [0, absmax], which reproduces the reference; "streaming": one pass over a
    power-of-two range that doubles as needed), measure (a last pass that fake-quantizes the data and
    records SQNR), memory_budget (bytes of host arrays the range pass may keep, so that the histogram pass
    needs no second reading of the data). The device is a Context or a selector for one (see Context).

    Protocol: feed every batch of every tensor with collect(name, array) (or collect({name: array})) in the
    pass current_pass names, then end_pass(); repeat until "done". run(batches) does that loop, calling
    batches() once per pass; compute() ends the last pass and returns the results. An exact calibration
    needs the data twice: both passes must see the same values (any order, any batch sizes)."""

    def __init__(self, method="entropy", mode="symmetric", flavor=None, bins=None, *, start_bin=128, stride=1,
                 percentile=99.99, exclude_nonfinite=False, range="exact", measure=False, memory_budget=0,
                 layout="nchw", device=None, validate=None, cpu_threads=0, context=None, guards=True):
        info = L.vkc_calibrator_info()
        info.sType = L.VKC_STRUCTURE_TYPE_CALIBRATOR_INFO
        info.method = _parse("method", method)
        info.mode = _parse("mode", mode)
        info.flavor = _parse("flavor", flavor, L.VKC_FLAVOR_MODELOPT)
        # bins None: the flavour's own (2048 for NVIDIA's, 8001 for mxnet...)
        for k, v, lo in (("bins", 0 if bins is None else bins, 0 if bins is None else 1),
                         ("start_bin", start_bin, 1), ("stride", stride, 1)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo or v > 65536:
                raise ValueError("%s: expected an integer in 1..65536, got %r" % (k, v))
        info.bins, info.start_bin, info.stride = 0 if bins is None else bins, start_bin, stride
        if layout not in ("nchw", "nhwc"):
            raise ValueError("layout: 'nchw' or 'nhwc', not %r" % (layout,))
        info.layout = L.VKC_LAYOUT_NHWC if layout == "nhwc" else L.VKC_LAYOUT_NCHW
        info.percentile = float(percentile)
        info.nonfinite = L.VKC_NONFINITE_EXCLUDE if exclude_nonfinite else L.VKC_NONFINITE_ERROR
        if range not in ("exact", "streaming"):
            raise ValueError("range: 'exact' or 'streaming', not %r" % (range,))
        info.range = L.VKC_RANGE_STREAMING if range == "streaming" else L.VKC_RANGE_EXACT
        info.measure = 1 if measure else 0
        info.memory_budget = int(memory_budget or 0)
        # The quality guards (vkc_guard_info): True (defaults: 1% clipped, 6 dB), False, or a dict of
        # max_clipped (a share), max_sqnr_gap_db, methods (names of the methods compared).
        self._guard = L.vkc_guard_info()
        self._guard.sType = L.VKC_STRUCTURE_TYPE_GUARD_INFO
        if guards is False or guards is None:
            self._guard.disable = 1
        elif guards is not True:
            g = dict(guards)
            unknown = set(g) - {"max_clipped", "max_sqnr_gap_db", "methods"}
            if unknown:
                raise ValueError("guards: unknown keys %s" % sorted(unknown))
            self._guard.max_clipped = float(g.get("max_clipped", 0.0))
            self._guard.max_sqnr_gap_db = float(g.get("max_sqnr_gap_db", 0.0))
            self._guard.methods = sum(1 << _parse("method", m) for m in g.get("methods", ()))
        info.pNext = ctypes.cast(ctypes.pointer(self._guard), c_void_p)
        self._own_ctx = context is None
        self.context = context if context is not None else Context(device, validate=validate,
                                                                   cpu_threads=cpu_threads)
        self._h = c_void_p()
        with self.context.lock:
            s = L.lib.vkc_calibrator_create(self.context.handle, byref(info), byref(self._h))
            if s != L.VKC_OK:
                m = self.context.error_message()
                if self._own_ctx:
                    self.context.close()
                raise error(s, m)
        self._index = {}
        self._fed = {}           # tensor index -> elements fed in this pass
        self._range_fed = None   # the same for the range pass, kept to check the histogram pass
        self._results = None

    # -- state
    @property
    def handle(self):
        if not self._h:
            raise ValueError("the calibrator is closed")
        return self._h

    @property
    def current_pass(self):
        """"range", "histogram", "stream", "measure" or "done"."""
        return PASS_NAMES[L.lib.vkc_calibrator_pass(self.handle)]

    @property
    def tensors(self):
        """Tensor names in the order of their first mention (the order of every output)."""
        h = self.handle
        return [L.text(L.lib.vkc_calibrator_tensor_name(h, t)) for t in range(L.lib.vkc_calibrator_tensor_count(h))]

    @property
    def settings(self):
        s = L.lib.vkc_calibrator_settings(self.handle).contents
        return dict(method=method_name(s.method), mode=mode_name(s.mode), flavor=flavor_name(s.flavor),
                    bins=s.bins, start_bin=s.start_bin, stride=s.stride, percentile=s.percentile,
                    exclude_nonfinite=s.nonfinite == L.VKC_NONFINITE_EXCLUDE,
                    range="streaming" if s.range == L.VKC_RANGE_STREAMING else "exact", measure=bool(s.measure),
                    memory_budget=s.memory_budget)

    def _fail(self, s):
        h = self.handle
        t = L.lib.vkc_calibrator_failed_tensor(h)
        name = L.text(L.lib.vkc_calibrator_tensor_name(h, t)) if t != UINT32_MAX else None
        return error(s, L.text(L.lib.vkc_calibrator_error(h)), name)

    def tensor(self, name):
        """The index of tensor name, declaring it in the first pass."""
        t = self._index.get(name)
        if t is not None:
            return t
        if not isinstance(name, (str, bytes)) or not name:
            raise TypeError("a tensor name is a non-empty str, not %r" % (name,))
        idx = c_uint32(0)
        with self.context.lock:
            s = L.lib.vkc_calibrator_tensor(self.handle, L.encode(name), byref(idx))
            if s != L.VKC_OK:
                raise self._fail(s)
        self._index[name] = idx.value
        return idx.value

    def set_tensor(self, name, *, method=None, mode=None, skip=None):
        """Per-tensor settings (vkc_calibrator_set_tensor), in the first pass: another method or mode for
        tensor name, or skip=True to leave it out of the results (its feeds are then ignored)."""
        t = self.tensor(name)
        ts = L.vkc_tensor_settings()
        ts.sType = L.VKC_STRUCTURE_TYPE_TENSOR_SETTINGS
        if method is not None:
            ts.fields |= L.VKC_TENSOR_SET_METHOD
            ts.method = _parse("method", method)
        if mode is not None:
            ts.fields |= L.VKC_TENSOR_SET_MODE
            ts.mode = _parse("mode", mode)
        if skip is not None:
            ts.fields |= L.VKC_TENSOR_SET_SKIP
            ts.skip = 1 if skip else 0
        with self.context.lock:
            s = L.lib.vkc_calibrator_set_tensor(self.handle, t, byref(ts))
            if s != L.VKC_OK:
                raise self._fail(s)

    def tensor_settings(self, name):
        """{method, mode, skip} in force for tensor name."""
        ts = L.vkc_tensor_settings()
        if not L.lib.vkc_calibrator_get_tensor(self.handle, self.tensor(name), byref(ts)):
            raise KeyError(name)
        return dict(method=method_name(ts.method), mode=mode_name(ts.mode), skip=bool(ts.skip))

    def collect(self, name, array=None):
        """Feeds array (a numpy array, a CPU torch tensor, or anything with the buffer protocol,
        __array_interface__ or __dlpack__; float32, float16 or bfloat16) as values of tensor name in the
        current pass. collect({name: array, ...}) feeds a whole batch. Contiguous arrays are read in place."""
        if array is None and hasattr(name, "items"):
            for k, v in name.items():
                self.collect(k, v)
            return
        if array is None:
            raise TypeError("collect(name, array) or collect({name: array})")
        t = self.tensor(name)
        a = host_array(array, "tensor '%s'" % (name,))
        shape = tuple(int(d) for d in getattr(array, "shape", ()))
        with self.context.lock:
            # A batch's shape, for the flavours that look at it (ncnn-aciq, mnn).
            if shape and len(shape) <= 8 and L.lib.vkc_calibrator_pass(self.handle) in (L.VKC_PASS_RANGE,
                                                                                          L.VKC_PASS_STREAM):
                dims = (ctypes.c_uint64 * len(shape))(*shape)
                s = L.lib.vkc_calibrator_set_shape(self.handle, t, len(shape), dims)
                if s != L.VKC_OK:
                    raise self._fail(s)
            s = L.lib.vkc_calibrator_feed(self.handle, t, a.ptr, a.n, a.dtype)
            if s != L.VKC_OK:
                raise self._fail(s)
        self._fed[t] = self._fed.get(t, 0) + a.n

    feed = collect

    def _check_same_data(self):
        """Exact mode reads the data twice: both passes must give each tensor the same number of values."""
        if self._range_fed is None:
            return
        for t in set(self._range_fed) | set(self._fed):
            a, b = self._range_fed.get(t, 0), self._fed.get(t, 0)
            if a != b:
                name = L.text(L.lib.vkc_calibrator_tensor_name(self.handle, t))
                raise ValueError("tensor '%s': %d values in the range pass, %d in the histogram pass; exact mode "
                                 "needs the same data in both passes (a loader that shuffles a different subset "
                                 "or augments at random does not give it), or use range='streaming'"
                                 % (name, a, b))

    def end_pass(self):
        """Ends the current pass; returns the pass now wanted. Ending the range pass applies the NaN policy
        and fixes each histogram's range; ending the histogram (stream) pass runs the searches."""
        before = L.lib.vkc_calibrator_pass(self.handle)
        if before == L.VKC_PASS_HISTOGRAM:
            self._check_same_data()
        with self.context.lock:
            s = L.lib.vkc_calibrator_end_pass(self.handle)
            if s != L.VKC_OK:
                raise self._fail(s)
        after = L.lib.vkc_calibrator_pass(self.handle)
        self._range_fed = dict(self._fed) if before == L.VKC_PASS_RANGE else None
        self._fed = {}
        self._results = None
        return PASS_NAMES[after]

    def _batches(self, batches, k):
        if callable(batches):
            return batches()
        if iter(batches) is batches and k > 0:
            raise ValueError("batches is a one-shot iterator, and the calibration needs the data again (pass %d); "
                             "give a callable that returns a fresh iterable, a list, range='streaming', or a "
                             "memory_budget large enough to keep the data" % (k + 1))
        return batches

    def run(self, batches):
        """Runs every pass that remains: batches() (a callable returning a fresh iterable of {name: array}
        dicts; a list or other re-iterable also works) is called once per pass, and each dict fed with
        collect(). Returns results()."""
        k = 0
        while self.current_pass != "done":
            for batch in self._batches(batches, k):
                self.collect(batch)
            k += 1
            self.end_pass()
        return self.results()

    def compute(self):
        """Ends the histogram (stream) pass if it is still open and returns the results: {name: TensorResult}
        in the calibration's order. In the range pass this works only where the data was kept
        (memory_budget); otherwise the histogram pass must be fed first."""
        p = L.lib.vkc_calibrator_pass(self.handle)
        if p == L.VKC_PASS_RANGE:
            if not self.settings["memory_budget"]:
                raise WrongPassError(L.VKC_ERROR_WRONG_PASS, "compute(): the calibrator is still in the range pass: "
                                     "end_pass() and feed the histogram pass (exact mode reads the data twice; "
                                     "run()/calibrate() do it), or use range='streaming' or a memory_budget")
            if self.end_pass() == "histogram":
                raise WrongPassError(L.VKC_ERROR_WRONG_PASS, "compute(): the data did not fit in memory_budget; "
                                     "feed the histogram pass, then compute()")
        elif p in (L.VKC_PASS_HISTOGRAM, L.VKC_PASS_STREAM):
            self.end_pass()
        return self.results()

    def results(self):
        """{name: TensorResult} once the search ran (measure or done pass; quality only when done)."""
        if self._results is None:
            h = L.lib.vkc_calibrator_results(self.handle)
            if not h:
                raise WrongPassError(L.VKC_ERROR_WRONG_PASS, "no results in the %s pass (compute() ends it)"
                                     % self.current_pass)
            self._results = _calibration_of(h)
        return self._results

    # -- documents
    def _doc(self):
        h = L.lib.vkc_calibrator_results(self.handle)
        if not h:
            raise WrongPassError(L.VKC_ERROR_WRONG_PASS, "nothing to write in the %s pass: compute() first"
                                 % self.current_pass)
        return h

    def format(self, fmt="json", *, trt_version=None, algo=None, envelope=False, histograms=False):
        """The calibration as the text a file would hold ("json" or "trt")."""
        wi, _keep = _write_info(trt_version, algo, envelope, histograms)
        return _format(self._doc(), fmt, wi)

    def write_trt_cache(self, path, *, trt_version=None, algo=None, envelope=False):
        """A TensorRT calibration cache (symmetric ranges, or envelope=True for the others), atomically;
        the same bytes as `vkcalib calibrate -o x.cache`."""
        wi, _keep = _write_info(trt_version, algo, envelope)
        _write(self._doc(), path, "trt", wi)

    def write_json(self, path, *, histograms=False):
        """vkcalib's calibration JSON, atomically; the same bytes as `vkcalib calibrate -o x.json`."""
        wi, _keep = _write_info(histograms=histograms)
        _write(self._doc(), path, "json", wi)

    def to_ort_overrides(self):
        """ONNX Runtime's TensorQuantOverrides ({name: [{"quant_type", "scale", "zero_point"}]}: numpy float32
        scales and int8/uint8 zero points, as ORT requires) for quantize_static's extra_options. quant_type is
        onnxruntime.quantization.QuantType where onnxruntime is installed, else its name ("QInt8")."""
        import numpy as np
        try:
            from onnxruntime.quantization import QuantType
            qt = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
        except Exception:
            qt = {"int8": "QInt8", "uint8": "QUInt8"}
        out = {}
        for name, r in self.results().items():
            zp = np.uint8(r.zero_point) if r.int_type == "uint8" else np.int8(r.zero_point)
            out[name] = [{"quant_type": qt[r.int_type], "scale": np.float32(r.scale), "zero_point": zp}]
        return out

    # -- splitting the work
    def save_state(self, path):
        """What the current (range or histogram) pass accumulated, for merge_states (vkcalib collect)."""
        with self.context.lock:
            s = L.lib.vkc_calibrator_save_state(self.handle, L.fspath(path))
            if s != L.VKC_OK:
                raise self._fail(s)

    def load_state(self, path, want="range"):
        """In the range pass: ends it with a merged range state (want="range"; then feed the histogram pass),
        or fills the histogram pass from a merged histogram state (want="histogram"; then compute())."""
        if want not in ("range", "histogram"):
            raise ValueError("want: 'range' or 'histogram', not %r" % (want,))
        with self.context.lock:
            s = L.lib.vkc_calibrator_load_state(self.handle, L.fspath(path), _PASS_BY_NAME[want])
            if s != L.VKC_OK:
                raise self._fail(s)
        self._index = {n: t for t, n in enumerate(self.tensors)}
        self._fed, self._range_fed, self._results = {}, None, None

    def merge(self, other):
        """Adds other's data of the current pass into this calibrator (same settings, same tensors in the
        same order); exact: min/max by IEEE order, counts as integers."""
        with self.context.lock, other.context.lock:
            s = L.lib.vkc_calibrator_merge(self.handle, other.handle)
            if s != L.VKC_OK:
                raise self._fail(s)
        for t, n in other._fed.items():
            self._fed[t] = self._fed.get(t, 0) + n

    def adopt(self, other):
        """Takes the state other reached by ending its range pass (statistics, modes, histogram ranges), with
        empty histograms: then feed this calibrator's share of the histogram pass and merge it into other."""
        with self.context.lock, other.context.lock:
            s = L.lib.vkc_calibrator_adopt(self.handle, other.handle)
            if s != L.VKC_OK:
                raise self._fail(s)
        self._fed, self._range_fed = {}, None

    # -- lifetime
    def close(self):
        h, self._h = getattr(self, "_h", None), c_void_p()
        if h and L is not None and L.lib is not None:
            with self.context.lock:
                L.lib.vkc_calibrator_destroy(h)
        if getattr(self, "_own_ctx", False) and getattr(self, "context", None) is not None:
            self.context.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        if not self._h:
            return "<vkcalib.Calibrator closed>"
        return "<vkcalib.Calibrator %s %s, %d tensors, %s pass, on %s>" % (
            self.settings["method"], self.settings["mode"], len(self.tensors), self.current_pass,
            self.context.device_name)


def calibrate(batches, method="entropy", mode="symmetric", flavor=None, device=None, **options):
    """Calibrates every tensor of the batches: batches() returns a fresh iterable of {tensor name: array}
    dicts (called once per pass in exact mode). Options are Calibrator's (bins, start_bin, percentile,
    exclude_nonfinite, range, measure, memory_budget, validate, context, ...). Returns {name: TensorResult}."""
    with Calibrator(method, mode, flavor, device=device, **options) as cal:
        return cal.run(batches)


# ---- bring your own histogram -------------------------------------------------

class SearchResult:
    """vkcalib.search's answer, with the fields of `vkcalib search --json`: method, mode, flavor, bins,
    range_max, range_min (asymmetric), i, window_a, window_b (asymmetric), threshold, kl (entropy) or mse,
    candidates, inf_candidates, fallback, message, lo, hi, scale, zero_point, int_type, device; and
    reevaluated. to_dict() gives exactly the CLI's JSON object."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_dict(self):
        asym = self.mode == "asymmetric"
        keys = ["method", "mode", "flavor", "bins", "range_max"] + (["range_min"] if asym else []) + ["i"]
        keys += (["window_a", "window_b"] if asym else []) + ["threshold"]
        keys += ["kl"] if self.method == "entropy" else ["mse"] if self.method == "mse" else []
        keys += ["candidates", "inf_candidates", "fallback", "message", "lo", "hi", "scale", "zero_point", "int_type",
                 "device"]
        return {k: (_json_number(getattr(self, k)) if isinstance(getattr(self, k), float) else getattr(self, k))
                for k in keys}

    def __repr__(self):
        return "SearchResult(%s)" % ", ".join("%s=%r" % kv for kv in self.to_dict().items())


def _counts_array(counts):
    import numpy as np
    if type(counts).__module__.startswith("torch"):
        counts = counts.detach().cpu().numpy()
    a = np.asarray(counts)
    if a.ndim != 1:
        raise ValueError("counts: a 1-D histogram, not shape %s" % (a.shape,))
    if a.size == 0 or a.size > (1 << 20):
        raise ValueError("counts: 1..1048576 bins, not %d" % a.size)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a != np.floor(a)) or np.any(a >= 2.0 ** 64):
            raise ValueError("counts: whole, finite, non-negative numbers (a torch.histc result is fine)")
        return np.ascontiguousarray(a, dtype=np.uint64)
    if a.dtype.kind in "iu" or a.dtype == bool:
        if a.dtype.kind == "i" and np.any(a < 0):
            raise ValueError("counts: negative count at bin %d" % int(np.argmax(a < 0)))
        return np.ascontiguousarray(a, dtype=np.uint64)
    raise TypeError("counts: integer or whole float counts, not %s" % a.dtype)


def search(counts, range_max, method="entropy", mode="symmetric", flavor=None, *, start_bin=128, stride=1,
           percentile=99.99, range_min=None, device=None, context=None):
    """Chooses a threshold for a histogram you already have: counts[j] = number of |x| in
    [j*A/N, (j+1)*A/N) with A = range_max, N = len(counts) (mode "symmetric" or "unsigned"); with mode
    "asymmetric", counts of x over [range_min, range_max]. Returns a SearchResult (.threshold, .lo, .hi, .scale,
    .zero_point, .int_type, ...), equal to `vkcalib search --json`."""
    c = _counts_array(counts)
    m, mo = _parse("method", method), _parse("mode", mode)
    fl = _parse("flavor", flavor, L.VKC_FLAVOR_MODELOPT)
    if mo == L.VKC_MODE_AUTO:
        raise ValueError("mode: symmetric, unsigned (histograms of |x|) or asymmetric (of x); auto is the "
                         "calibrator's")
    asym = mo == L.VKC_MODE_ASYMMETRIC
    range_max = float(range_max)
    if not (math.isfinite(range_max) and 0 <= range_max <= 3.5e38):
        raise ValueError("range_max: a finite number >= 0, not %r" % range_max)
    if asym != (range_min is not None) or (asym and not float(range_min) < range_max):
        raise ValueError("mode asymmetric takes a histogram of x over [range_min, range_max], range_min < range_max; "
                         "the other modes a histogram of |x| over [0, range_max] (no range_min)")
    h = L.vkc_histogram()
    h.counts = c.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64))
    h.bins = c.size
    h.range_max = range_max
    h.kind = L.VKC_HIST_SIGNED if asym else L.VKC_HIST_ABS
    h.range_min = float(range_min) if asym else 0.0
    sp = L.vkc_search_params()
    sp.sType = L.VKC_STRUCTURE_TYPE_SEARCH_PARAMS
    sp.method, sp.flavor, sp.mode = m, fl, mo
    sp.start_bin, sp.stride, sp.percentile = int(start_bin), int(stride), float(percentile)
    res = L.vkc_search_result()
    ctx = context if context is not None else _default_context(device)
    with ctx.lock:
        s = L.lib.vkc_search(ctx.handle, byref(h), 1, byref(sp), byref(res))
        if s != L.VKC_OK:
            raise error(s, ctx.error_message())
        dev = ctx.device_name
    q, msg = L.vkc_qparams(), L.vkc_msg()
    check_msg(L.lib.vkc_qparams_from_range(mo, res.lo, res.hi, byref(q), byref(msg)), msg)
    return SearchResult(method=method_name(m), mode=mode_name(mo), flavor=flavor_name(fl), bins=int(c.size),
                        range_max=range_max, range_min=float(range_min) if asym else None, i=res.i,
                        window_a=res.window_a if asym else None, window_b=res.window_b if asym else None,
                        threshold=res.threshold, kl=res.kl if m == L.VKC_METHOD_ENTROPY else None,
                        mse=res.kl if m == L.VKC_METHOD_MSE else None, candidates=res.candidates,
                        inf_candidates=res.inf_candidates, reevaluated=res.reevaluated, fallback=bool(res.fallback),
                        message=L.text(res.message) or None, lo=q.lo, hi=q.hi, scale=q.scale,
                        zero_point=q.zero_point, int_type="uint8" if q.is_unsigned else "int8", device=dev)
