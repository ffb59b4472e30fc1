"""A HistogramCalibrator with the interface of pytorch-quantization's and NVIDIA Model Optimizer's:
collect(x) per batch, compute_amax(method, *, stride=1, start_bin=128, percentile=99.99), reset().

Where those tools grow one histogram batch by batch (its range widens as larger values arrive, so the bins
and the chosen amax depend on batch order and size), this one is exact by default: collect() keeps the
batches (range pass), and compute_amax() bins them over the final absmax, so the histogram is the one a
two-pass calibration builds and the amax is NVIDIA's reference algorithm on it, whatever the batching. With
range="streaming" nothing is kept: one pass over a power-of-two range that doubles as needed (exact 2:1
merges; still independent of batch order and size, thresholds within a few bins of the exact ones).
"""

from . import _lib as L
from ._core import Calibrator, _default_context, search

_DEFAULT_BUDGET = 8 << 30


class HistogramCalibrator:
    """num_bits must be 8; unsigned=True calibrates a uint8 tensor ([0, amax], 256 levels: the tensor must be
    non-negative). bins (alias num_bins) is the histogram's bin count. compute_amax() with no method uses
    default_method ("entropy"). Extra options: range ("exact" or "streaming"), memory_budget (bytes the exact
    mode may keep; default 8 GiB), device (all HistogramCalibrators on one device share one Context),
    context, exclude_nonfinite. axis (per-channel) and skip_zeros are not supported."""

    def __init__(self, num_bits=8, unsigned=False, bins=2048, *, num_bins=None, axis=None, skip_zeros=False,
                 grow_method=None, torch_hist=None, default_method="entropy", range="exact", memory_budget=None,
                 device=None, context=None, exclude_nonfinite=False):
        if num_bits != 8:
            raise ValueError("num_bits: vkcalib calibrates 8-bit ranges only, not %r" % (num_bits,))
        if axis is not None:
            raise ValueError("axis: per-channel histograms are not supported (per-tensor activations only)")
        if skip_zeros:
            raise ValueError("skip_zeros: not supported (the histogram keeps the zeros; the entropy method "
                             "replaces bin 0 by bin 1 as the reference does)")
        self.num_bits = 8
        self.unsigned = bool(unsigned)
        self.bins = int(num_bins if num_bins is not None else bins)
        self.default_method = default_method
        self._range = range
        self._budget = _DEFAULT_BUDGET if memory_budget is None else int(memory_budget)
        self._device = device
        self._context = context
        self._exclude = exclude_nonfinite
        self._cal = None
        self._hist = None
        self._name = "x"

    def _calibrator(self):
        if self._cal is None:
            if self._context is None:
                # One context per device for every HistogramCalibrator (a model has hundreds of quantizers,
                # and a Vulkan context is a device of its own); its lock serialises their calls.
                self._context = _default_context(self._device)
            self._cal = Calibrator("max", "unsigned" if self.unsigned else "symmetric", bins=self.bins,
                                   range=self._range, memory_budget=0 if self._range == "streaming" else self._budget,
                                   context=self._context, exclude_nonfinite=self._exclude)
        return self._cal

    def collect(self, x):
        """Adds one batch (numpy array or CPU torch tensor; float32, float16, bfloat16)."""
        if self._hist is not None:
            raise RuntimeError("collect() after compute_amax(): call reset() to start a new calibration")
        self._calibrator().collect(self._name, self._to_host(x))

    @staticmethod
    def _to_host(x):
        return x

    def _histogram(self):
        if self._hist is None:
            cal = self._calibrator()
            if not cal.tensors:
                raise RuntimeError("compute_amax(): no data collected")
            r = cal.compute()[self._name]
            self._hist = (r.histogram, r.hist_hi, r)
        return self._hist

    def compute_amax(self, method=None, *, stride=1, start_bin=128, percentile=99.99):
        """amax (a float) by method "entropy", "mse", "percentile" or "max" on the collected histogram;
        the histogram is built once, so several methods may be asked in turn."""
        counts, hi, r = self._histogram()
        method = method or self.default_method
        if method == "max":
            # The data's absmax (its statistics), as MaxCalibrator gives: in streaming mode the histogram's
            # top is a power of two above it (and the library's own method max returns that top).
            return float(r.absmax)
        res = search(counts, hi, method=method, mode="unsigned" if self.unsigned else "symmetric",
                     start_bin=start_bin, stride=stride, percentile=percentile, context=self._context)
        # A streaming histogram's top is a power of two above the data: a threshold beyond the absmax is
        # clamped to it, as the library's calibrator does.
        return float(min(res.threshold, float(r.absmax)))

    def result(self):
        """The full TensorResult of the collected tensor (statistics, histogram, ...)."""
        return self._histogram()[2]

    def reset(self):
        """Forgets the collected data."""
        if self._cal is not None:
            self._cal.close()
        self._cal, self._hist = None, None

    def __repr__(self):
        return "HistogramCalibrator(num_bits=8, unsigned=%s, bins=%d, range=%r)" % (self.unsigned, self.bins,
                                                                                   self._range)
