"""Image sizes (sitegen/images.py) and the width/height the Markdown stage gives images."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from conftest import png, soup
from sitegen.build import BuildOptions, build
from sitegen.images import image_size


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(64)
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + dqt + sof2 + b"\xff\xd9"


def webp_vp8x(width: int, height: int) -> bytes:
    payload = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(payload) + 4) + b"WEBP" + payload


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + bits.to_bytes(4, "little")
    return b"RIFF" + struct.pack("<I", len(payload) + 4) + b"WEBP" + payload


@pytest.mark.parametrize(("name", "data", "size"), [
    ("a.png", png(7, 3), (7, 3)),
    ("a.gif", gif(640, 480), (640, 480)),
    ("a.jpg", jpeg(1200, 800), (1200, 800)),
    ("a.webp", webp_vp8x(1920, 1080), (1920, 1080)),
    ("b.webp", webp_vp8l(300, 150), (300, 150)),
    ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"></svg>', (320, 200)),
    ("b.svg", b'<?xml version="1.0"?>\n<svg viewBox="0 0 64 48" xmlns="http://www.w3.org/2000/svg"/>', (64, 48)),
    ("c.svg", b"<svg width='100px' viewBox='0,0,200,50'/>", (100, 25)),
    ("d.svg", b'<svg width="100%" height="100%" viewBox="0 0 30 10"/>', (30, 10)),
])
def test_image_size_reads_headers(tmp_path: Path, name: str, data: bytes, size: tuple[int, int]) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert image_size(path) == size


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"<svg>",
                                  b'<svg width="10em" height="3em"/>', b"RIFF\x00\x00\x00\x00WEBPVP8X"])
def test_unknown_or_damaged_files_have_no_size(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(data)
    assert image_size(path) is None
    assert image_size(tmp_path / "missing.png") is None


def test_markdown_images_get_width_and_height(make_site) -> None:
    root = make_site(files={
        "static/images/photo.png": png(40, 30),
        "static/images/plan.svg": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"/>',
        "content/stories/s.md": "---\ntitle: S\ndate: 2026-01-02\n---\n"
                                "![A photo](/images/photo.png)\n\n![A plan](/images/plan.svg)\n\n"
                                "![Missing](/images/nope.png)\n\n"
                                "![Outside](/../sitegen.yaml)\n",
    })
    build(root, BuildOptions())
    images = {img["alt"]: img for img in soup(root / "_site/stories/s/index.html").find_all("img")}
    assert (images["A photo"]["width"], images["A photo"]["height"]) == ("40", "30")
    assert (images["A plan"]["width"], images["A plan"]["height"]) == ("300", "100")
    for alt in ("Missing", "Outside"):
        assert not images[alt].has_attr("width")
