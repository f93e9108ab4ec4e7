"""Small helpers the scripts share to run a server on loopback."""

import socket
import time


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, *, seconds: float = 30) -> None:
    """Wait until something listens on 127.0.0.1:`port`, or give up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start within {seconds:g} s")
