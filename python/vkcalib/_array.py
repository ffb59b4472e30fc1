"""Host arrays as (pointer, element count, vkc_dtype) without copying where the memory allows.

Accepted: CPU torch tensors (float32, float16, bfloat16), numpy arrays (float32, float16, and
bfloat16 where a numpy extension type such as ml_dtypes provides it), anything numpy takes
through the buffer protocol or __array_interface__, and objects with __dlpack__ (CPU memory).
A C-contiguous, aligned array is passed to the library in place; anything else (strided views,
transposes, misaligned or big-endian data) is copied once into a contiguous array first.
float64 is converted to float32 (a copy), as the CLI does for .npy files; integer and complex
arrays are refused: they are not activations.
"""

import ctypes
import sys

from . import _lib as L

F32, F16, BF16 = L.VKC_DTYPE_F32, L.VKC_DTYPE_F16, L.VKC_DTYPE_BF16
_SIZES = {F32: 4, F16: 2, BF16: 2}


class HostArray:
    """What the library reads: ptr, n elements of dtype; keep holds the memory alive; copied says
    whether the package had to make a contiguous copy."""

    __slots__ = ("ptr", "n", "dtype", "keep", "copied")

    def __init__(self, ptr, n, dtype, keep, copied):
        self.ptr, self.n, self.dtype, self.keep, self.copied = ptr, n, dtype, keep, copied


def _is_torch(x):
    m = type(x).__module__
    return (m == "torch" or m.startswith("torch.")) and hasattr(x, "data_ptr")


def _torch(x, what):
    import torch
    if x.device.type != "cpu":
        raise TypeError("%s: a %s tensor; vkcalib reads host memory: pass x.cpu() (or, on a CUDA machine, build "
                        "the histogram there with torch.histc and use vkcalib.search)" % (what, x.device.type))
    dt = {torch.float32: F32, torch.float16: F16, torch.bfloat16: BF16}.get(x.dtype)
    copied = False
    if dt is None:
        if x.dtype == torch.float64:
            x, dt, copied = x.to(torch.float32), F32, True
        else:
            raise TypeError("%s: dtype %s; vkcalib calibrates float32, float16 and bfloat16 activations"
                            % (what, x.dtype))
    if x.layout != torch.strided:
        raise TypeError("%s: a %s tensor; pass x.to_dense()" % (what, x.layout))
    if not x.is_contiguous():
        x, copied = x.contiguous(), True
    x = x.detach()
    return HostArray(x.data_ptr(), x.numel(), dt, x, copied)


def _numpy_dtype(a, what):
    import numpy as np
    k, size = a.dtype.kind, a.dtype.itemsize
    if a.dtype.names is not None:
        raise TypeError("%s: a structured array" % what)
    if k == "f" and size == 4:
        return F32, None
    if k == "f" and size == 2:
        return F16, None
    if k == "f" and size == 8:
        return F32, np.float32
    if size == 2 and a.dtype.name == "bfloat16":  # ml_dtypes and friends
        return BF16, None
    raise TypeError("%s: dtype %s; vkcalib calibrates float32, float16 and bfloat16 activations "
                    "(integer and complex arrays are not activations)" % (what, a.dtype))


def _numpy(a, what):
    import numpy as np
    dt, convert = _numpy_dtype(a, what)
    copied = False
    if convert is not None:
        a, copied = a.astype(convert), True
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
        a, copied = a.astype(a.dtype.newbyteorder("<")), True
    if not (a.flags.c_contiguous and a.flags.aligned):
        a, copied = np.require(a, requirements=("C", "A")), True
    return HostArray(a.ctypes.data if a.size else 0, a.size, dt, a, copied)


# ---- DLPack: the capsule's DLManagedTensor, read with ctypes ---------------

class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_kDLCPU, _kDLCUDAHost, _kDLCUDAManaged = 1, 3, 13
_kDLFloat, _kDLBfloat = 2, 4

_capsule_get = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_get.restype = ctypes.c_void_p
_capsule_get.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _dlpack(x, what):
    """A zero-copy view of a C-contiguous CPU DLPack tensor, or None when it is not one (the caller
    falls back to numpy, which copies)."""
    try:
        cap = x.__dlpack__()
    except Exception:
        return None
    # The capsule stays named "dltensor" (not consumed): its destructor calls the producer's deleter
    # when `cap` is released, after the library has read the memory.
    ptr = _capsule_get(cap, b"dltensor")
    t = _DLTensor.from_address(ptr)  # DLManagedTensor begins with its DLTensor
    if t.device.device_type not in (_kDLCPU, _kDLCUDAHost, _kDLCUDAManaged):
        raise TypeError("%s: DLPack device type %d; vkcalib reads host memory" % (what, t.device.device_type))
    code, bits, lanes = t.dtype.code, t.dtype.bits, t.dtype.lanes
    dt = {(_kDLFloat, 32): F32, (_kDLFloat, 16): F16, (_kDLBfloat, 16): BF16}.get((code, bits))
    if dt is None or lanes != 1:
        raise TypeError("%s: DLPack dtype code %d, %d bits, %d lanes; vkcalib calibrates float32, float16 and "
                        "bfloat16" % (what, code, bits, lanes))
    n, contiguous, expect = 1, True, 1
    shape = [t.shape[i] for i in range(t.ndim)]
    for s in shape:
        n *= s
    if t.strides:
        for i in reversed(range(t.ndim)):
            if shape[i] != 1 and t.strides[i] != expect:
                contiguous = False
            expect *= shape[i]
    addr = (t.data or 0) + t.byte_offset
    if not contiguous or (n and addr % _SIZES[dt]):
        return None
    return HostArray(addr if n else 0, n, dt, (cap, x), False)


def host_array(x, what="array"):
    """The library's view of x (see the module docstring); raises TypeError for what it cannot take."""
    if isinstance(x, HostArray):
        return x
    if _is_torch(x):
        return _torch(x, what)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(x, np.ndarray):
        return _numpy(x, what)
    if hasattr(x, "__dlpack__") and not hasattr(x, "__array_interface__"):
        h = _dlpack(x, what)
        if h is not None:
            return h
        if np is not None and hasattr(np, "from_dlpack"):  # strided or misaligned: numpy makes the copy
            try:
                a = np.from_dlpack(x)
            except Exception as e:
                raise TypeError("%s: a non-contiguous or misaligned DLPack tensor numpy cannot read (%s); make it "
                                "contiguous first" % (what, e))
            return _numpy(a, what)
    if np is None:  # pragma: no cover
        raise TypeError("%s: %s needs numpy (torch tensors and DLPack tensors do not)" % (what, type(x).__name__))
    if isinstance(x, str):
        raise TypeError("%s: a str, not an array" % what)
    try:
        a = np.asarray(x)  # buffer protocol, __array_interface__, __array__, DLPack via numpy: no copy when it can
    except Exception as e:
        raise TypeError("%s: cannot read a %s as an array (%s)" % (what, type(x).__name__, e))
    if a.dtype == object:
        raise TypeError("%s: a %s is not a numeric array" % (what, type(x).__name__))
    return _numpy(a, what)
