"""Checks and fingerprints for what a phone sends: positions and idempotent payloads (pure)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from service.domain.vocabulary import CHINA_BBOX


def in_china(lon: float, lat: float) -> bool:
    xmin, ymin, xmax, ymax = CHINA_BBOX
    return xmin <= lon <= xmax and ymin <= lat <= ymax


def looks_swapped(lon: float, lat: float) -> bool:
    """True when (lon, lat) lies outside China but (lat, lon) inside: the pair was swapped."""
    return not in_china(lon, lat) and in_china(lat, lon)


def content_hash(payload: dict[str, Any]) -> str:
    """A stable fingerprint of a request body, to tell a retry from a different record."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
