#!/usr/bin/python3
"""Writes the seed corpus in fuzz/corpus/{npy,npz,trtcache}/.

Run with /usr/bin/python3 (numpy needed); the output is committed, so keep
every file tiny. Valid files exercise every accepted form; files named
bad_* are the known crasher classes of .npy and zip readers, each of which
must be rejected with an error, never a crash. The output is deterministic
(fixed zip timestamps) so reruns do not churn the tree. Crashers found by
fuzzing are copied in by hand as crash-<sha1> and kept across reruns.
"""
import io
import os
import struct
import zipfile

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
DATE = (1980, 1, 1, 0, 0, 0)


def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    npformat.write_array(buf, arr, version=version, allow_pickle=False)
    return buf.getvalue()


def npy_raw(header, data=b"", version=(1, 0), hlen=None):
    """An .npy with a hand-written header dict (padded like numpy's)."""
    h = header.encode("latin1")
    prefix = 10 if version[0] == 1 else 12
    pad = (-(prefix + len(h) + 1)) % 64
    h = h + b" " * pad + b"\n"
    n = len(h) if hlen is None else hlen
    lenfield = struct.pack("<H", n) if version[0] == 1 else struct.pack("<I", n)
    return b"\x93NUMPY" + bytes(version) + lenfield + h + data


def zip_numpy_style(members, compression):
    """What np.savez / np.savez_compressed write: zipfile with force_zip64,
    so every local header carries a zip64 extra record."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=DATE)
            zi.compress_type = compression
            with zf.open(zi, "w", force_zip64=True) as f:
                f.write(data)
    return buf.getvalue()


def zip_plain(members, compression):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=DATE)
            zi.compress_type = compression
            zf.writestr(zi, data)
    return buf.getvalue()


class Unseekable(io.RawIOBase):
    """Makes zipfile stream members with data descriptors (flag bit 3)."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def zip_streamed(members, compression):
    raw = Unseekable()
    with zipfile.ZipFile(raw, "w", compression=compression) as zf:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=DATE)
            zi.compress_type = compression
            with zf.open(zi, "w") as f:
                f.write(data)
    return bytes(raw.buf)


def eocd_pos(z):
    return z.rfind(b"PK\x05\x06")


def cd_pos(z):
    return struct.unpack_from("<I", z, eocd_pos(z) + 16)[0]


def patch(z, off, fmt, value):
    b = bytearray(z)
    struct.pack_into(fmt, b, off, value)
    return bytes(b)


def write(kind, name, data):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_corpus():
    f32 = np.array([[0.5, -1.25, 3.0], [1e-30, -0.0, 65504.0]], dtype="<f4")
    f16 = np.array([0, 1, -2, 6.1e-5, 6e-8, -6e-8, 65504, np.inf, -np.inf, np.nan], dtype="<f2")
    f64 = np.array([1.0 / 3.0, -1e300, 1e-320, 2.5, 3.4028235677973366e38], dtype="<f8")
    valid = {
        "f32_v1.npy": npy_bytes(f32),
        "f32_v2.npy": npy_bytes(f32, (2, 0)),
        "f32_v3.npy": npy_bytes(f32, (3, 0)),
        "f16_v1.npy": npy_bytes(f16),
        "f64_v1.npy": npy_bytes(f64),
        "f32_scalar.npy": npy_bytes(np.array(7.0, dtype="<f4")),
        "f32_empty.npy": npy_bytes(np.zeros((0, 3), dtype="<f4")),
        "f32_3d.npy": npy_bytes(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
        "u1_counts.npy": npy_bytes(np.array([0, 1, 255], dtype="|u1")),
        "i4_counts.npy": npy_bytes(np.array([0, 7, 2147483647], dtype="<i4")),
        "i8_counts.npy": npy_bytes(np.array([0, 9, 1 << 40], dtype="<i8")),
        "u8_counts.npy": npy_bytes(np.array([0, 3, (1 << 64) - 1], dtype="<u8")),
        "py2_long_shape.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",
                                      b"\0\0\x80\x3f\0\0\0\x40"),
        "double_quotes.npy": npy_raw('{"shape": (1,), "fortran_order": False, "descr": "<f4"}', b"\0\0\0\0"),
    }
    f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }"
    bad = {
        "bad_magic.npy": b"\x93NUMPX\x01\x00" + valid["f32_v1.npy"][8:],
        "bad_version.npy": b"\x93NUMPY\x04\x00" + valid["f32_v1.npy"][8:],
        "bad_truncated_prefix.npy": valid["f32_v1.npy"][:9],
        "bad_huge_header_len.npy": npy_raw(f4 % "1,", b"\0" * 4, (2, 0), hlen=0xFFFFFFFF),
        "bad_header_over_cap.npy": npy_raw(f4 % "1,", b"\0" * 4, (2, 0), hlen=(1 << 20) + 1),
        "bad_header_past_end.npy": npy_raw(f4 % "1,", b"", (1, 0), hlen=4000),
        "bad_shape_overflow.npy": npy_raw(f4 % "4294967296, 4294967296, 16", b"\0" * 16),
        "bad_bytes_overflow.npy": npy_raw(f4 % "4611686018427387904,", b"\0" * 16),
        "bad_dim_too_large.npy": npy_raw(f4 % "99999999999999999999,", b""),
        "bad_negative_dim.npy": npy_raw(f4 % "-1,", b""),
        "bad_short_data.npy": npy_bytes(f32)[:-1],
        "bad_long_data.npy": npy_bytes(f32) + b"\0" * 4,
        "bad_fortran.npy": npy_bytes(np.asfortranarray(f32)),
        "bad_big_endian.npy": npy_bytes(f32.astype(">f4")),
        "bad_dtype_c8.npy": npy_bytes(np.zeros(2, dtype="<c8")),
        "bad_structured.npy": npy_bytes(np.zeros(2, dtype=[("a", "<f4")])),
        "bad_not_tuple.npy": npy_raw(f4 % "5", b"\0" * 20),
        "bad_33_dims.npy": npy_raw(f4 % ("1, " * 33), b"\0" * 4),
        "bad_unterminated.npy": npy_raw("{'descr': '<f4", b""),
        "bad_missing_key.npy": npy_raw("{'descr': '<f4', 'shape': (1,), }", b"\0" * 4),
        "bad_extra_key.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", b"\0" * 4),
        "bad_trailing_text.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", b"\0" * 4),
        "bad_true_ish.npy": npy_raw("{'descr': '<f4', 'fortran_order': Trueish, 'shape': (1,), }", b"\0" * 4),
    }
    for k, v in {**valid, **bad}.items():
        write("npy", k, v)
    return valid


def npz_corpus(npy):
    members = [("a.npy", npy["f32_v1.npy"]), ("conv1/out.npy", npy["f16_v1.npy"]), ("c.npy", npy["f64_v1.npy"])]
    stored = zip_numpy_style(members, zipfile.ZIP_STORED)
    deflated = zip_numpy_style(members, zipfile.ZIP_DEFLATED)
    one = zip_plain([("x.npy", npy["f32_3d.npy"])], zipfile.ZIP_DEFLATED)
    valid = {
        "savez_stored.npz": stored,
        "savez_deflated.npz": deflated,
        "plain_stored.npz": zip_plain(members[:1], zipfile.ZIP_STORED),
        "plain_deflated.npz": one,
        "streamed_deflated.npz": zip_streamed(members[:2], zipfile.ZIP_DEFLATED),
        "empty.npz": zip_plain([], zipfile.ZIP_STORED),
        "with_folder.npz": zip_plain([("dir/", b""), ("dir/t.npy", npy["u8_counts.npy"])], zipfile.ZIP_STORED),
    }
    e, c = eocd_pos(one), cd_pos(one)
    lh_extra = struct.unpack_from("<H", one, 28)[0]
    crc_flip = bytearray(one)
    crc_flip[30 + len("x.npy") + lh_extra + 2] ^= 0x01  # a byte of compressed data
    enc = patch(patch(one, 6, "<H", 1), c + 8, "<H", 1)
    bad = {
        "bad_cd_offset_past_end.npz": patch(one, e + 16, "<I", len(one) + 100),
        "bad_cd_size_past_end.npz": patch(one, e + 12, "<I", 0x7FFFFFFF),
        "bad_local_offset_past_end.npz": patch(one, c + 42, "<I", 0x7FFFFF00),
        "bad_csize_past_end.npz": patch(one, c + 20, "<I", 0x00FFFFFF),
        "bad_zip64_cd_sizes.npz": patch(patch(one, c + 20, "<I", 0xFFFFFFFF), c + 24, "<I", 0xFFFFFFFF),
        "bad_zip64_eocd.npz": patch(one, e + 16, "<I", 0xFFFFFFFF),
        "bad_encrypted.npz": enc,
        "bad_crc.npz": patch(one, c + 16, "<I", struct.unpack_from("<I", one, c + 16)[0] ^ 1),
        "bad_data_flip.npz": bytes(crc_flip),
        "bad_truncated.npz": one[: len(one) // 2],
        "bad_method.npz": patch(patch(one, 8, "<H", 12), c + 10, "<H", 12),
        "bad_usize_claim.npz": patch(patch(one, 22, "<I", 0x7FFFFFF0), c + 24, "<I", 0x7FFFFFF0),
        "bad_member_not_npy.npz": zip_plain([("x.npy", b"hello")], zipfile.ZIP_STORED),
        "bad_duplicate_key.npz": zip_plain([("x.npy", npy["f32_v1.npy"]), ("x", npy["f32_v1.npy"])],
                                           zipfile.ZIP_STORED),
    }
    for k, v in {**valid, **bad}.items():
        write("npz", k, v)


def trtcache_corpus():
    # The cache parser is another module's; edge_* files are valid or not by
    # its rules, and the replay test only requires that none crashes.
    files = {
        "basic.cache": b"TRT-8601-EntropyCalibration2\ninput: 3c010a14\nconv1:out: 0\n",
        "trt10.cache": b"TRT-100300-EntropyCalibration2\ndata: 3c8d3dcb\n(Unnamed Layer* 0) [Convolution]_output: 3d2c5a5b\n",
        "edge_minmax_crlf_inf.cache": b"TRT-8601-MinMaxCalibration\nx: 3f800000\r\ny: 7f800000\n",
        "header_only.cache": b"TRT-8601-EntropyCalibration2\n",
        "bad_no_header.cache": b"input: 3c010a14\n",
        "bad_hex.cache": b"TRT-8601-EntropyCalibration2\ninput: 3c01zz14\n",
        "bad_long_hex.cache": b"TRT-8601-EntropyCalibration2\ninput: 3c010a1400\n",
        "bad_no_separator.cache": b"TRT-8601-EntropyCalibration2\ninput 3c010a14\n",
        "edge_nul.cache": b"TRT-8601-EntropyCalibration2\nin\0put: 3c010a14\n",
        "bad_empty.cache": b"",
    }
    for k, v in files.items():
        write("trtcache", k, v)


def main():
    # Overwrites, never deletes: crashers the fuzzers found (crash-*, added
    # by hand) live beside the generated files.
    npy = npy_corpus()
    npz_corpus(npy)
    trtcache_corpus()


if __name__ == "__main__":
    main()
