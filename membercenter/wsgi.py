"""The WSGI application gunicorn serves (`gunicorn membercenter.wsgi`, settings in gunicorn.conf.py).

Behind a load balancer every request comes from the balancer's address. The per-IP
log-in limit and Login Management need the visitor's: with TRUSTED_PROXIES set,
REMOTE_ADDR becomes the address the trusted proxies saw (X-Forwarded-For, read from
the right, so a visitor cannot choose it by sending the header themselves).

Behind a proxy on the same machine that talks to gunicorn over a Unix socket
(BIND=unix:/run/membercenter.sock) the peer has no address (REMOTE_ADDR is empty): the
entry `unix` in TRUSTED_PROXIES trusts that socket. Without it every visitor would share
one "unknown" count in the per-IP limits.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercenter.settings")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNIX_SOCKET = "unix"  # the TRUSTED_PROXIES entry for a proxy that reaches gunicorn over a Unix socket


class ForwardedFor:
    """WSGI middleware: REMOTE_ADDR from X-Forwarded-For when the request came through a trusted proxy."""

    def __init__(self, app: Callable[..., Iterable[bytes]], trusted: Iterable[str]) -> None:
        self.app = app
        entries = list(trusted)
        # "unix": the Unix socket gunicorn listens on, whose peer has no address.
        self.unix_socket = UNIX_SOCKET in entries
        self.trusted: list[Network] = [ipaddress.ip_network(net, strict=False) for net in entries if net != UNIX_SOCKET]

    def _is_trusted(self, address: str) -> bool:
        if address == "":
            return self.unix_socket
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def client_address(self, environ: dict[str, Any]) -> str | None:
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if not forwarded or not self._is_trusted(peer):
            return None
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Each proxy appends the address it saw: the first untrusted one from the right is
        # the visitor; anything left of it may have been written by the visitor.
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return None
        return hops[0] if hops else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        client = self.client_address(environ)
        if client:
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


def build_application() -> Callable[..., Iterable[bytes]]:
    from django.conf import settings

    app = get_wsgi_application()
    if settings.TRUSTED_PROXIES:
        return ForwardedFor(app, settings.TRUSTED_PROXIES)
    return app


application = build_application()
