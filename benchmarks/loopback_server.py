"""A minimal, fast HTTP/1.1 keep-alive server answering every GET with one canned response.

Run as its own process (``python benchmarks/loopback_server.py``) so that it does not compete with the
client for the GIL; it prints its port on the first line of stdout and serves until killed. Both sides of
the per-request benchmark talk to the same server, so its (small, constant) cost cancels in the ratio.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from email.utils import formatdate

# A small, valid SeriesListRep: three daily points of one series, as total-mau returns it.
BODY = json.dumps(
    {
        "_links": {"self": {"href": "/api/v2/usage/total-mau", "type": "application/json"}},
        "metadata": [{"projectId": "5f2d0c6e9a7b3c0012345678"}],
        "series": [
            {"time": 1735689600000, "0": 1203},
            {"time": 1735776000000, "0": 1187},
            {"time": 1735862400000, "0": 1242},
        ],
    },
    separators=(",", ":"),
).encode()


def canned_response() -> bytes:
    """Status line, the headers LaunchDarkly sends (Date, rate-limit budget far from spent), body."""
    reset_ms = int((time.time() + 3600) * 1000)
    headers = [
        "HTTP/1.1 200 OK",
        "Content-Type: application/json",
        f"Content-Length: {len(BODY)}",
        f"Date: {formatdate(usegmt=True)}",
        "X-Ratelimit-Global-Remaining: 100000",
        "X-Ratelimit-Route-Remaining: 100000",
        f"X-Ratelimit-Reset: {reset_ms}",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + BODY


def _serve_connection(conn: socket.socket, response: bytes) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:  # GETs have no body: a request ends with its headers
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            _, buffer = buffer.split(b"\r\n\r\n", 1)
            conn.sendall(response)


def serve(port: int = 0) -> None:
    response = canned_response()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn, response), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
