"""Issue #15's claim about the two-sided entropy search, measured on real data through the public API:
on a tensor that is never negative, mode asymmetric's range is exactly mode unsigned's (the windows
starting at 0 are the unsigned candidates, same P, Q and KL), so its measured SQNR is never below
unsigned's; on the other tensors the asymmetric range holds 0 and the table printed says how it
compares with symmetric. Both on the CPU backend and on lavapipe, whose results must be identical.

Data: the bundled example and a generated set of ReLU, ReLU6, softmax (10 and 1000 classes), sigmoid,
hard-swish, GELU and logits tensors (seeded, so every run sees the same values)."""

import math
import sys
import unittest

import py_common as C
from py_common import np, vkcalib


def generated(nbatches=6, n=8192):
    rng = np.random.RandomState(20261201)
    out = []
    for _ in range(nbatches):
        pre = rng.standard_normal(n).astype(np.float32) * 2.0 + 0.3
        l10 = rng.standard_normal((n // 10, 10)).astype(np.float64) * 3.0
        l1k = rng.standard_normal((n // 1000 + 1, 1000)).astype(np.float64) * 2.0
        sm10 = np.exp(l10 - l10.max(axis=1, keepdims=True))
        sm1k = np.exp(l1k - l1k.max(axis=1, keepdims=True))
        heavy = (rng.standard_t(3, n) * 1.5).astype(np.float32)
        erf = np.vectorize(math.erf)
        out.append({
            "relu": np.maximum(pre, 0),
            "relu6": np.clip(pre * 2.0, 0, 6),
            "softmax10": (sm10 / sm10.sum(axis=1, keepdims=True)).astype(np.float32).ravel(),
            "softmax1000": (sm1k / sm1k.sum(axis=1, keepdims=True)).astype(np.float32).ravel(),
            "sigmoid": (1.0 / (1.0 + np.exp(-pre.astype(np.float64) * 1.5))).astype(np.float32),
            "hardswish": (pre * np.clip(pre + 3, 0, 6) / 6).astype(np.float32),
            "gelu": (0.5 * pre * (1 + erf(pre.astype(np.float64) / math.sqrt(2)))).astype(np.float32),
            "logits": heavy,
        })
    return out


def calibrate(batches, mode, ctx):
    return vkcalib.calibrate(batches, method="entropy", mode=mode, measure=True, context=ctx)


class TwoSided(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sets = {"example": [C.load_npz(f) for f in C.example_files()], "generated": generated()}
        cls.contexts = [("cpu", vkcalib.Context("cpu"))]
        lvp = C.lavapipe()
        if lvp:
            cls.contexts.append((lvp, vkcalib.Context(lvp, validate=True)))
        else:  # pragma: no cover
            print("NOTE: no Vulkan device: the CPU backend only", file=sys.stderr)

    def test_never_below_unsigned_and_backends_agree(self):
        table = []
        for set_name, batches in self.sets.items():
            per_backend = []
            for dev, ctx in self.contexts:
                res = {m: calibrate(batches, m, ctx) for m in ("asymmetric", "auto", "symmetric")}
                per_backend.append(res)
                for name, a in res["asymmetric"].items():
                    s = res["symmetric"][name]
                    with self.subTest(set=set_name, tensor=name, device=dev):
                        self.assertLessEqual(a.lo, 0.0)
                        self.assertGreaterEqual(a.hi, 0.0)
                        if a.min >= 0:
                            u = res["auto"][name]  # unsigned where never negative
                            # The same candidate, bit for bit, hence the same measured quality.
                            self.assertEqual(a.lo, 0.0)
                            self.assertEqual((a.hi, a.i, a.kl), (u.hi, u.i, u.kl))
                            self.assertGreaterEqual(a.quality.sqnr_db, u.quality.sqnr_db)
                        if dev == "cpu":
                            u_db = res["auto"][name].quality.sqnr_db if a.min >= 0 else float("nan")
                            table.append((set_name, name, a.quality.sqnr_db, u_db, s.quality.sqnr_db))
            # Every backend gives the same results, measurement included.
            ref = per_backend[0]
            for (dev, _), res in zip(self.contexts[1:], per_backend[1:]):
                for mode in ref:
                    with self.subTest(set=set_name, mode=mode, device=dev):
                        self.assertEqual({k: v.to_dict() for k, v in res[mode].items()},
                                         {k: v.to_dict() for k, v in ref[mode].items()})
                        self.assertEqual({k: v.quality.sqnr_db for k, v in res[mode].items()},
                                         {k: v.quality.sqnr_db for k, v in ref[mode].items()})
        print("\n%-10s %-28s %9s %9s %9s" % ("set", "tensor", "asym dB", "uns dB", "sym dB"), file=sys.stderr)
        for row in table:
            print("%-10s %-28s %9.2f %9.2f %9.2f" % row, file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
