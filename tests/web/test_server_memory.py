"""A streamed response does not pile up in the server: waitress keeps at most about
``webapp.server.OUTBUF_HIGH_WATERMARK`` of it for a connection (the 8-day ``/api/history`` is
17 MB of JSON; waitress's default held up to 16 MiB of it).

The bound leaves room for the buffers' growth and the client's own reads: held peaks
measure 2–5 MiB here with lightctl's setting and 18 MiB with waitress's default."""

from __future__ import annotations

import tracemalloc
import urllib.request

from lightctl.webapp.server import WebServer

PIECE = b"x" * 65_536
PIECES = 512  # 32 MiB


def _stream(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return (PIECE for _ in range(PIECES))


def test_a_streamed_body_is_not_kept_whole_by_the_server():
    web = WebServer(_stream, "127.0.0.1", 0).start()
    try:
        tracemalloc.start()
        try:
            got = 0
            with urllib.request.urlopen(f"http://127.0.0.1:{web.port}/", timeout=30) as resp:
                while chunk := resp.read(65_536):
                    got += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        web.stop()
    assert got == len(PIECE) * PIECES
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB held"
