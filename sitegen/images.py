"""Image sizes, for the parse stage: the intrinsic width and height of an image file.

A page that gives every ``<img>`` its ``width`` and ``height`` lets the browser reserve
the space before the image arrives, so the text does not jump while a reader is reading.
:func:`image_size` reads just enough of a file to know its size: the header of PNG, GIF,
JPEG and WebP files, and the ``width``/``height`` or ``viewBox`` of an SVG's root element.
Standard library only; an unknown or damaged file gives ``None``, never an exception.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from urllib.parse import unquote

_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)
_SVG_ATTR = re.compile(rb"""\s(width|height|viewBox)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SVG_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def static_image_file(src: str, static_dir: Path) -> Path | None:
    """The file under ``static_dir`` whose size an image ``src`` of a page's Markdown is
    given (a path on the site such as ``/images/loaf.jpg``), or None for an external or
    relative ``src`` and one that leads out of ``static_dir``. The file need not exist."""
    if not src.startswith("/") or src.startswith("//"):
        return None
    rel = unquote(src.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    # As the page names it, not where a link leads: a link pointed elsewhere is another picture.
    named = static_dir / os.path.normpath(rel)
    return named if named.resolve().is_relative_to(static_dir.resolve()) else None


def image_size(path: Path, read: dict[str, tuple[int, int, int] | None] | None = None) -> tuple[int, int] | None:
    """The (width, height) in CSS pixels of the image at ``path``, or None when the
    file is missing, not an image this reader knows, or damaged. ``read`` is told the
    stat of the file it read (size, mtime, ctime; None: missing), taken from the file it
    opened: a picture replaced a moment later differs from it."""
    try:
        with path.open("rb") as handle:
            if read is not None:  # (read twice: the first stands, and a change between never matches)
                st = os.fstat(handle.fileno())
                read.setdefault(str(path), (st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            head = handle.read(64 * 1024)
    except OSError:
        if read is not None:
            read.setdefault(str(path), None)
        return None
    if path.suffix.lower() == ".svg" or head.lstrip().startswith((b"<svg", b"<?xml")):
        return _svg_size(head)
    for reader in (_png_size, _gif_size, _webp_size, _jpeg_size):
        try:
            size = reader(head)
        except (struct.error, IndexError):
            size = None
        if size is not None:
            return size if size[0] > 0 and size[1] > 0 else None
    return None


def _png_size(head: bytes) -> tuple[int, int] | None:
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _gif_size(head: bytes) -> tuple[int, int] | None:
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack("<HH", head[6:10])
    return width, height


def _webp_size(head: bytes) -> tuple[int, int] | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP" or len(head) < 25:
        return None
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


# JPEG start-of-frame markers (baseline, progressive, ...); not DHT (C4), JPG (C8), DAC (CC).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    if head[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = struct.unpack(">H", head[at + 2:at + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", head[at + 5:at + 9])
            return width, height
        at += 2 + length
    return None


def _svg_size(head: bytes) -> tuple[int, int] | None:
    root = _SVG_ROOT.search(head)
    if root is None:
        return None
    attrs = {m.group(1).decode(): (m.group(2) or m.group(3) or b"").decode("utf-8", "replace")
             for m in _SVG_ATTR.finditer(root.group(0))}
    width, height = _svg_length(attrs.get("width")), _svg_length(attrs.get("height"))
    box = _view_box(attrs.get("viewBox"))
    if width and height:
        return round(width), round(height)
    if box:
        box_width, box_height = box
        # One length given: keep the viewBox's proportions.
        if width:
            return round(width), round(width * box_height / box_width)
        if height:
            return round(height * box_width / box_height), round(height)
        return round(box_width), round(box_height)
    return None


def _svg_length(value: str | None) -> float | None:
    match = _SVG_LENGTH.match(value or "")
    if not match or float(match.group(1)) <= 0:
        return None  # percentages, ems and the like say nothing about intrinsic size
    return float(match.group(1))


def _view_box(value: str | None) -> tuple[float, float] | None:
    parts = re.split(r"[\s,]+", (value or "").strip())
    if len(parts) != 4:
        return None
    try:
        width, height = float(parts[2]), float(parts[3])
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None
