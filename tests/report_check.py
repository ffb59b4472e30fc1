#!/usr/bin/python3
"""Checks a `vkcalib report` HTML file; standard library only.

  report_check.py html REPORT.html JSONDIR
      The HTML is well formed (html.parser, every element closed in order),
      self-contained (no external resource of any kind), accessible (lang,
      <title>, a <title>/<desc> for every plot, scope on every <th>), and holds
      every tensor of JSONDIR/entropy.json with both plots; the SVG coordinates
      match the data: each threshold marker's x is the plot's mapping (data-x0,
      data-x1, data-vmax) of the threshold `vkcalib calibrate --method M` wrote
      to JSONDIR/M.json (and data-value is that threshold exactly), every
      histogram bar is the log-scaled sum of its bins of the JSON histogram
      (JSONDIR/hist.json, written with --histograms), the KL minimum marker sits
      at the JSON's i and KL, at most 256 points per path. Also the summary
      table against the JSON (elements, entropy threshold).
  report_check.py order DUMPED_DOM.html KEY
      The summary table of a DOM dumped by the browser is sorted by KEY
      (ascending; "-KEY" descending), and its header says so (aria-sort).
  report_check.py png SHOT.png
      A screenshot is not blank: many colours, and the colours of the
      histogram bars and of the entropy threshold cover some pixels.
Exit 0 when every check passes; each failure is printed.
"""
import html.parser
import json
import math
import os
import re
import struct
import sys
import zlib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

failures = []


def fail(msg):
    failures.append(msg)
    print("  " + msg, file=sys.stderr)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = []

    def find_all(self, pred):
        out = []
        stack = [self]
        while stack:
            n = stack.pop()
            if pred(n):
                out.append(n)
            stack.extend(reversed(n.children))
        return out

    def all_text(self):
        parts = list(self.text)
        for c in self.children:
            parts.append(c.all_text())
        return "".join(parts)


class Tree(html.parser.HTMLParser):
    """A strict tree builder: every non-void element must be closed, in
    order (no implied end tags)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.errors = []
        self.doctype = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.cur.tag != tag:
            line, col = self.getpos()
            self.errors.append("line %d: </%s> closes <%s>" % (line, tag, self.cur.tag))
            # recover: close up to the matching element if there is one
            n = self.cur
            while n is not None and n.tag != tag:
                n = n.parent
            if n is not None and n.parent is not None:
                self.cur = n.parent
            return
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def parse(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("%s: not valid UTF-8: %s" % (path, e))
        text = raw.decode("utf-8", "replace")
    t = Tree()
    t.feed(text)
    t.close()
    for e in t.errors[:10]:
        fail("%s: %s" % (path, e))
    if t.cur is not t.root:
        fail("%s: unclosed <%s> at the end" % (path, t.cur.tag))
    return t, text


def by_id(root):
    ids = {}
    for n in root.find_all(lambda n: "id" in n.attrs):
        if n.attrs["id"] in ids:
            fail("duplicate id %r" % n.attrs["id"])
        ids[n.attrs["id"]] = n
    return ids


def fnum(s):
    return float(s)


def path_tokens(d):
    return re.findall(r"[MmLlHhVvZz]|-?(?:\d+\.?\d*|\.\d+)", d)


def check_bars(svg, name, hist):
    """Rebuilds every bar of the histogram path and compares it with the data."""
    a = svg.attrs
    x0, x1, y0, y1 = (fnum(a["data-x" + "0"]), fnum(a["data-x1"]), fnum(a["data-y0"]), fnum(a["data-y1"]))
    bins = int(a["data-bins"])
    G = int(a["data-buckets"])
    cmax = int(a["data-cmax"])
    if bins != len(hist):
        fail("%s: data-bins %d, JSON histogram has %d" % (name, bins, len(hist)))
        return
    if G > 256:
        fail("%s: %d bars (> 256)" % (name, G))
    sums = [sum(hist[k * bins // G:(k + 1) * bins // G]) for k in range(G)]
    if max(sums) != cmax:
        fail("%s: data-cmax %d, bars' maximum %d" % (name, cmax, max(sums)))
    bars = svg.find_all(lambda n: n.tag == "path" and "bars" in n.attrs.get("class", "").split())
    if len(bars) != 1:
        fail("%s: %d bar paths" % (name, len(bars)))
        return
    tok = path_tokens(bars[0].attrs["d"])
    # M x y V y (h dx | v dy h dx)* V y0 Z
    k = 0
    x = y = None
    tops = []
    edges = []
    while k < len(tok):
        c = tok[k]
        if c == "M":
            x, y = float(tok[k + 1]), float(tok[k + 2])
            k += 3
        elif c == "V":
            y = float(tok[k + 1])
            k += 2
        elif c == "v":
            y += float(tok[k + 1])
            k += 2
        elif c == "h":
            x += float(tok[k + 1])
            tops.append(y)
            edges.append(x)
            k += 2
        elif c in "Zz":
            k += 1
        else:
            fail("%s: unexpected path command %r" % (name, c))
            return
    if len(tops) != G:
        fail("%s: %d bars drawn, data-buckets %d" % (name, len(tops), G))
        return
    lmax = math.log10(1 + cmax) if cmax else 1
    for k in range(G):
        want = y0 - (math.log10(1 + sums[k]) / lmax * (y0 - y1) if sums[k] else 0)
        if abs(tops[k] - want) > 0.06:
            fail("%s: bar %d at y %.2f, its count %d maps to %.2f" % (name, k, tops[k], sums[k], want))
            return
        wx = x0 + (k + 1) * (x1 - x0) / G
        if abs(edges[k] - wx) > 0.06:
            fail("%s: bar %d ends at x %.2f, expected %.2f" % (name, k, edges[k], wx))
            return


def xmap(v, vmax, x0, x1):
    if not vmax > 0:
        return x0
    f = min(max(v / vmax, 0.0), 1.0)
    return x0 + f * (x1 - x0)


def check_html(path, jdir):
    tree, text = parse(path)
    root = tree.root
    if not tree.doctype or tree.doctype.lower() != "doctype html":
        fail("no <!DOCTYPE html>")
    htmls = root.find_all(lambda n: n.tag == "html")
    if len(htmls) != 1 or not htmls[0].attrs.get("lang"):
        fail("<html lang=...> missing")
    titles = [n for n in root.find_all(lambda n: n.tag == "title") if n.parent.tag == "head"]
    if len(titles) != 1 or not titles[0].all_text().strip():
        fail("the document <title> is missing")
    if not root.find_all(lambda n: n.tag == "meta" and n.attrs.get("charset", "").lower() == "utf-8"):
        fail("no <meta charset=utf-8>")

    # ---- self-contained --------------------------------------------------
    for tag in ("link", "img", "iframe", "object", "embed", "source", "audio", "video", "base", "frame"):
        if root.find_all(lambda n, t=tag: n.tag == t):
            fail("external-capable element <%s> present" % tag)
    for n in root.find_all(lambda n: True):
        for k, v in n.attrs.items():
            v = v or ""
            if k in ("src", "srcset", "poster", "data", "xlink:href", "action", "formaction"):
                fail("<%s %s=%r>: no external resources allowed" % (n.tag, k, v))
            if k == "href" and not v.startswith("#"):
                fail("<%s href=%r>: only in-page links allowed" % (n.tag, v))
            if k.startswith("on"):
                fail("<%s %s>: inline event handler" % (n.tag, k))
    for bad in ("http:", "https:", "//cdn", "url(", "@import", "@font-face"):
        if bad in text:
            fail("the file contains %r" % bad)
    scripts = root.find_all(lambda n: n.tag == "script")
    if len(scripts) != 1 or scripts[0].attrs:
        fail("expected one inline <script> without attributes, found %d" % len(scripts))
    for s in scripts:
        body = s.all_text()
        for bad in ("fetch(", "XMLHttpRequest", "import(", "eval(", "document.write", "WebSocket"):
            if bad in body:
                fail("the script uses %s" % bad)

    # ---- accessibility ---------------------------------------------------
    for th in root.find_all(lambda n: n.tag == "th"):
        if th.attrs.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            fail("<th> without scope: %r" % th.all_text()[:40])
            break
    ids = by_id(root)
    svgs = root.find_all(lambda n: n.tag == "svg")
    for svg in svgs:
        sid = svg.attrs.get("id", "?")
        if svg.attrs.get("role") != "img":
            fail("svg %s: no role=img" % sid)
        refs = svg.attrs.get("aria-labelledby", "").split()
        kinds = []
        for r in refs:
            n = ids.get(r)
            if n is None or not n.all_text().strip():
                fail("svg %s: aria-labelledby %s names no text" % (sid, r))
            else:
                kinds.append(n.tag)
        if "title" not in kinds or "desc" not in kinds:
            fail("svg %s: needs a <title> and a <desc> as its label" % sid)

    # ---- every tensor, its plots, its numbers ----------------------------
    js = {}
    for m in ("entropy", "percentile", "mse", "max", "auto", "hist"):
        p = os.path.join(jdir, m + ".json")
        if os.path.exists(p):
            js[m] = {t["name"]: t for t in json.load(open(p))["tensors"]}
    names = [t for t in js["entropy"]]
    sections = root.find_all(lambda n: n.tag == "section" and "tensor" in n.attrs.get("class", "").split())
    if [s.attrs.get("data-name") for s in sections] != names:
        fail("sections %r, tensors %r" % ([s.attrs.get("data-name") for s in sections][:5], names[:5]))
    for k, name in enumerate(names):
        sec = ids.get("t-%d" % k)
        if sec is None or sec.attrs.get("data-name") != name:
            fail("no section t-%d for %r" % (k, name))
            continue
        hist = ids.get("t-%d-hist" % k)
        kl = ids.get("t-%d-kl" % k)
        if hist is None or hist.tag != "svg" or kl is None or kl.tag != "svg":
            fail("%r: plots t-%d-hist / t-%d-kl missing" % (name, k, k))
            continue
        if not ids.get("t-%d-cmp" % k):
            fail("%r: no symmetric/unsigned comparison" % name)
        a = hist.attrs
        x0, x1, vmax = fnum(a["data-x0"]), fnum(a["data-x1"]), fnum(a["data-vmax"])
        if vmax != js["entropy"][name]["absmax"]:
            fail("%r: data-vmax %r, JSON absmax %r" % (name, vmax, js["entropy"][name]["absmax"]))
        lines = hist.find_all(lambda n: n.tag == "line" and "data-method" in n.attrs)
        seen = set()
        for ln in lines:
            meth, kind = ln.attrs["data-method"], ln.attrs.get("data-kind")
            src = js.get(meth) if kind == "sym" else js.get("auto")
            if src is None:
                continue
            t = src[name]
            if kind == "alt" and t["mode"] != "unsigned":
                fail("%r: an unsigned marker on a tensor calibrate --mode auto keeps symmetric" % name)
                continue
            seen.add((meth, kind))
            v = fnum(ln.attrs["data-value"])
            if v != t["threshold"]:
                fail("%r %s/%s: marker value %r, calibrate's threshold %r" % (name, meth, kind, v, t["threshold"]))
            want = xmap(t["threshold"], vmax, x0, x1)
            for att in ("x1", "x2"):
                if abs(fnum(ln.attrs[att]) - want) > 0.051:
                    fail("%r %s/%s: marker %s=%s, expected %.3f" % (name, meth, kind, att, ln.attrs[att], want))
        for meth in ("entropy", "percentile", "mse", "max"):
            if meth in js and (meth, "sym") not in seen:
                fail("%r: no %s threshold marker" % (name, meth))
        if "auto" in js and js["auto"][name]["mode"] == "unsigned" and ("entropy", "alt") not in seen:
            fail("%r: no unsigned entropy marker" % name)
        if "hist" in js:
            check_bars(hist, name, js["hist"][name]["histogram"])
        # KL plot: the minimum marker
        b = kl.attrs
        kx0, kx1, ky0, ky1 = fnum(b["data-x0"]), fnum(b["data-x1"]), fnum(b["data-y0"]), fnum(b["data-y1"])
        lmin, lmax, bins = fnum(b["data-lmin"]), fnum(b["data-lmax"]), int(b["data-bins"])
        t = js["entropy"][name]
        mins = [g for g in kl.find_all(lambda n: n.tag == "g" and n.attrs.get("class") == "min")]
        if t.get("fallback"):
            if mins:
                fail("%r: a KL minimum marked on a fallback" % name)
        elif len(mins) != 1:
            fail("%r: %d KL minimum markers" % (name, len(mins)))
        else:
            c = mins[0].find_all(lambda n: n.tag == "circle")[0].attrs
            if int(c["data-i"]) != t["i"]:
                fail("%r: KL minimum at i %s, calibrate chose %d" % (name, c["data-i"], t["i"]))
            if abs(fnum(c["data-kl"]) - t["kl"]) > 1e-12 * max(1.0, t["kl"]):
                fail("%r: KL minimum %s, calibrate %r" % (name, c["data-kl"], t["kl"]))
            wx = kx0 + t["i"] / bins * (kx1 - kx0)
            if abs(fnum(c["cx"]) - wx) > 0.051:
                fail("%r: KL marker cx %s, expected %.3f" % (name, c["cx"], wx))
            if t["kl"] > 0:
                wy = ky0 - (math.log10(t["kl"]) - lmin) / (lmax - lmin) * (ky0 - ky1)
                if abs(fnum(c["cy"]) - wy) > 0.051:
                    fail("%r: KL marker cy %s, expected %.3f" % (name, c["cy"], wy))
        for p in kl.find_all(lambda n: n.tag == "path" and "curve" in n.attrs.get("class", "")):
            pts = len(re.findall(r"[MLlm]", p.attrs["d"]))
            if pts > 256:
                fail("%r: KL path with %d points (> 256)" % (name, pts))

    # ---- the summary table -------------------------------------------------
    table = ids.get("summary-table")
    if table is None:
        fail("no summary table")
        return
    cols = {th.attrs["data-key"]: int(th.attrs["data-col"]) for th in table.find_all(lambda n: "data-key" in n.attrs)}
    for key in ("name", "elements", "t-entropy", "t-percentile", "t-mse", "t-max", "sqnr-entropy", "clipped"):
        if key not in cols:
            fail("summary table: no sortable column %s" % key)
    body = [n for n in table.find_all(lambda n: n.tag == "tbody")]
    rows = [r for r in body[0].children if r.tag == "tr"] if body else []
    if len(rows) != len(names):
        fail("summary table: %d rows for %d tensors" % (len(rows), len(names)))
    for r, name in zip(rows, names):
        cells = [c for c in r.children if c.tag in ("td", "th")]
        if cells[cols["name"]].attrs.get("data-v") != name:
            fail("summary row for %r names %r" % (name, cells[0].attrs.get("data-v")))
            continue
        t = js["entropy"][name]
        if int(cells[cols["elements"]].attrs["data-v"]) != t["elements"]:
            fail("summary %r: elements %s vs %d" % (name, cells[cols["elements"]].attrs["data-v"], t["elements"]))
        for m in ("entropy", "percentile", "mse", "max"):
            if m not in js:
                continue
            v = fnum(cells[cols["t-" + m]].attrs["data-v"])
            w = js[m][name]["threshold"]
            if abs(v - w) > 1e-8 * max(abs(w), 1e-30):
                fail("summary %r: %s threshold %r vs %r" % (name, m, v, w))


def check_order(path, key):
    desc = key.startswith("-")
    key = key.lstrip("-")
    tree, _ = parse(path)
    ids = by_id(tree.root)
    table = ids.get("summary-table")
    if table is None:
        fail("no summary table in the dumped DOM")
        return
    th = [n for n in table.find_all(lambda n: n.attrs.get("data-key") == key)]
    if not th:
        fail("no column %s" % key)
        return
    col, num = int(th[0].attrs["data-col"]), th[0].attrs.get("data-type") == "num"
    want_sort = "descending" if desc else "ascending"
    if th[0].attrs.get("aria-sort") != want_sort:
        fail("column %s: aria-sort %r, expected %r (the script did not run?)" % (key, th[0].attrs.get("aria-sort"), want_sort))
    rows = [r for r in table.find_all(lambda n: n.tag == "tbody")[0].children if r.tag == "tr"]
    vals = []
    for r in rows:
        cells = [c for c in r.children if c.tag in ("td", "th")]
        v = cells[col].attrs.get("data-v", "")
        vals.append(float(v) if num and v != "" else v)
    present = [v for v in vals if v != ""]
    if present != sorted(present, reverse=desc):
        fail("rows not sorted by %s (%s): %r" % (key, want_sort, vals[:12]))
    if "" in vals and vals[vals.index(""):] != [""] * (len(vals) - vals.index("")):
        fail("empty values are not last")
    print("order %s: %s" % ("-" + key if desc else key, vals[:8]))


def png_pixels(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG" % path)
        return None
    i, idat = 8, b""
    w = h = ct = bd = None
    while i < len(d):
        n, = struct.unpack(">I", d[i:i + 4])
        t = d[i + 4:i + 8]
        if t == b"IHDR":
            w, h, bd, ct, _, _, interlace = struct.unpack(">IIBBBBB", d[i + 8:i + 21])
            if bd != 8 or ct not in (2, 6) or interlace:
                fail("%s: unsupported PNG (depth %d, colour type %d, interlace %d)" % (path, bd, ct, interlace))
                return None
        elif t == b"IDAT":
            idat += d[i + 8:i + 8 + n]
        i += 12 + n
    bpp = 3 if ct == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    pos = 0
    for _ in range(h):
        f = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    got = png_pixels(path)
    if got is None:
        return
    w, h, bpp, rows = got
    counts = {}
    for r in rows:
        for x in range(0, len(r), bpp):
            px = r[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = w * h
    top = max(counts.values())
    bars = counts.get(bytes((0xb9, 0xc6, 0xd6)), 0)
    entropy = counts.get(bytes((0x1d, 0x4e, 0xd8)), 0)
    print("png %dx%d: %d colours, background %.1f%%, bar colour %d px, entropy colour %d px"
          % (w, h, len(counts), 100.0 * top / total, bars, entropy))
    if len(counts) < 16:
        fail("screenshot has only %d colours: blank?" % len(counts))
    if top > 0.995 * total:
        fail("screenshot is %.2f%% one colour: blank?" % (100.0 * top / total))
    if bars < 500:
        fail("screenshot: the histogram bars' colour covers %d pixels: no plot rendered?" % bars)
    if entropy < 20:
        fail("screenshot: the entropy threshold colour covers %d pixels" % entropy)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "html" and len(sys.argv) == 4:
        check_html(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "order" and len(sys.argv) == 4:
        check_order(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "png" and len(sys.argv) == 3:
        check_png(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
