"""Behind a load balancer: the visitor's address, not the balancer's, for per-IP limits and Login Management."""

from __future__ import annotations

import pytest

from membercenter.wsgi import ForwardedFor


def remote_addr(trusted: list[str], peer: str, forwarded: str | None) -> str:
    seen = {}

    def app(environ, start_response):
        seen["addr"] = environ["REMOTE_ADDR"]
        return [b""]

    environ = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    ForwardedFor(app, trusted)(environ, lambda *a: None)
    return seen["addr"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # The balancer appended the visitor's address.
        ("10.0.1.5", "203.0.113.7", "203.0.113.7"),
        # A visitor who sends their own header cannot choose: the rightmost untrusted hop wins.
        ("10.0.1.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # Two trusted proxies in a row (CDN → balancer) are skipped.
        ("10.0.1.5", "203.0.113.7, 10.0.2.9", "203.0.113.7"),
        # Straight from the internet (not through a trusted proxy): the header is ignored.
        ("198.51.100.20", "1.2.3.4", "198.51.100.20"),
        # No header: unchanged.
        ("10.0.1.5", None, "10.0.1.5"),
        # A hop that is not an address is not believed.
        ("10.0.1.5", "not-an-ip", "10.0.1.5"),
        ("10.0.1.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_visitor_address_comes_from_trusted_proxies_only(peer, forwarded, expected):
    assert remote_addr(["10.0.0.0/16"], peer, forwarded) == expected


def test_behind_a_trusted_unix_socket_the_visitor_address_is_read():
    # gunicorn on BIND=unix:... leaves REMOTE_ADDR empty; "unix" trusts that peer.
    assert remote_addr(["unix"], "", "203.0.113.7") == "203.0.113.7"
    assert remote_addr(["unix", "10.0.0.0/16"], "", "1.2.3.4, 203.0.113.7, 10.0.2.9") == "203.0.113.7"
    # Only the socket, not every address: a direct visitor's header is still ignored.
    assert remote_addr(["unix"], "198.51.100.20", "1.2.3.4") == "198.51.100.20"
    # Without "unix" an empty peer is not trusted.
    assert remote_addr(["10.0.0.0/16"], "", "203.0.113.7") == ""


def test_the_wsgi_application_loads():
    from membercenter import wsgi

    assert callable(wsgi.application)
