"""Checks that a PNG (a headless browser's screenshot) shows a rendered page, with the standard
library only: decodes it and prints JSON {"width", "height", "ink": share of pixels that are not
the page background, "colors": {name: pixel count} for the chart colours asked for}.
Usage: png_check.py FILE.png [name=#rrggbb ...]
"""
import json
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"unsupported PNG: depth {depth} colour type {ctype}")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    wanted = {}
    for arg in sys.argv[2:]:
        name, hexcol = arg.split("=")
        wanted[name] = tuple(int(hexcol.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    counts = {name: 0 for name in wanted}
    ink = 0
    background = tuple(rows[0][:3])
    for line in rows:
        for x in range(0, width * bpp, bpp):
            px = tuple(line[x:x + 3])
            if px != background and px != (255, 255, 255):
                ink += 1
            for name, col in wanted.items():
                if px == col:
                    counts[name] += 1
    print(json.dumps({"width": width, "height": height, "ink": ink / (width * height),
                      "colors": counts}))


if __name__ == "__main__":
    main()
