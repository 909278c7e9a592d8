"""Photo decoding is bounded: a wide PNG is refused from its header, a big JPEG decodes in
draft mode (a fraction of its pixels), and PNG text or ICC chunks that inflate past Pillow's
limit are a 422 rather than an uncaught ValueError (500)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from service.domain.photos import STORED_MAX_SIDE, PhotoRefused, clean_photo
from service.settings import Settings
from tests.fixtures.hostile import images

LIMITS = {
    "max_bytes": Settings().photos.max_bytes,
    "max_pixels": Settings().photos.max_pixels,
    "max_whole_pixels": Settings().photos.max_png_pixels,
}


@pytest.mark.parametrize(
    "make",
    [
        images.png_ztxt_bomb,
        images.png_iccp_bomb,
        lambda: images.png_ztxt_bomb(after_pixels=False),
    ],
    ids=["ztxt_after_pixels", "iccp", "ztxt_before_pixels"],
)
def test_inflating_png_chunks_are_422(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(make(), **LIMITS)
    assert refused.value.status == 422


def test_a_6300_px_png_is_413_from_its_header_quickly() -> None:
    data = images.wide_png(6300)
    assert len(data) < 200_000
    started = time.monotonic()
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(data, **LIMITS)
    assert refused.value.status == 413 and "PNG" in refused.value.message
    assert time.monotonic() - started < 0.5


def test_a_big_jpeg_is_stored_reduced() -> None:
    out = io.BytesIO()
    Image.new("RGB", (5200, 3900), (20, 90, 160)).save(out, "JPEG", quality=70)
    clean = clean_photo(out.getvalue(), **LIMITS)
    assert max(clean.width, clean.height) == STORED_MAX_SIDE


_PEAK = """
import resource, sys
from service.domain.photos import clean_photo
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
clean_photo(data, max_bytes=50_000_000, max_pixels=40_000_000)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_decoding_a_36_mpx_jpeg_stays_small(tmp_path: Path) -> None:
    """Decoded whole, this 6000×6000 JPEG grew the process by ~245 MB; in draft mode (a quarter
    of the pixels) and without the optimizer's coefficient buffer, ~90 MB."""
    out = io.BytesIO()
    Image.new("RGB", (6000, 6000), (120, 60, 30)).save(out, "JPEG", quality=60)
    file = tmp_path / "big.jpg"
    file.write_bytes(out.getvalue())
    root = Path(__file__).resolve().parents[2]
    grown_mb = int(
        subprocess.run(
            [sys.executable, "-c", _PEAK, str(file)],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    assert grown_mb < 130, f"decoding grew the process by {grown_mb} MB"
