"""Photo intake: type from the bytes, size and pixel caps, re-encoded JPEG without EXIF (pure)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from service.errors import PhotoRefused

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    width: int
    height: int
    sha256: str


def clean_photo(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanPhoto:
    """Validate an upload and re-encode it as a JPEG with no metadata at all."""
    if len(data) > max_bytes:
        raise PhotoRefused(413, f"photo larger than {max_bytes} bytes", "照片文件过大")
    image = _open(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image) or image
    except (OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoRefused(422, f"photo cannot be decoded: {exc}", "照片无法解析") from exc
    rgb = image.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85, optimize=True)
    jpeg = out.getvalue()
    return CleanPhoto(jpeg, rgb.width, rgb.height, hashlib.sha256(jpeg).hexdigest())


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise PhotoRefused(422, "not a JPEG, PNG or WebP image", "不是有效的图片文件") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoRefused(
            422, f"image type {image.format} not accepted", "仅接受 JPEG/PNG/WebP 图片"
        )
    width, height = image.size
    # Checked from the header, before any pixel is decoded: a decompression bomb stops here.
    if width * height > max_pixels:
        raise PhotoRefused(
            413, f"photo has {width}x{height} pixels, over {max_pixels}", "照片像素过多"
        )
    return image
