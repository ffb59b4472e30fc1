#!/usr/bin/python3
"""The Python package's cost over the C call, and vkcalib against numpy in ONNX Runtime's style.

1. Overhead: Calibrator.collect(name, array) against the bare C call (vkc_calibrator_feed through a ctypes
   function pointer, no argument conversion) on the same calibrator: per call (a 64-element array, many
   calls) and per element (a 64M-element float32 array, range and histogram passes).
2. A whole calibration of one 64M-element tensor: vkcalib (range pass, histogram pass, entropy search)
   against what ONNX Runtime's HistogramCollector does for the entropy method, written here in its style:
   min/max over the data, numpy.histogram over [-T, T], then a Python loop over every symmetric window of
   the histogram (bins merged into 128 quantized bins, both distributions smoothed, KL from
   scipy.stats.entropy, or numpy when scipy is missing). ORT's default is 128 bins; it is timed at 2048 too
   (vkcalib's), which is what gives a comparable resolution.

Medians of --runs runs after a warm-up. Usage:
  VKCALIB_LIBRARY=build/libvkcalib.so.0.2 /usr/bin/python3 bench/bench_python.py [--elements 64M]
      [--runs 5] [--device cpu|llvmpipe|...]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import vkcalib  # noqa: E402
from vkcalib import _lib as L  # noqa: E402

try:
    from scipy.stats import entropy as _scipy_entropy
except ImportError:  # pragma: no cover
    _scipy_entropy = None


def median_time(fn, runs, warm=1):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


# ---- ONNX Runtime's entropy collector, in its style ---------------------------------

def smooth(p, eps=0.0001):
    """Moves eps of mass onto every empty bin, taken evenly from the others (None when impossible)."""
    zeros = (p == 0).astype(np.float32)
    nonzeros = 1.0 - zeros
    nz = zeros.sum()
    nnz = p.size - nz
    if not nnz:
        return None
    eps1 = eps * float(nz) / float(nnz)
    if eps1 >= 1.0:
        return None
    out = p.astype(np.float32)
    out += eps * zeros + (-eps1) * nonzeros
    return out


def kl(p, q):
    if _scipy_entropy is not None:
        return _scipy_entropy(p, q)
    p, q = p / p.sum(), q / q.sum()
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def ort_style_histogram(x, num_bins):
    lo, hi = np.min(x), np.max(x)
    threshold = max(abs(lo), abs(hi))
    hist, edges = np.histogram(x, num_bins, range=(-threshold, threshold))
    return hist, edges, lo, hi


def ort_style_entropy_threshold(hist, edges, lo, hi, num_quantized_bins=128):
    n = hist.size
    zero = n // 2
    half_q = num_quantized_bins // 2
    kls = np.zeros(zero - half_q + 1)
    ths = [(0.0, 0.0)] * kls.size
    for i in range(half_q, zero + 1):
        start, end = zero - i, min(zero + i + 1, n)
        ths[i - half_q] = (float(edges[start]), float(edges[end]))
        sliced = hist[start:end].copy()
        p = sliced.copy()
        p[0] += hist[:start].sum()
        p[-1] += hist[end:].sum()
        nonzeros = (p != 0).astype(np.int64)
        merged = sliced.size // num_quantized_bins
        qbins = np.zeros(num_quantized_bins, dtype=np.int64)
        for k in range(num_quantized_bins):
            qbins[k] = sliced[k * merged:(k + 1) * merged].sum()
        qbins[-1] += sliced[num_quantized_bins * merged:].sum()
        q = np.zeros(p.size, dtype=np.int64)
        for k in range(num_quantized_bins):
            a, b = k * merged, (k + 1) * merged
            norm = nonzeros[a:b].sum()
            if norm:
                q[a:b] = float(qbins[k]) / float(norm)
        ps, qs = smooth(p), smooth(q)
        kls[i - half_q] = kl(ps, qs) if ps is not None and qs is not None else float("inf")
    lo_t, hi_t = ths[int(np.argmin(kls))]
    return max(lo_t, float(lo)), min(hi_t, float(hi))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", default="64M")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--calls", type=int, default=20000)
    a = ap.parse_args()
    n = int(a.elements[:-1]) << 20 if a.elements[-1] in "Mm" else int(a.elements)
    print("vkcalib %s (%s), Python %s, numpy %s, device %s; %d elements; medians of %d" % (
        vkcalib.version(), vkcalib.library_path(), sys.version.split()[0], np.__version__, a.device, n, a.runs))
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    x[rng.integers(0, n, n // 1000000 + 1)] *= 30.0  # rare outliers, as activations have
    tiny = x[:64].copy()
    ctx = vkcalib.Context(a.device)
    feed = L.lib.vkc_calibrator_feed

    # 1. overhead per call and per element, range and histogram passes
    rows = []
    for pass_name in ("range", "histogram"):
        cal = vkcalib.Calibrator(context=ctx)
        cal.collect("x", x)
        cal.collect("t", tiny)
        if pass_name == "histogram":
            cal.end_pass()
        h, tx, tt = cal.handle, cal.tensor("x"), cal.tensor("t")
        ptr, tptr = x.ctypes.data, tiny.ctypes.data

        def py_big():
            cal.collect("x", x)

        def c_big():
            feed(h, tx, ptr, n, L.VKC_DTYPE_F32)

        def py_calls():
            for _ in range(a.calls):
                cal.collect("t", tiny)

        def c_calls():
            for _ in range(a.calls):
                feed(h, tt, tptr, 64, L.VKC_DTYPE_F32)

        tp, tc = median_time(py_big, a.runs), median_time(c_big, a.runs)
        cp, cc = median_time(py_calls, a.runs) / a.calls, median_time(c_calls, a.runs) / a.calls
        rows.append((pass_name, tp, tc, cp, cc))
        cal.close()
    print("\n1. Calibrator.collect against the C call (vkc_calibrator_feed)")
    print("%-10s %14s %14s %12s %16s %16s %12s" % ("pass", "collect ms", "C call ms", "per element",
                                                   "collect/call us", "C/call us", "per call"))
    for p, tp, tc, cp, cc in rows:
        print("%-10s %14.2f %14.2f %9.4f ns %16.2f %16.2f %9.2f us" % (p, tp * 1e3, tc * 1e3, (tp - tc) / n * 1e9,
                                                                      cp * 1e6, cc * 1e6, (cp - cc) * 1e6))

    # 2. a whole calibration of the tensor
    def vk():
        with vkcalib.Calibrator(context=ctx) as cal:
            cal.collect("x", x)
            cal.end_pass()
            cal.collect("x", x)
            return cal.compute()["x"].threshold

    t_vk = median_time(vk, a.runs)
    thr = vk()
    t_pass = {}
    with vkcalib.Calibrator(context=ctx) as cal:
        t_pass["range"] = median_time(lambda: cal.collect("x", x), a.runs)
    print("\n2. one %d-element tensor, entropy: vkcalib against numpy in ONNX Runtime's style" % n)
    print("%-40s %12s" % ("", "median ms"))
    print("%-40s %12.1f   (threshold %.6g)" % ("vkcalib: 2 passes + search", t_vk * 1e3, thr))
    print("%-40s %12.1f" % ("  of which one data pass (range)", t_pass["range"] * 1e3))
    for bins in (128, 2048):
        t_h = median_time(lambda: ort_style_histogram(x, bins), max(1, min(a.runs, 3)))
        hist, edges, lo, hi = ort_style_histogram(x, bins)
        t_e = median_time(lambda: ort_style_entropy_threshold(hist, edges, lo, hi), max(1, min(a.runs, 3)), warm=0)
        th = ort_style_entropy_threshold(hist, edges, lo, hi)
        print("%-40s %12.1f" % ("numpy, %d bins: min/max + np.histogram" % bins, t_h * 1e3))
        print("%-40s %12.1f" % ("numpy, %d bins: entropy loop" % bins, t_e * 1e3))
        print("%-40s %12.1f   (range [%.6g, %.6g]); vkcalib %.1fx faster" % (
            "numpy, %d bins: total" % bins, (t_h + t_e) * 1e3, th[0], th[1], (t_h + t_e) / t_vk))
    ctx.close()


if __name__ == "__main__":
    main()
