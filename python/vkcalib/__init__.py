"""vkcalib: INT8 activation calibration on any Vulkan GPU or the native CPU backend, from Python.

A ctypes package over libvkcalib.so (no compiled extension; the GIL is released during every library
call). The main entry points:

    vkcalib.calibrate(batches, method="entropy", mode="symmetric", flavor=None, device=None, **options)
    vkcalib.Calibrator(...)            collect(name, array) pass by pass, compute(), write_trt_cache(), ...
    vkcalib.HistogramCalibrator(...)   pytorch-quantization / Model Optimizer interface
    vkcalib.search(counts, range_max, method="entropy", ...)
    vkcalib.torch                      forward hooks over a torch.nn.Module (import vkcalib.torch)
    vkcalib.ort                        ONNX Runtime's create_calibrator contract (import vkcalib.ort)

The library is found through VKCALIB_LIBRARY, else beside the installed package (cmake --install), else
a source checkout's build/, else the dynamic loader's path.
"""

from ._core import (Calibration, CalibrationFile, Calibrator, Context, Quality, SearchResult, TensorResult,
                    calibrate, devices, library_path, merge_states, parse_calibration, read_calibration, search,
                    version)
from ._errors import (DeviceError, EmptyError, Error, FormatError, InvalidArgumentError, MismatchError,
                      NonFiniteError, OutOfMemoryError, UnsupportedError, WrongPassError)
from .histogram import HistogramCalibrator

__version__ = version()

__all__ = ["Calibration", "CalibrationFile", "Calibrator", "Context", "Quality", "SearchResult", "TensorResult",
           "calibrate", "devices", "library_path", "merge_states", "parse_calibration", "read_calibration",
           "search", "version", "HistogramCalibrator", "Error", "DeviceError", "EmptyError", "FormatError",
           "InvalidArgumentError", "MismatchError", "NonFiniteError", "OutOfMemoryError", "UnsupportedError",
           "WrongPassError"]
