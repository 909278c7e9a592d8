"""The client's address: the peer's, unless the peer is a configured reverse proxy.

The login rate limits and the audit trail key on the client address. X-Forwarded-For is
written by whoever sends the request, so it is believed only when the connection comes from an
address in WANGGE_TRUSTED_PROXIES (default: none). uvicorn's own proxy-header handling is
switched off where the app is served (service.http_server), so this is the one place that
decides. Walking X-Forwarded-For from the right, the first address that is not itself a
trusted proxy is the client; everything left of it could be invented by the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from service.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """'10.0.0.1, 10.1.0.0/16, ::1' → networks; ValueError names a bad entry."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"WANGGE_TRUSTED_PROXIES: {item!r} is not an address or CIDR") from exc
    return networks


def is_trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The client address for a request from `peer` carrying `forwarded_for`."""
    if not networks or not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop if _is_address(hop) else peer
    return hops[0] if hops and _is_address(hops[0]) else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class TrustedProxies:
    """Rewrites scope["client"] from X-Forwarded-For only for requests from trusted proxies."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = list(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks and scope.get("client"):
            peer, port = scope["client"]
            values = [v for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
            if values:
                header = ",".join(v.decode("latin-1") for v in values)
                client = forwarded_client(peer, header, self.networks)
                if client != peer:
                    scope = {**scope, "client": (client, 0)}
        await self.app(scope, receive, send)


def install_trusted_proxies(app: FastAPI, settings: Settings) -> None:
    """The middleware (always installed, a no-op without trusted proxies); bad entries fail
    at start-up rather than silently trusting nobody or everybody."""
    app.add_middleware(TrustedProxies, networks=parse_networks(settings.http.trusted_proxies))
