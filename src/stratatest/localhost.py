"""Servers the suite starts itself (Prometheus, the sample service) listen on 127.0.0.1 only, on a free port."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1, so (barring a race) nothing else is listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
