"""This machine: servers the suite starts itself (Prometheus, the sample service) listen on 127.0.0.1 only, on a
free port; processes the suite left are found by pid."""

from __future__ import annotations

import os
import socket


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1, so (barring a race) nothing else is listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
