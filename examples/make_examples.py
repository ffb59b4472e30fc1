#!/usr/bin/python3
"""Generates the bundled calibration set examples/calib/: 8 batches, one .npz
per batch, keys are tensor names. Deterministic (fixed seed), about 3 MB.

The tensors imitate what a small CNN/transformer hands a calibrator:
  input                      normalised image input, roughly normal, signed
  /conv1/Relu_output_0       post-ReLU: more than half exact zeros
  /layer1/conv/Conv_output_0 pre-activation: signed, slightly skewed
  /fc/Gemm_output_0          heavy-tailed with rare large outliers
  /attn/Softmax_output_0     softmax probabilities in [0, 1], mostly tiny
  /head/Sigmoid_output_0     sigmoid output in (0, 1), stored as float16
  block2:act                 a name with ':' (TensorFlow style), GELU-like

Run with Debian's python3-numpy: /usr/bin/python3 examples/make_examples.py
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calib")
BATCHES = 8
rng = np.random.default_rng(20261127)


def batch():
    shape = (2, 32, 16, 16)
    x = rng.standard_normal(shape).astype(np.float32)
    pre = (rng.standard_normal(shape) * 1.7 + 0.3).astype(np.float32)
    relu = np.maximum(pre - 0.4, 0).astype(np.float32)
    t = rng.standard_t(3, size=(32, 512)).astype(np.float32)
    t[rng.random(t.shape) < 1e-3] *= 20.0
    logits = rng.standard_normal((16, 8, 128)) * 3.0
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    soft = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
    sig = (1.0 / (1.0 + np.exp(-rng.standard_normal((64, 256)) * 2.0))).astype(np.float16)
    g = rng.standard_normal((64, 256))
    gelu = (0.5 * g * (1.0 + np.tanh(0.7978845608 * (g + 0.044715 * g ** 3)))).astype(np.float32)
    return {
        "input": x,
        "/conv1/Relu_output_0": relu,
        "/layer1/conv/Conv_output_0": pre,
        "/fc/Gemm_output_0": t,
        "/attn/Softmax_output_0": soft,
        "/head/Sigmoid_output_0": sig,
        "block2:act": gelu,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for b in range(BATCHES):
        np.savez_compressed(os.path.join(OUT, "batch_%03d.npz" % b), **batch())
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d batches to %s (%.1f MB)" % (BATCHES, OUT, total / 1e6))


if __name__ == "__main__":
    main()
