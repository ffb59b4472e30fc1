"""Synthetic activations for the benchmarks: one generator per kind of
layer output, so that every benchmark calibrates the same shapes of data."""
import numpy as np

KINDS = ["relu", "preact", "heavy", "softmax", "gelu"]


def make(rng, kind, n, scale):
    """n float32 values of one kind of activation."""
    if kind == "relu":       # post-ReLU: more than half exact zeros
        x = np.maximum(rng.standard_normal(n, dtype=np.float32) * scale - 0.2 * scale, 0)
    elif kind == "preact":   # signed, skewed
        x = rng.standard_normal(n, dtype=np.float32) * scale + 0.3 * scale
    elif kind == "heavy":    # Student-t(3) with rare huge outliers
        x = rng.standard_t(3, n).astype(np.float32) * scale
        x[rng.random(n) < 1e-4] *= 50
    elif kind == "softmax":  # probabilities, mostly tiny
        e = np.exp(rng.standard_normal(n) * 3.0)
        x = e / e.max()
    else:                    # GELU-like
        g = rng.standard_normal(n, dtype=np.float32) * scale
        x = 0.5 * g * (1 + np.tanh(0.7978845608 * (g + 0.044715 * g ** 3)))
    return x.astype(np.float32)
