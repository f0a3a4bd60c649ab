"""Checks of report.html for tests/html_test.sh, with the Python standard library only.

  html_check.py page REPORT.html DOM.html [--expect ID]...
      REPORT.html (the file leadlab wrote) must be self-contained: no script, no external
      reference (src, href, url(), @import, link), and DOM.html (what headless Chromium rendered
      of it, --dump-dom) must hold every expected section and every chart as an <svg> with drawn
      content (paths with points, bars, dots, tick labels).
  html_check.py png SCREENSHOT.png
      the screenshot must be a real page: not one colour, with dark text pixels and coloured
      chart pixels.
  html_check.py crop IN.png X Y W H OUT.png
      a region of a screenshot at full scale, for looking at it (not used by the test).
"""
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

SECTIONS = ["summary", "leaderboard", "f1-bars", "pr-curves", "roc-curves", "gains", "lift",
            "reliability", "threshold", "confusion", "importances", "samplers", "timings",
            "provenance"]
# chart id -> (element, minimum count) it must draw
CHARTS = {
    "chart-f1": [("rect", 3), ("circle", 3), ("text", 5)],
    "chart-pr": [("path", 4), ("text", 8)],
    "chart-roc": [("path", 4), ("text", 8)],
    # top rows' curves, random, perfect and the 10 % guide; the best row's dot at 10 %
    "chart-gains": [("path", 6), ("circle", 1), ("text", 12)],
    # ten decile bars, each with its value, and the lift-1 line
    "chart-lift": [("rect", 10), ("path", 2), ("text", 20)],
    # ten bins of the best row (dots), the line through them and the diagonal
    "chart-reliability": [("circle", 10), ("path", 3), ("text", 8)],
    "chart-threshold": [("path", 5), ("text", 8)],
    "chart-importances": [("rect", 3), ("text", 5)],
}
# bars or dots, not curves (the reliability line has only one point per bin)
BAR_CHARTS = {"chart-f1", "chart-importances", "chart-lift", "chart-reliability"}


class Dom(HTMLParser):
    """Ids of every element, and per <svg id=...> the elements it holds and its curves."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.svg = None
        self.charts = {}
        self.tags = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg":
            self.svg = a.get("id", "?")
            self.charts[self.svg] = {"long_paths": 0}
        elif self.svg:
            counts = self.charts[self.svg]
            counts[tag] = counts.get(tag, 0) + 1
            if tag == "path" and len(re.findall(r"[ML]", a.get("d", ""))) >= 10:
                counts["long_paths"] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None


def check_page(report, dom_file, expect):
    errors = []
    text = open(report, encoding="utf-8").read()
    source = Dom()
    source.feed(text)
    for tag, a in source.tags:
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            errors.append(f"report.html has a <{tag}>: it must draw everything inline")
        for key in ("src", "href", "xlink:href"):
            value = a.get(key)
            if value is not None and not value.startswith("#"):
                errors.append(f"report.html: <{tag} {key}={value!r}> points outside the page")
    for ref in re.findall(r"url\(([^)]*)\)", text):
        if not ref.strip("'\" ").startswith("#"):
            errors.append(f"report.html: url({ref}) points outside the page")
    if "@import" in text:
        errors.append("report.html imports a style sheet")
    outside = [u for u in re.findall(r"https?://[^\s\"'<>]+", text)
               if u != "http://www.w3.org/2000/svg"]
    if outside:
        errors.append(f"report.html names addresses: {outside[:3]}")
    dom = Dom()
    dom.feed(open(dom_file, encoding="utf-8").read())
    for section in SECTIONS + expect:
        if section not in dom.ids:
            errors.append(f"rendered page: no element with id '{section}'")
    for chart, needs in CHARTS.items():
        counts = dom.charts.get(chart)
        if counts is None:
            errors.append(f"rendered page: no <svg id='{chart}'>")
            continue
        for tag, minimum in needs:
            if counts.get(tag, 0) < minimum:
                errors.append(f"{chart}: {counts.get(tag, 0)} <{tag}> (expected >= {minimum})")
        if chart not in BAR_CHARTS and counts["long_paths"] == 0:
            errors.append(f"{chart}: no curve (a path of 10 points or more)")
    return errors


def read_png(path):
    """(width, height, channels, rows of bytes): 8-bit grey, RGB or RGBA, not interlaced."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour})")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def check_png(path):
    width, height, channels, rows = read_png(path)
    if width < 800 or height < 600:
        return [f"{path}: {width}x{height}, expected a laptop-sized screenshot"]
    colours, dark, coloured, total = set(), 0, 0, 0
    for y in range(0, height, 2):
        row = rows[y]
        for x in range(0, width, 2):
            px = row[x * channels:x * channels + min(channels, 3)]
            r, g, b = (px[0],) * 3 if channels < 3 else px
            colours.add((r, g, b))
            total += 1
            dark += max(r, g, b) < 100
            coloured += max(r, g, b) - min(r, g, b) > 60
    errors = []
    if len(colours) < 50:
        errors.append(f"{path}: only {len(colours)} colours: a blank or nearly blank page")
    if dark < total * 0.002:
        errors.append(f"{path}: almost no dark pixels: no text rendered")
    if coloured < total * 0.0005:
        errors.append(f"{path}: almost no coloured pixels: no chart rendered")
    return errors


def crop(path, x0, y0, w, h, out):
    width, height, channels, rows = read_png(path)
    raw = b"".join(b"\x00" + rows[y][x0 * channels:(x0 + w) * channels]
                   for y in range(y0, min(y0 + h, height)))
    h = min(y0 + h, height) - y0

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    with open(out, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour,
                                                                      0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main(argv):
    if len(argv) >= 3 and argv[1] == "page":
        expect = [argv[i + 1] for i in range(4, len(argv) - 1) if argv[i] == "--expect"]
        errors = check_page(argv[2], argv[3], expect)
    elif len(argv) == 3 and argv[1] == "png":
        errors = check_png(argv[2])
    elif len(argv) == 8 and argv[1] == "crop":
        crop(argv[2], *map(int, argv[3:7]), argv[7])
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errors:
        print(f"FAIL: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
