"""Python exceptions carrying the library's messages."""

from . import _lib as L


class Error(Exception):
    """A failed vkcalib call: .status (the vkc_status integer), .status_name ("VKC_ERROR_NONFINITE"),
    .description (vkc_status_name: "NaN or Inf in input"), .message (the library's message) and .tensor
    (the tensor it concerns, or None)."""

    def __init__(self, status, message, tensor=None):
        self.status = int(status)
        self.status_name = next((k for k, v in L.CONSTANTS.items() if v == self.status and
                                 (k.startswith("VKC_ERROR_") or k in ("VKC_OK", "VKC_INCOMPLETE"))), str(self.status))
        self.description = L.text(L.lib.vkc_status_name(self.status))
        self.message = message
        self.tensor = tensor
        super().__init__(message)


class InvalidArgumentError(Error, ValueError):
    pass


class UnsupportedError(Error):
    pass


class WrongPassError(Error):
    """A call made in a pass that does not take it (a new tensor in the histogram pass, feeding after the end)."""


class FormatError(Error, ValueError):
    pass


class NonFiniteError(Error, ValueError):
    """NaN or Inf in a tensor (an error unless exclude_nonfinite=True)."""


class MismatchError(Error, ValueError):
    pass


class EmptyError(Error, ValueError):
    pass


class DeviceError(Error):
    """No Vulkan, no matching device, a failed Vulkan call, device loss or device memory."""


class OutOfMemoryError(Error, MemoryError):
    pass


class IOError_(Error, OSError):
    pass


_BY_STATUS = {
    L.VKC_ERROR_INVALID_ARGUMENT: InvalidArgumentError,
    L.VKC_ERROR_UNSUPPORTED: UnsupportedError,
    L.VKC_ERROR_WRONG_PASS: WrongPassError,
    L.VKC_ERROR_FORMAT: FormatError,
    L.VKC_ERROR_NONFINITE: NonFiniteError,
    L.VKC_ERROR_MISMATCH: MismatchError,
    L.VKC_ERROR_EMPTY: EmptyError,
    L.VKC_ERROR_NO_VULKAN: DeviceError,
    L.VKC_ERROR_NO_DEVICE: DeviceError,
    L.VKC_ERROR_VULKAN: DeviceError,
    L.VKC_ERROR_DEVICE_LOST: DeviceError,
    L.VKC_ERROR_DEVICE_MEMORY: DeviceError,
    L.VKC_ERROR_OUT_OF_MEMORY: OutOfMemoryError,
    L.VKC_ERROR_IO: IOError_,
}


def error(status, message, tensor=None):
    cls = _BY_STATUS.get(int(status), Error)
    if not message:
        message = L.text(L.lib.vkc_status_name(int(status)))
    return cls(status, message, tensor)


def check_msg(status, msg):
    """Raises for a failed context-free call that filled a vkc_msg."""
    if status < 0:
        raise error(status, L.text(msg.text))
    return status
