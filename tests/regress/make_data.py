#!/usr/bin/python3
"""Generates tests/regress/data/, the small calibration set of the byte-for-byte
regression test (tests/test_cli_regress.sh), beside the bundled examples/calib.

The generated files are committed: the test never runs this script, so a
future numpy whose random streams differ cannot change the test's inputs.
Rerun it only to change the data on purpose, then regenerate the expected
outputs (tests/regress/make_expected.sh) and commit both, saying why.

Deterministic: fixed seeds, and the .npz archives are written with a fixed
member time stamp, so the same numpy and zlib give the same bytes.

  tensors/<name>/00b.npy   folder per tensor, one .npy per batch, 3 batches:
                           000 float32 1-D (.npy 1.0), 001 float16 2-D (2.0),
                           002 float64 3-D (3.0); tensors relu (never
                           negative), signed (normal, skewed), gelu (small
                           negative tail)
  npz/batch_00b.npz        one .npz per batch, 3 batches: 000 stored (zip64
                           extras, as numpy.savez writes), 001 deflated (as
                           numpy.savez_compressed), 002 stored without zip64;
                           keys:
                             relu                 post-ReLU float32, 2-D
                             signed_heavy         Student-t (df 2.5) with rare
                                                  far outliers, float32
                             half                 GELU-like, float16
                             const                constant 0.75
                             zero                 all zero
                             blk 2/conv:0 out/x   signed; a name with spaces,
                                                  ':' and '/'
  nonfinite/batch_00b.npz  2 batches (stored, deflated): finite (normal) and
                           "with nan inf" (a few NaN, +Inf, -Inf; float32,
                           then float16): for --exclude-nonfinite only
  missing/batch_00b.npz    3 stored batches; tensor "b" is absent from batch 001
                           (for --allow-missing)
  counts/relu_abs.txt      2048 counts of |x| (text, with a comment and a blank
                           line) of a ReLU-like tensor, over [0, 6]
  counts/signed.npy        512 int64 counts of x over [-3, 5] (asymmetric)
  counts/histc.npy         1024 float32 whole-valued counts of |x| of a heavy
                           tailed tensor over [0, 40] (what torch.histc returns)
  raw/signed.f32           10000 raw little-endian float32 (histogram --raw)

Usage: /usr/bin/python3 tests/regress/make_data.py
"""
import io
import os
import shutil
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
STAMP = (1980, 1, 1, 0, 0, 0)
PER = 8000  # elements per batch of the main tensors (24k per tensor in all)


def npy_bytes(arr, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, np.asanyarray(arr), version=version, allow_pickle=False)
    return f.getvalue()


def write_npz(path, arrays, deflate, zip64):
    """An .npz as numpy writes it (member KEY.npy per key), fixed time stamp."""
    comp = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=comp) as z:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=STAMP)
            info.compress_type = comp
            info.external_attr = 0o644 << 16
            with z.open(info, "w", force_zip64=zip64) as f:
                f.write(npy_bytes(arr))


def gelu(g):
    return 0.5 * g * (1.0 + np.tanh(0.7978845608 * (g + 0.044715 * g ** 3)))


def tensor_folders():
    for name in ("relu", "signed", "gelu"):
        os.makedirs(os.path.join(OUT, "tensors", name))
    layout = [(np.float32, (PER,), (1, 0)), (np.float16, (40, PER // 40), (2, 0)),
              (np.float64, (4, 20, PER // 80), (3, 0))]
    for b, (dt, shape, ver) in enumerate(layout):
        r = np.random.default_rng(1000 + b)
        vals = {
            "relu": np.maximum(r.standard_normal(PER) * 1.5 + 0.3, 0.0),
            "signed": r.standard_normal(PER) * 2.0 + 0.4 * r.standard_exponential(PER),
            "gelu": gelu(r.standard_normal(PER) * 1.2),
        }
        for name, v in vals.items():
            path = os.path.join(OUT, "tensors", name, "%03d.npy" % b)
            with open(path, "wb") as f:
                f.write(npy_bytes(v.astype(dt).reshape(shape), version=ver))


def npz_set():
    os.makedirs(os.path.join(OUT, "npz"))
    kinds = [(False, True), (True, True), (False, False)]  # (deflate, zip64) per batch
    for b, (deflate, zip64) in enumerate(kinds):
        r = np.random.default_rng(2000 + b)
        heavy = r.standard_t(2.5, PER) * 0.5
        heavy[r.random(PER) < 5e-4] *= 30.0
        arrays = {
            "relu": np.maximum(r.standard_normal((8, PER // 8)) * 1.3 + 0.2, 0.0).astype(np.float32),
            "signed_heavy": heavy.astype(np.float32),
            "half": gelu(r.standard_normal(PER) * 1.5).astype(np.float16),
            "const": np.full(1500, 0.75, np.float32),
            "zero": np.zeros(1500, np.float32),
            "blk 2/conv:0 out/x": (r.standard_normal((40, PER // 40)) * 0.7 - 0.1).astype(np.float32),
        }
        write_npz(os.path.join(OUT, "npz", "batch_%03d.npz" % b), arrays, deflate, zip64)


def nonfinite_set():
    os.makedirs(os.path.join(OUT, "nonfinite"))
    for b in range(2):
        r = np.random.default_rng(3000 + b)
        bad = r.standard_normal(5000) * 1.5
        if b == 0:
            bad[[7, 1234, 4321]] = np.nan
            bad[[99, 2500]] = np.inf
            bad[3333] = -np.inf
            bad = bad.astype(np.float32)
        else:
            bad[[10, 20]] = np.nan
            bad[30] = -np.inf
            bad = bad.astype(np.float16)
        arrays = {"finite": r.standard_normal(5000).astype(np.float32), "with nan inf": bad}
        write_npz(os.path.join(OUT, "nonfinite", "batch_%03d.npz" % b), arrays, deflate=b == 1, zip64=True)


def missing_set():
    os.makedirs(os.path.join(OUT, "missing"))
    for b in range(3):
        r = np.random.default_rng(6000 + b)
        arrays = {"a": r.standard_normal(3000).astype(np.float32)}
        if b != 1:
            arrays["b"] = np.maximum(r.standard_normal(3000), 0.0).astype(np.float32)
        write_npz(os.path.join(OUT, "missing", "batch_%03d.npz" % b), arrays, deflate=False, zip64=True)


def counts():
    os.makedirs(os.path.join(OUT, "counts"))
    r = np.random.default_rng(4000)
    relu = np.maximum(r.standard_normal(60000) * 1.4 + 0.1, 0.0)
    c, _ = np.histogram(relu, bins=2048, range=(0.0, 6.0))
    with open(os.path.join(OUT, "counts", "relu_abs.txt"), "w") as f:
        f.write("# |x| of a ReLU-like tensor: 2048 bins over [0, 6]\n")
        for j, v in enumerate(c):
            f.write("%d\n" % v)
            if j == 1023:
                f.write("\n")
    x = np.concatenate([r.standard_normal(40000) * 0.8 + 0.5, r.standard_exponential(5000) * 1.5])
    c, _ = np.histogram(np.clip(x, -3.0, 5.0), bins=512, range=(-3.0, 5.0))
    np.save(os.path.join(OUT, "counts", "signed.npy"), c.astype(np.int64))
    h = np.abs(r.standard_t(3, 50000)) * 2.0
    c, _ = np.histogram(np.clip(h, 0.0, 40.0), bins=1024, range=(0.0, 40.0))
    np.save(os.path.join(OUT, "counts", "histc.npy"), c.astype(np.float32))


def raw():
    os.makedirs(os.path.join(OUT, "raw"))
    r = np.random.default_rng(5000)
    (r.standard_normal(10000) * 1.1 - 0.3).astype("<f4").tofile(os.path.join(OUT, "raw", "signed.f32"))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    tensor_folders()
    npz_set()
    nonfinite_set()
    missing_set()
    counts()
    raw()
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("wrote %s (%.2f MB)" % (OUT, total / 1e6))


if __name__ == "__main__":
    main()
