"""Photo intake: type from the bytes, size and pixel caps, re-encoded JPEG without EXIF (pure).

Decoding memory is bounded before any pixel is decoded: the pixel count comes from the header;
a JPEG is decoded in draft mode (libjpeg's DCT scaling: 1/2, 1/4 or 1/8 of the pixels) to no
more than the stored size; PNG and WebP have no such mode and decode whole, so they get a lower
pixel cap. Every way a crafted file makes Pillow give up (broken chunks, text or ICC chunks
that inflate past its limit, truncated data) is a refusal, never a server error.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from service.errors import PhotoRefused

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
STORED_MAX_SIDE = 2560  # the phone sends 1600 px; larger uploads are stored reduced
# What Pillow raises for a file it cannot read: broken chunks (SyntaxError), chunks that
# inflate past its limit (ValueError), short data (EOFError, struct.error), I/O (OSError).
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    width: int
    height: int
    sha256: str


def clean_photo(
    data: bytes, *, max_bytes: int, max_pixels: int, max_whole_pixels: int | None = None
) -> CleanPhoto:
    """Validate an upload and re-encode it as a JPEG with no metadata at all.

    `max_pixels` caps a JPEG's header size; `max_whole_pixels` (default: the same) caps the
    formats that decode whole (PNG, WebP).
    """
    if len(data) > max_bytes:
        raise PhotoRefused(413, f"photo larger than {max_bytes} bytes", "照片文件过大")
    # Opened outside the warnings filter: Pillow's own bomb warning at open would otherwise
    # pre-empt the header check that answers 413 with the pixel count.
    image = _open(data, max_pixels, max_whole_pixels or max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
            image = ImageOps.exif_transpose(image) or image
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            del image  # one decoded copy alive at a time
    except PhotoRefused:
        raise
    except DECODE_ERRORS as exc:
        raise PhotoRefused(422, f"photo cannot be decoded: {exc}"[:300], "照片无法解析") from exc
    out = io.BytesIO()
    # No optimize=True: libjpeg would buffer every coefficient of the image (~2 bytes a sample)
    # to build its Huffman tables, more memory than the pixels themselves.
    rgb.save(out, format="JPEG", quality=85)
    jpeg = out.getvalue()
    return CleanPhoto(jpeg, rgb.width, rgb.height, hashlib.sha256(jpeg).hexdigest())


def _open(data: bytes, max_pixels: int, max_whole_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except DECODE_ERRORS as exc:
        raise PhotoRefused(422, "not a JPEG, PNG or WebP image", "不是有效的图片文件") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoRefused(
            422, f"image type {image.format} not accepted", "仅接受 JPEG/PNG/WebP 图片"
        )
    width, height = image.size
    # Checked from the header, before any pixel is decoded: a decompression bomb stops here.
    cap = max_pixels if image.format == "JPEG" else min(max_pixels, max_whole_pixels)
    if width * height > cap:
        raise PhotoRefused(
            413, f"photo has {width}x{height} pixels, over {cap} for {image.format}", "照片像素过多"
        )
    if image.format == "JPEG":
        # Decode at the smallest DCT scale still at least the stored size.
        image.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))
    return image
