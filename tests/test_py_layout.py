"""The package's ctypes mirror of vkcalib.h against the C compiler: every struct's size, every field's
name, order, offset, size and type, every constant, and the parameters of every function the package
declares. A header change that the package does not follow fails here."""

import ctypes
import os
import re
import subprocess
import tempfile
import unittest

import py_common as C
from vkcalib import _lib as L

HEADER = os.path.join(C.SOURCE, "include", "vkcalib.h")


def header_text():
    with open(HEADER) as f:
        s = f.read()
    s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
    return re.sub(r"//[^\n]*", " ", s)


def header_fields(text, name):
    """Field names of `typedef struct name {...} name;`, in order."""
    m = re.search(r"typedef\s+struct\s+%s\s*\{(.*?)\}\s*%s\s*;" % (name, name), text, flags=re.S)
    if not m:
        return None
    out = []
    for decl in m.group(1).split(";"):
        decl = " ".join(decl.split())
        if not decl:
            continue
        first, *rest = decl.split(",")
        names = [re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", first)[0]]
        names += [re.match(r"\s*\**\s*(\w+)", r).group(1) for r in rest]
        out += names
    return out


def compile_and_run(src, tmp):
    c = os.path.join(tmp, "layout.c")
    exe = os.path.join(tmp, "layout")
    with open(c, "w") as f:
        f.write(src)
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-std=gnu11", "-Wall", "-Werror", "-I", os.path.join(C.SOURCE, "include"), c, "-o", exe],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise AssertionError("the layout program does not compile against vkcalib.h:\n" + p.stdout[-6000:])
    return subprocess.run([exe], stdout=subprocess.PIPE, text=True, check=True).stdout


SCALARS = {ctypes.c_int: "int", ctypes.c_uint32: "uint32_t", ctypes.c_uint64: "uint64_t", ctypes.c_int32: "int32_t",
           ctypes.c_float: "float", ctypes.c_double: "double", ctypes.c_size_t: "size_t", ctypes.c_uint8: "uint8_t"}


class Layout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = header_text()
        lines = ["#include <stdio.h>", "#include <stddef.h>", "#include \"vkcalib.h\"", "int main(void) {"]
        for cname, cls_ in L.STRUCTS.items():
            lines.append('printf("size %s %%zu\\n", sizeof(%s));' % (cname, cname))
            for f, ctext in cls_._ctypes_:
                lines.append('printf("off %s.%s %%zu %%zu\\n", offsetof(%s, %s), sizeof(((%s *)0)->%s));'
                             % (cname, f, cname, f, cname, f))
                # The C type of the field, exactly (qualifiers of pointees included).
                lines.append('_Static_assert(__builtin_types_compatible_p(__typeof__(((%s *)0)->%s), %s), '
                             '"%s.%s is not %s");' % (cname, f, ctext, cname, f, ctext))
        for k in L.CONSTANTS:
            lines.append('printf("const %s %%lld\\n", (long long)(%s));' % (k, k))
        for e in ("vkc_status", "vkc_structure_type", "vkc_backend", "vkc_hist_kind", "vkc_dtype", "vkc_method",
                  "vkc_flavor", "vkc_mode", "vkc_nonfinite", "vkc_range_kind", "vkc_pass", "vkc_int_type",
                  "vkc_calibration_source", "vkc_format"):
            lines.append('_Static_assert(sizeof(%s) == sizeof(int), "%s is not int-sized");' % (e, e))
        lines.append('printf("amax_floor %.17g\\n", VKC_AMAX_FLOOR);')
        lines.append('printf("version %d.%d\\n", VKC_VERSION_MAJOR, VKC_VERSION_MINOR);')
        lines.append("return 0; }")
        with tempfile.TemporaryDirectory() as tmp:
            cls.out = compile_and_run("\n".join(lines) + "\n", tmp)

    def test_sizes_and_offsets(self):
        got = {}
        for line in self.out.splitlines():
            p = line.split()
            if p[0] == "size":
                got[p[1]] = int(p[2])
            elif p[0] == "off":
                got[p[1]] = (int(p[2]), int(p[3]))
        for cname, cls_ in L.STRUCTS.items():
            self.assertEqual(ctypes.sizeof(cls_), got[cname], "sizeof(%s)" % cname)
            for f, t in cls_._fields_:
                field = getattr(cls_, f)
                self.assertEqual((field.offset, field.size), got["%s.%s" % (cname, f)], "%s.%s" % (cname, f))

    def test_field_names_and_order(self):
        for cname, cls_ in L.STRUCTS.items():
            want = header_fields(self.text, cname)
            self.assertIsNotNone(want, "typedef struct %s not found in vkcalib.h" % cname)
            self.assertEqual([f for f, _ in cls_._fields_], want, "fields of %s" % cname)

    def test_constants(self):
        for line in self.out.splitlines():
            p = line.split()
            if p[0] == "const":
                self.assertEqual(L.CONSTANTS[p[1]], int(p[2]), p[1])
            elif p[0] == "amax_floor":
                self.assertEqual(L.VKC_AMAX_FLOOR, float(p[1]))
            elif p[0] == "version":
                self.assertEqual("%d.%d" % L.ABI, p[1])

    def test_functions(self):
        """Each declared function: in the header, the same number of parameters, and per parameter a pointer
        where the header has one, else a scalar of the same size and kind (integer or floating)."""
        for name, (res, args) in L.FUNCTIONS.items():
            m = re.search(r"VKC_API\s+([^;(]*?)\b%s\s*\(([^)]*)\)\s*;" % name, self.text, flags=re.S)
            self.assertIsNotNone(m, "%s is not declared in vkcalib.h" % name)
            params = [" ".join(p.split()) for p in m.group(2).split(",")]
            if params == ["void"]:
                params = []
            self.assertEqual(len(params), len(args), "%s: %d parameters in the header" % (name, len(params)))
            for k, (p, a) in enumerate(zip(params, args)):
                is_ptr = "*" in p or "[" in p
                ctypes_ptr = a in (ctypes.c_void_p, ctypes.c_char_p) or hasattr(a, "contents")
                self.assertEqual(is_ptr, ctypes_ptr, "%s parameter %d (%s)" % (name, k, p))
                if not is_ptr:
                    ptype = re.sub(r"\s*\w+$", "", p)
                    floating = ptype in ("float", "double")
                    self.assertEqual(floating, a in (ctypes.c_float, ctypes.c_double), "%s parameter %d (%s)"
                                     % (name, k, p))
                    if ptype in SCALARS.values():
                        self.assertEqual(SCALARS.get(a, "int" if a is ctypes.c_int else None), ptype,
                                         "%s parameter %d (%s)" % (name, k, p))
            rtext = " ".join(m.group(1).split())
            if res is None:
                self.assertEqual(rtext, "void", name)
            elif rtext in SCALARS.values():
                self.assertEqual(SCALARS.get(res), rtext, "%s returns %s" % (name, rtext))
            else:
                self.assertEqual("*" in rtext, res in (ctypes.c_void_p, ctypes.c_char_p) or hasattr(res, "contents"),
                                 "%s returns %s" % (name, rtext))


if __name__ == "__main__":
    C.main()
