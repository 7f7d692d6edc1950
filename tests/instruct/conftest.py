"""Fixtures for the builder tests: a local stand-in for an OpenAI-compatible teacher endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Teacher:
    """The fake endpoint: its URL, the requests it received, and `reply(body) -> (status, content)`."""

    url: str
    requests: list[dict] = field(default_factory=list)
    reply: Callable[[dict], tuple[int, str]] = lambda body: (200, "[Answer]: NA")


@pytest.fixture
def teacher() -> Iterator[Teacher]:
    state = Teacher(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            status, content = state.reply(body)
            payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}
                                 if status == 200 else {"error": "scripted failure"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
