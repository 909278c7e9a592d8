"""Unpack an uploaded zip without letting a decompression bomb fill the disk or the memory.

The declared sizes in the zip's directory are checked first (a fast refusal), then every member
is copied in chunks with the bytes actually produced counted, because a crafted zip can declare
small sizes and still expand without end. Nothing is written past the cap.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from service.errors import PayloadTooLarge

CHUNK = 1 << 16
# Small members may compress extremely well (an empty .dbf column, a one-line .prj);
# the ratio only counts for members bigger than this.
RATIO_FLOOR_BYTES = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """At most `max_bytes` unpacked in all, and no member over `max_ratio` : 1."""

    max_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 200


def _too_big(archive: str, message: str, zh: str, **where: object) -> PayloadTooLarge:
    return PayloadTooLarge(
        message, message_zh=zh, where={"field": "file", "file": archive, **where}
    )


def check_declared(members: list[zipfile.ZipInfo], name: str, lim: ArchiveLimits) -> None:
    """Refuse before unpacking anything when the directory already admits too much."""
    total = sum(m.file_size for m in members)
    if total > lim.max_bytes:
        raise _too_big(
            name,
            f"the zip expands to {total} bytes, over the limit of {lim.max_bytes}",
            f"压缩包解压后 {total} 字节，超过上限 {lim.max_bytes} 字节",
            expanded_bytes=total,
            limit_bytes=lim.max_bytes,
        )
    for m in members:
        _check_ratio(name, m.filename, m.file_size, m.compress_size, lim)


def _check_ratio(archive: str, member: str, size: int, packed: int, lim: ArchiveLimits) -> None:
    if size > RATIO_FLOOR_BYTES and size > lim.max_ratio * max(packed, 1):
        raise _too_big(
            archive,
            f"{member} is compressed more than {lim.max_ratio}:1 (a decompression bomb?)",
            f"{member} 压缩比超过 {lim.max_ratio}:1，疑似压缩炸弹",
            member=member,
            max_ratio=lim.max_ratio,
        )


def extract_member(
    zf: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    target: Path,
    budget: int,
    name: str,
    lim: ArchiveLimits,
) -> int:
    """Copy one member to `target` counting real bytes; returns what is left of `budget`."""
    written = 0
    try:
        with zf.open(member) as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > budget:
                    raise _too_big(
                        name,
                        f"the zip expands past the limit of {lim.max_bytes} bytes",
                        f"压缩包解压后超过上限 {lim.max_bytes} 字节",
                        member=member.filename,
                        limit_bytes=lim.max_bytes,
                    )
                _check_ratio(name, member.filename, written, member.compress_size, lim)
                out.write(chunk)
    except PayloadTooLarge:
        target.unlink(missing_ok=True)  # no half-unpacked member left behind
        raise
    return budget - written
