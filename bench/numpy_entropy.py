#!/usr/bin/python3
"""numpy baselines for the entropy (KL) threshold search, timed on the
histograms bench_search writes with --dump.

Two implementations:
  nvidia  NVIDIA's reference `_compute_amax_entropy` as pytorch-quantization
          (calib/histogram.py) and Model Optimizer write it: a Python loop
          over candidates i = start..n, np.linspace + np.digitize to map bins
          to levels, Python loops and a Counter to spread each level's mass
          over its non-empty bins, scipy.stats.entropy replaced by a plain
          numpy KL (sum p*log(p/q) over p > 0; +inf where q == 0 there).
          This is what users run today; it takes seconds per 2048-bin tensor.
  vec     the same definition with the per-bin Python loops replaced by
          np.bincount (still one Python iteration per candidate): what a
          careful numpy user would write.
Both choose the last (largest) i among exact minima, as the reference does.
vkcalib treats KL values within 1e-9 relative of the minimum as tied and takes
the largest such i (DESIGN.md section 2); a different choice is reported as
'tie' when the two i's KL values lie within that tolerance.

Usage: /usr/bin/python3 bench/numpy_entropy.py HISTS.txt [--scenarios 2048,8192]
           [--impl nvidia,vec] [--runs 1] [--vec-runs 3] [--max-tensors N] [--csv OUT.csv]
For fair timing run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
(bench/run_search_bench.sh does).
"""
import argparse
import math
import sys
import time
from collections import Counter

import numpy as np

NUM_BITS = 8
UNSIGNED = False
START_BIN = 128
STRIDE = 1


def kl_divergence(p, q):
    """scipy.stats.entropy(p, q) without scipy: both normalised, then
    sum p*log(p/q) over p > 0, +inf where p > 0 and q == 0."""
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = p > 0
    if np.any(q[m] == 0):
        return math.inf
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def amax_entropy_nvidia(calib_hist, calib_bin_edges, num_bits=NUM_BITS, unsigned=UNSIGNED, stride=STRIDE,
                        start_bin=START_BIN):
    """pytorch-quantization's _compute_amax_entropy, loop for loop. Returns
    (amax, chosen i, divergences)."""
    bins = calib_hist[:]
    bins[0] = bins[1]
    total_data = np.sum(bins)
    divergences = []
    arguments = []
    nbins = 1 << (num_bits - 1 + int(unsigned))
    starting = start_bin
    stop = len(bins)
    new_density_counts = np.zeros(nbins, dtype=np.float64)
    for i in range(starting, stop + 1, stride):
        new_density_counts.fill(0)
        space = np.linspace(0, i, num=nbins + 1)
        digitized_space = np.digitize(range(i), space) - 1
        digitized_space[bins[:i] == 0] = -1
        for idx, digitized in enumerate(digitized_space):
            if digitized != -1:
                new_density_counts[digitized] += bins[idx]
        counter = Counter(digitized_space)
        for key, val in counter.items():
            if key != -1:
                new_density_counts[key] = new_density_counts[key] / val
        new_density = np.zeros(i, dtype=np.float64)
        for idx, digitized in enumerate(digitized_space):
            if digitized != -1:
                new_density[idx] = new_density_counts[digitized]
        total_counts_new = np.sum(new_density) + np.sum(bins[i:])
        reference_density = np.array(bins[:len(digitized_space)])
        reference_density[-1] += np.sum(bins[i:])
        total_counts_old = np.sum(reference_density)
        if round(total_counts_new) != total_data or round(total_counts_old) != total_data:
            raise RuntimeError("Count mismatch! total_counts_new={}, total_counts_old={}, total_data={}".format(
                total_counts_new, total_counts_old, total_data))
        ent = kl_divergence(reference_density.astype(np.float64), new_density)
        divergences.append(ent)
        arguments.append(i)
    divergences = np.array(divergences)
    last_argmin = len(divergences) - 1 - np.argmin(divergences[::-1])
    i = last_argmin * stride + starting
    return calib_bin_edges[i], i, divergences


def amax_entropy_vec(calib_hist, calib_bin_edges, num_bits=NUM_BITS, unsigned=UNSIGNED, stride=STRIDE,
                     start_bin=START_BIN):
    """The same definition, the per-bin loops done by numpy."""
    bins = np.asarray(calib_hist, dtype=np.float64).copy()
    bins[0] = bins[1]
    nbins = 1 << (num_bits - 1 + int(unsigned))
    n = len(bins)
    suffix = np.concatenate([np.cumsum(bins[::-1])[::-1], [0.0]])  # suffix[i] = sum(bins[i:])
    divergences = []
    for i in range(start_bin, n + 1, stride):
        space = np.linspace(0, i, num=nbins + 1)
        level = np.digitize(np.arange(i), space) - 1
        h = bins[:i]
        nz = h != 0
        mass = np.bincount(level, weights=h, minlength=nbins)
        count = np.bincount(level, weights=nz, minlength=nbins)
        q = np.where(nz, mass[level] / np.maximum(count[level], 1), 0.0)
        p = h.copy()
        p[-1] += suffix[i]
        divergences.append(kl_divergence(p, q))
    divergences = np.array(divergences)
    last_argmin = len(divergences) - 1 - np.argmin(divergences[::-1])
    i = last_argmin * stride + start_bin
    return calib_bin_edges[i], i, divergences


IMPLS = {"nvidia": amax_entropy_nvidia, "vec": amax_entropy_vec}


def read_hists(path):
    """Yields (scenario, name, bins, range_max, vkcalib_i, counts)."""
    with open(path) as f:
        header = None
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            if header is None:
                parts = line.split()
                if parts[0] != "tensor" or len(parts) != 7:
                    raise SystemExit("%s: expected a 'tensor ...' line, got %r" % (path, line[:60]))
                header = parts
                continue
            counts = np.array([int(v) for v in line.split()], dtype=np.int64)
            _, scenario, name, bins, range_max, vk_i, _total = header
            if len(counts) != int(bins):
                raise SystemExit("%s: tensor %s has %d counts, header says %s" % (path, name, len(counts), bins))
            yield scenario, name, int(bins), float(range_max), int(vk_i), counts
            header = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hists")
    ap.add_argument("--scenarios", default="2048,8192")
    ap.add_argument("--impl", default="nvidia,vec")
    ap.add_argument("--runs", type=int, default=1, help="runs of the nvidia loop (default 1: it is slow)")
    ap.add_argument("--vec-runs", type=int, default=3)
    ap.add_argument("--max-tensors", default="", help="per scenario, e.g. '8192=2' (default: all)")
    ap.add_argument("--csv")
    args = ap.parse_args()
    scenarios = args.scenarios.split(",")
    impls = args.impl.split(",")
    limits = {}
    for item in filter(None, args.max_tensors.split(",")):
        k, v = item.split("=")
        limits[k] = int(v)
    rows = []
    seen = Counter()
    print("numpy %s, python %s" % (np.__version__, sys.version.split()[0]))
    print("%-8s %-10s %-7s %6s %6s %6s %12s  %s" % ("scenario", "tensor", "impl", "bins", "i", "vk i", "ms/tensor",
                                                  "agreement"))
    failures = 0
    for scenario, name, bins, range_max, vk_i, counts in read_hists(args.hists):
        if scenario not in scenarios:
            continue
        seen[scenario] += 1
        if scenario in limits and seen[scenario] > limits[scenario]:
            continue
        edges = np.linspace(0, range_max, bins + 1)
        for impl in impls:
            fn = IMPLS[impl]
            runs = args.runs if impl == "nvidia" else args.vec_runs
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                _, i, div = fn(counts.copy(), edges)
                times.append((time.perf_counter() - t0) * 1e3)
            ms = float(np.median(times))
            if i == vk_i:
                agree = "same"
            else:
                m = float(np.min(div))
                kv = float(div[vk_i - START_BIN]) if START_BIN <= vk_i <= bins else math.inf
                tol = max(1e-9 * abs(m), 1e-15)
                if kv <= m + tol:
                    agree = "tie (KL within 1e-9 relative)"
                else:
                    agree = "DIFFERENT (KL %.17g vs %.17g)" % (kv, m)
                    failures += 1
            print("%-8s %-10s %-7s %6d %6d %6d %12.1f  %s" % (scenario, name, impl, bins, i, vk_i, ms, agree))
            sys.stdout.flush()
            rows.append((scenario, name, bins, int(counts.sum()), "numpy-" + impl, ms, runs, i))
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("scenario,tensor,bins,total,path,ms_per_tensor,runs,i\n")
            for r in rows:
                f.write("%s,%s,%d,%d,%s,%.6f,%d,%d\n" % r)
    if failures:
        print("numpy chose a different threshold than vkcalib for %d tensor(s)" % failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
