"""ctypes mirror of include/vkcalib.h (0.2) and the loading of libvkcalib.

Every struct the package passes to the library is declared here with its C
type beside each field; tests/test_py_layout.py compiles a C program against
the header and holds the sizes, offsets, field names and types of each struct
and the value of each constant below to the compiler's, so that a change of
the header cannot silently break the package.

The library is loaded with ctypes.CDLL (never PyDLL): ctypes releases the GIL
for the duration of every foreign call, so other Python threads run while the
library works.
"""

import ctypes
import os
import sys
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int, c_int32, c_size_t,
                    c_uint8, c_uint32, c_uint64, c_void_p)

ABI = (0, 2)  # the header this file mirrors: vkcalib 0.2.x
SONAME = "libvkcalib.so.%d.%d" % ABI

# ---- constants (checked against the header by tests/test_py_layout.py) ----
CONSTANTS = dict(
    VKC_OK=0, VKC_INCOMPLETE=1, VKC_ERROR_INVALID_ARGUMENT=-1, VKC_ERROR_UNSUPPORTED=-2, VKC_ERROR_WRONG_PASS=-3,
    VKC_ERROR_FORMAT=-20, VKC_ERROR_NONFINITE=-21, VKC_ERROR_MISMATCH=-22, VKC_ERROR_EMPTY=-23,
    VKC_ERROR_NO_VULKAN=-40, VKC_ERROR_NO_DEVICE=-41, VKC_ERROR_VULKAN=-42, VKC_ERROR_DEVICE_LOST=-43,
    VKC_ERROR_DEVICE_MEMORY=-44, VKC_ERROR_OUT_OF_MEMORY=-60, VKC_ERROR_IO=-61,
    VKC_STRUCTURE_TYPE_UNSET=0, VKC_STRUCTURE_TYPE_DEVICE_CAPS=1, VKC_STRUCTURE_TYPE_CONTEXT_INFO=2,
    VKC_STRUCTURE_TYPE_SEARCH_PARAMS=3, VKC_STRUCTURE_TYPE_SEARCH_RESULT=4, VKC_STRUCTURE_TYPE_CALIBRATOR_INFO=5,
    VKC_STRUCTURE_TYPE_TENSOR_RESULT=6, VKC_STRUCTURE_TYPE_WRITE_INFO=7, VKC_STRUCTURE_TYPE_CALIBRATION_SETTINGS=8,
    VKC_STRUCTURE_TYPE_GUARD_INFO=12, VKC_STRUCTURE_TYPE_TENSOR_SETTINGS=13,
    VKC_BACKEND_AUTO=0, VKC_BACKEND_VULKAN=1, VKC_BACKEND_CPU=2,
    VKC_FEATURE_SUBGROUP_ARITHMETIC=1, VKC_FEATURE_SHARED_HISTOGRAM=2, VKC_FEATURE_TIMESTAMPS=4,
    VKC_FEATURE_HOST_IMPORT=8,
    VKC_HIST_ABS=0, VKC_HIST_SIGNED=1, VKC_HIST_NUMPY=2, VKC_HIST_NCNN=3, VKC_HIST_MNN=4, VKC_HIST_PADDLE=5,
    VKC_HIST_TORCH=6, VKC_HIST_KIND_COUNT=7,
    VKC_DTYPE_F32=0, VKC_DTYPE_F16=1, VKC_DTYPE_BF16=2,
    VKC_METHOD_ENTROPY=0, VKC_METHOD_PERCENTILE=1, VKC_METHOD_MSE=2, VKC_METHOD_MAX=3,
    VKC_FLAVOR_MODELOPT=0, VKC_FLAVOR_TENSORRT=1, VKC_FLAVOR_MXNET=2, VKC_FLAVOR_MXNET_UINT8=3,
    VKC_FLAVOR_MXNET15=4, VKC_FLAVOR_MXNET15_UINT8=5, VKC_FLAVOR_TVM=6, VKC_FLAVOR_ORT=7, VKC_FLAVOR_ORT_2048=8,
    VKC_FLAVOR_ORT_8001=9, VKC_FLAVOR_NCNN=10, VKC_FLAVOR_NCNN_ACIQ=11, VKC_FLAVOR_MNN=12, VKC_FLAVOR_PADDLE=13,
    VKC_FLAVOR_PPQ=14, VKC_FLAVOR_COUNT=15,
    VKC_LAYOUT_NCHW=0, VKC_LAYOUT_NHWC=1,
    VKC_MODE_SYMMETRIC=0, VKC_MODE_UNSIGNED=1, VKC_MODE_ASYMMETRIC=2, VKC_MODE_AUTO=3,
    VKC_NONFINITE_ERROR=0, VKC_NONFINITE_EXCLUDE=1,
    VKC_RANGE_EXACT=0, VKC_RANGE_STREAMING=1,
    VKC_PASS_RANGE=1, VKC_PASS_HISTOGRAM=2, VKC_PASS_STREAM=3, VKC_PASS_MEASURE=4, VKC_PASS_DONE=5,
    VKC_INT8=0, VKC_UINT8=1,
    VKC_SOURCE_CALIBRATOR=0, VKC_SOURCE_JSON=1, VKC_SOURCE_TRT_CACHE=2, VKC_SOURCE_STATE_RANGE=3,
    VKC_SOURCE_STATE_HISTOGRAM=4,
    VKC_WARNING_NONFINITE_EXCLUDED=1, VKC_WARNING_FLOORED=2, VKC_WARNING_FALLBACK=4, VKC_WARNING_TOOL=8,
    VKC_WARNING_CLIPPED=16, VKC_WARNING_LOW_SQNR=32,
    VKC_RESULT_RANGE=1, VKC_RESULT_STATS=2, VKC_RESULT_SEARCH=4, VKC_RESULT_HISTOGRAM=8, VKC_RESULT_QUALITY=16,
    VKC_RESULT_GUARD=32,
    VKC_TENSOR_SET_METHOD=1, VKC_TENSOR_SET_MODE=2, VKC_TENSOR_SET_SKIP=4,
    VKC_HIST_MAX_BINS=65536,
    VKC_FORMAT_TRT_CACHE=0, VKC_FORMAT_JSON=1,
    VKC_NPY_MAX_DIMS=32,
)
globals().update(CONSTANTS)
VKC_AMAX_FLOOR = 1.0 / 16777216.0

# ---- structs ----------------------------------------------------------------
# name -> ctypes class; each class has _ctypes_ (field, C type) for the layout test.
STRUCTS = {}


def _struct(cname, fields):
    """A ctypes Structure named after the C typedef; fields are (name, ctype, C type text)."""
    cls = type(cname, (Structure,), {"_fields_": [(n, t) for n, t, _ in fields]})
    cls._ctypes_ = [(n, c) for n, _, c in fields]
    STRUCTS[cname] = cls
    return cls


enum = c_int  # every vkcalib enum fits an int (checked: sizeof(enum) == sizeof(int))

vkc_msg = _struct("vkc_msg", [("text", c_char * 1024, "char[1024]")])

vkc_device_caps = _struct("vkc_device_caps", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "void *"),
    ("index", c_uint32, "uint32_t"), ("name", c_char * 256, "char[256]"),
    ("type", enum, "VkPhysicalDeviceType"),
    ("vendor_id", c_uint32, "uint32_t"), ("device_id", c_uint32, "uint32_t"),
    ("driver_id", c_uint32, "uint32_t"),
    ("driver_name", c_char * 256, "char[256]"), ("driver_info", c_char * 256, "char[256]"),
    ("api_version", c_uint32, "uint32_t"), ("driver_version", c_uint32, "uint32_t"),
    ("uuid", c_uint8 * 16, "uint8_t[16]"),
    ("subgroup_size", c_uint32, "uint32_t"),
    ("min_subgroup_size", c_uint32, "uint32_t"), ("max_subgroup_size", c_uint32, "uint32_t"),
    ("subgroup_arithmetic", c_int, "int"),
    ("max_storage_buffer_range", c_uint64, "uint64_t"),
    ("min_storage_buffer_offset_alignment", c_uint64, "uint64_t"),
    ("max_shared_memory", c_uint32, "uint32_t"),
    ("max_workgroup_count", c_uint32 * 3, "uint32_t[3]"),
    ("max_workgroup_invocations", c_uint32, "uint32_t"),
    ("timestamps", c_int, "int"), ("host_import", c_int, "int"),
    ("min_imported_host_pointer_alignment", c_uint64, "uint64_t"),
    ("timestamp_period_ns", c_float, "float"),
    ("heap_count", c_uint32, "uint32_t"),
    ("heap_size", c_uint64 * 16, "uint64_t[16]"),
    ("heap_device_local", c_int * 16, "int[16]"),
    ("is_default", c_int, "int"),
])

vkc_context_info = _struct("vkc_context_info", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("backend", enum, "vkc_backend"),
    ("device", c_char_p, "const char *"),
    ("validate", c_int, "int"),
    ("disable_features", c_uint32, "uint32_t"),
    ("cpu_threads", c_uint32, "uint32_t"),
    ("instance", c_void_p, "VkInstance"),
    ("physical_device", c_void_p, "VkPhysicalDevice"),
    ("device_handle", c_void_p, "VkDevice"),
    ("queue", c_void_p, "VkQueue"),
    ("queue_family", c_uint32, "uint32_t"),
    ("external_memory_host", c_int, "int"),
    ("pipeline_cache", c_void_p, "VkPipelineCache"),
    ("get_instance_proc_addr", c_void_p, "PFN_vkGetInstanceProcAddr"),
])

vkc_stats = _struct("vkc_stats", [
    ("min", c_float, "float"), ("max", c_float, "float"), ("absmax", c_float, "float"),
    ("count", c_uint64, "uint64_t"), ("zeros", c_uint64, "uint64_t"),
    ("nan", c_uint64, "uint64_t"), ("pos_inf", c_uint64, "uint64_t"), ("neg_inf", c_uint64, "uint64_t"),
])

vkc_hist_spec = _struct("vkc_hist_spec", [
    ("kind", enum, "vkc_hist_kind"), ("bins", c_uint32, "uint32_t"),
    ("lo", c_float, "float"), ("hi", c_float, "float"),
])

vkc_quant = _struct("vkc_quant", [
    ("scale", c_float, "float"), ("zero_point", c_int32, "int32_t"),
    ("qmin", c_int32, "int32_t"), ("qmax", c_int32, "int32_t"),
])

vkc_quality = _struct("vkc_quality", [
    ("signal", c_double, "double"), ("noise", c_double, "double"),
    ("count", c_uint64, "uint64_t"), ("clipped", c_uint64, "uint64_t"),
    ("exact", c_uint32 * 14, "uint32_t[14]"), ("scale_bits", c_uint32, "uint32_t"),
])

vkc_search_params = _struct("vkc_search_params", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("method", enum, "vkc_method"), ("flavor", enum, "vkc_flavor"), ("mode", enum, "vkc_mode"),
    ("start_bin", c_uint32, "uint32_t"), ("stride", c_uint32, "uint32_t"),
    ("percentile", c_double, "double"),
])

vkc_histogram = _struct("vkc_histogram", [
    ("counts", POINTER(c_uint64), "const uint64_t *"), ("bins", c_uint32, "uint32_t"),
    ("range_max", c_double, "double"), ("kind", enum, "vkc_hist_kind"), ("range_min", c_double, "double"),
])

vkc_search_result = _struct("vkc_search_result", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "void *"),
    ("i", c_uint32, "uint32_t"), ("window_a", c_uint32, "uint32_t"), ("window_b", c_uint32, "uint32_t"),
    ("threshold", c_double, "double"), ("lo", c_double, "double"), ("hi", c_double, "double"),
    ("kl", c_double, "double"),
    ("candidates", c_uint64, "uint64_t"), ("inf_candidates", c_uint64, "uint64_t"),
    ("reevaluated", c_uint64, "uint64_t"),
    ("fallback", c_int, "int"), ("tool_warning", c_int, "int"), ("message", c_char * 256, "char[256]"),
])

vkc_qparams = _struct("vkc_qparams", [
    ("lo", c_double, "double"), ("hi", c_double, "double"), ("scale", c_double, "double"),
    ("zero_point", c_int32, "int32_t"), ("is_unsigned", c_int, "int"), ("mode", enum, "vkc_mode"),
    ("floored", c_int, "int"),
])

vkc_calibrator_info = _struct("vkc_calibrator_info", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("method", enum, "vkc_method"), ("mode", enum, "vkc_mode"), ("flavor", enum, "vkc_flavor"),
    ("bins", c_uint32, "uint32_t"), ("start_bin", c_uint32, "uint32_t"), ("stride", c_uint32, "uint32_t"),
    ("percentile", c_double, "double"),
    ("nonfinite", enum, "vkc_nonfinite"), ("range", enum, "vkc_range_kind"),
    ("measure", c_int, "int"), ("memory_budget", c_uint64, "uint64_t"),
    ("layout", enum, "vkc_layout"),
])

vkc_guard = _struct("vkc_guard", [
    ("clipped", c_double, "double"), ("sqnr_db", c_double, "double"), ("best_sqnr_db", c_double, "double"),
    ("best_method", enum, "vkc_method"), ("best_lo", c_double, "double"), ("best_hi", c_double, "double"),
    ("max_clipped", c_double, "double"), ("max_sqnr_gap_db", c_double, "double"),
])

vkc_guard_info = _struct("vkc_guard_info", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("disable", c_int, "int"), ("max_clipped", c_double, "double"), ("max_sqnr_gap_db", c_double, "double"),
    ("methods", c_uint32, "uint32_t"),
])

vkc_tensor_settings = _struct("vkc_tensor_settings", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("fields", c_uint32, "uint32_t"), ("method", enum, "vkc_method"), ("mode", enum, "vkc_mode"),
    ("skip", c_int, "int"),
])

vkc_tensor_result = _struct("vkc_tensor_result", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "void *"),
    ("name", c_char_p, "const char *"),
    ("fields", c_uint32, "uint32_t"), ("warnings", c_uint32, "uint32_t"),
    ("method", enum, "vkc_method"), ("mode", enum, "vkc_mode"), ("int_type", enum, "vkc_int_type"),
    ("threshold", c_double, "double"), ("lo", c_double, "double"), ("hi", c_double, "double"),
    ("scale", c_double, "double"), ("zero_point", c_int32, "int32_t"),
    ("floored", c_int, "int"), ("amax", c_double, "double"),
    ("cache_scale_bits", c_uint32, "uint32_t"),
    ("stats", vkc_stats, "vkc_stats"), ("spec", vkc_hist_spec, "vkc_hist_spec"),
    ("counts", POINTER(c_uint64), "const uint64_t *"),
    ("search", vkc_search_result, "vkc_search_result"),
    ("quality", vkc_quality, "vkc_quality"),
    ("guard", vkc_guard, "vkc_guard"),
])

vkc_calibration_settings = _struct("vkc_calibration_settings", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "void *"),
    ("source", enum, "vkc_calibration_source"),
    ("method", enum, "vkc_method"), ("mode", enum, "vkc_mode"), ("flavor", enum, "vkc_flavor"),
    ("bins", c_uint32, "uint32_t"), ("start_bin", c_uint32, "uint32_t"), ("stride", c_uint32, "uint32_t"),
    ("percentile", c_double, "double"),
    ("nonfinite", enum, "vkc_nonfinite"), ("range", enum, "vkc_range_kind"),
    ("trt_version", c_uint32, "uint32_t"),
    ("trt_algo", c_char_p, "const char *"), ("producer", c_char_p, "const char *"),
])

vkc_write_info = _struct("vkc_write_info", [
    ("sType", enum, "vkc_structure_type"), ("pNext", c_void_p, "const void *"),
    ("trt_version", c_uint32, "uint32_t"), ("trt_algo", c_char_p, "const char *"),
    ("envelope", c_int, "int"), ("histograms", c_int, "int"),
])

# Opaque handles.
ctx_p = c_void_p
cal_p = c_void_p
calibration_p = c_void_p
status = c_int

# ---- functions: name -> (restype, argtypes) ----------------------------------
FUNCTIONS = {
    "vkc_status_name": (c_char_p, [status]),
    "vkc_version": (c_char_p, []),
    "vkc_free": (None, [c_void_p]),
    "vkc_enumerate_devices": (status, [POINTER(vkc_device_caps), POINTER(c_uint32), POINTER(vkc_msg)]),
    "vkc_context_create": (status, [POINTER(vkc_context_info), POINTER(ctx_p), POINTER(vkc_msg)]),
    "vkc_context_destroy": (None, [ctx_p]),
    "vkc_context_error": (c_char_p, [ctx_p]),
    "vkc_context_device_name": (c_char_p, [ctx_p]),
    "vkc_context_is_cpu": (c_int, [ctx_p]),
    "vkc_context_validation_counts": (None, [ctx_p, POINTER(c_uint32), POINTER(c_uint32)]),
    "vkc_context_validation_first": (c_char_p, [ctx_p]),
    "vkc_dtype_size": (c_uint32, [enum]),
    "vkc_search": (status, [ctx_p, POINTER(vkc_histogram), c_uint32, POINTER(vkc_search_params),
                            POINTER(vkc_search_result)]),
    "vkc_search_curve": (status, [POINTER(vkc_histogram), POINTER(vkc_search_params), POINTER(c_double),
                                  POINTER(c_uint32), POINTER(c_uint32), POINTER(vkc_msg)]),
    "vkc_qparams_from_range": (status, [enum, c_double, c_double, POINTER(vkc_qparams), POINTER(vkc_msg)]),
    "vkc_method_name": (c_char_p, [enum]),
    "vkc_method_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "vkc_mode_name": (c_char_p, [enum]),
    "vkc_mode_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "vkc_flavor_name": (c_char_p, [enum]),
    "vkc_flavor_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "vkc_calibrator_create": (status, [ctx_p, POINTER(vkc_calibrator_info), POINTER(cal_p)]),
    "vkc_calibrator_destroy": (None, [cal_p]),
    "vkc_calibrator_error": (c_char_p, [cal_p]),
    "vkc_calibrator_failed_tensor": (c_uint32, [cal_p]),
    "vkc_calibrator_pass": (enum, [cal_p]),
    "vkc_calibrator_settings": (POINTER(vkc_calibrator_info), [cal_p]),
    "vkc_calibrator_tensor": (status, [cal_p, c_char_p, POINTER(c_uint32)]),
    "vkc_calibrator_find": (c_uint32, [cal_p, c_char_p]),
    "vkc_calibrator_tensor_count": (c_uint32, [cal_p]),
    "vkc_calibrator_tensor_name": (c_char_p, [cal_p, c_uint32]),
    "vkc_calibrator_feed": (status, [cal_p, c_uint32, c_void_p, c_uint64, enum]),
    "vkc_calibrator_set_shape": (status, [cal_p, c_uint32, c_uint32, POINTER(c_uint64)]),
    "vkc_calibrator_set_tensor": (status, [cal_p, c_uint32, POINTER(vkc_tensor_settings)]),
    "vkc_calibrator_get_tensor": (c_int, [cal_p, c_uint32, POINTER(vkc_tensor_settings)]),
    "vkc_calibrator_end_pass": (status, [cal_p]),
    "vkc_calibrator_merge": (status, [cal_p, cal_p]),
    "vkc_calibrator_adopt": (status, [cal_p, cal_p]),
    "vkc_calibrator_save_state": (status, [cal_p, c_char_p]),
    "vkc_calibrator_load_state": (status, [cal_p, c_char_p, enum]),
    "vkc_state_merge_files": (status, [POINTER(c_char_p), c_uint32, c_char_p, POINTER(vkc_msg)]),
    "vkc_calibrator_results": (calibration_p, [cal_p]),
    "vkc_calibration_count": (c_uint32, [calibration_p]),
    "vkc_calibration_tensor": (POINTER(vkc_tensor_result), [calibration_p, c_uint32]),
    "vkc_calibration_get_settings": (POINTER(vkc_calibration_settings), [calibration_p]),
    "vkc_calibration_read": (status, [c_char_p, POINTER(calibration_p), POINTER(vkc_msg)]),
    "vkc_calibration_parse": (status, [c_void_p, c_size_t, c_char_p, POINTER(calibration_p), POINTER(vkc_msg)]),
    "vkc_calibration_free": (None, [calibration_p]),
    "vkc_calibration_format": (status, [calibration_p, enum, POINTER(vkc_write_info), POINTER(c_void_p),
                                        POINTER(c_size_t), POINTER(vkc_msg)]),
    "vkc_calibration_write": (status, [calibration_p, c_char_p, enum, POINTER(vkc_write_info), POINTER(vkc_msg)]),
    "vkc_trt_version_parse": (c_int, [c_char_p, POINTER(c_uint32)]),
    "vkc_trt_algo_known": (c_int, [c_char_p]),
    "vkc_trt_scale": (c_float, [c_double]),
    "vkc_quality_sqnr_db": (c_double, [POINTER(vkc_quality)]),
}

# ---- finding the library ----------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    """(path, where it came from) in the order they are tried."""
    env = os.environ.get("VKCALIB_LIBRARY")
    if env:
        # An explicit choice is the only one: a stale build elsewhere must not
        # stand in for the library the user named.
        return [(env, "VKCALIB_LIBRARY")]
    out = []
    try:
        from . import _install_paths as ip  # written by `cmake --install`
        out.append((os.path.normpath(os.path.join(_HERE, ip.LIBRARY_RELATIVE)), "installed with the package"))
        out.append((ip.LIBRARY_ABSOLUTE, "installed with the package (absolute)"))
    except ImportError:
        pass
    # A source checkout: python/vkcalib next to a build folder.
    root = os.path.dirname(os.path.dirname(_HERE))
    for b in ("build", "build-release", "build-gpu"):
        out.append((os.path.join(root, b, SONAME), "the source tree's %s/" % b))
    out.append((SONAME, "the dynamic loader's search path (LD_LIBRARY_PATH, ldconfig)"))
    return out


def _load():
    tried = []
    cands = _candidates()
    for path, where in cands:
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, where))
            continue
        try:
            lib = ctypes.CDLL(path)  # CDLL: the GIL is released during every call
        except OSError as e:
            tried.append("%s (%s): %s" % (path, where, e))
            continue
        if not hasattr(lib, "vkc_calibrator_create"):
            tried.append("%s (%s): not a vkcalib library" % (path, where))
            continue
        lib.vkc_version.restype = c_char_p
        ver = lib.vkc_version().decode()
        parts = tuple(int(p) for p in ver.split(".")[:2])
        if parts != ABI:
            tried.append("%s (%s): version %s, but this package mirrors the %d.%d header" % ((path, where, ver) + ABI))
            continue
        return lib, path
    raise ImportError("vkcalib: cannot load libvkcalib (%s). Looked at:\n  %s\nSet VKCALIB_LIBRARY to the library "
                      "(e.g. build/%s), or install the package with `cmake --install`, which puts it beside the "
                      "library." % (SONAME, "\n  ".join(tried), SONAME))


lib, path = _load()
for _name, (_res, _args) in FUNCTIONS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args
del _name, _res, _args, _f


def text(b):
    """A C string from the library as str (bytes that are not UTF-8 kept as escapes)."""
    if b is None:
        return ""
    return b.decode("utf-8", "backslashreplace") if isinstance(b, bytes) else str(b)


def encode(s):
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8", "surrogateescape")


def fspath(p):
    return os.fsencode(os.fspath(p))


if sys.byteorder != "little":  # pragma: no cover
    raise ImportError("vkcalib: the library takes little-endian arrays only")
