"""A real HTTP server on 127.0.0.1 that speaks the OpenAI protocol, for tests and benchmarks.

It records every request it receives and answers from a queue of scripted replies, falling
back to a ``responder`` callable. Replies can inject faults: an HTTP status with headers
(429 with Retry-After, 500, 503), a delay longer than the client's timeout, or a connection
reset with no reply at all.

    with OpenAIServer(responder) as server:
        grade(transcript, model="openai/test-model", api_base=server.base_url, api_key="sk-test")
        assert len(server.requests) == 14
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["OpenAIServer", "Reply", "Request", "chat_reply", "tool_call"]


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None
    """The decoded JSON body, or None when the body is not JSON (multipart audio uploads)."""
    received_at: float = 0.0


@dataclass
class Reply:
    """What the server sends back for one request."""

    status: int = 200
    body: Any = None
    """A JSON-serialisable object, or str/bytes sent as they are (for malformed replies)."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before replying, to simulate a slow model or a timeout."""
    reset: bool = False
    """Close the connection abruptly (TCP RST) instead of replying."""


Responder = Callable[[Request], Reply]


def tool_call(
    name: str, arguments: dict[str, Any] | str, call_id: str = "call_1"
) -> dict[str, Any]:
    """Build one entry of an assistant message's ``tool_calls``."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def chat_reply(
    content: str | None = None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    model: str = "test-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    status: int = 200,
    delay: float = 0.0,
) -> Reply:
    """Build a chat-completions reply with the given content or tool calls."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if finish_reason is None:
        finish_reason = "tool_calls" if tool_calls else "stop"
    body = {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Reply(status=status, body=body, delay=delay)


def _no_responder(request: Request) -> Reply:
    return Reply(status=500, body={"error": {"message": f"no scripted reply for {request.path}"}})


class _Listener(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5. A client that opens 32 connections at once
    # then has some SYNs dropped, and the kernel resends them after one second.
    request_queue_size = 128


class OpenAIServer:
    """A threaded OpenAI-compatible server on a free port of 127.0.0.1."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder or _no_responder
        self.requests: list[Request] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = _Listener(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``api_base`` to give the client, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one before the responder is asked."""
        with self._lock:
            self._queue.extend(replies)

    def chat_requests(self) -> list[Request]:
        """The chat-completions requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        return self.responder(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes. With Nagle's algorithm on, the
            # body waited for the client's delayed ACK, adding about 40 ms to every reply.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        Reply(
                            body={
                                "object": "list",
                                "data": [{"id": "test-model", "object": "model"}],
                            }
                        )
                    )
                else:
                    self._send(Reply(status=404, body={"error": {"message": "not found"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                request = Request(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw=raw,
                    body=body,
                    received_at=time.monotonic(),
                )
                self._send(server._next_reply(request))

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    # SO_LINGER with a zero timeout makes close() send RST, as a crashed peer would.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                else:
                    payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (its timeout passed); nothing is left to answer.
                    self.close_connection = True

        return Handler
