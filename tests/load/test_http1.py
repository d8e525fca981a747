"""The load transport's HTTP/1.1 client against a scripted raw loopback server: what goes on the
wire, keep-alive, body framings, interim answers, non-HTTP answers and the connection cap, on
asyncio's own loop and on uvloop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Self

import httpx
import pytest

from harness.load.eventloop import run as run_on_loop
from harness.transport import AsyncTransport, TransportConfig
from vendor_adapters.errors import ProtocolError

Reply = Callable[[bytes], bytes]
"""Scripted server: the raw request (head and body) in, the raw bytes to answer out."""

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\": 1}\r\n"


class RawServer:
    """A loopback TCP server that answers each request with ``reply(request)``, closing the
    connection after the answer when it contains ``Connection: close`` or has no length."""

    def __init__(self, reply: Reply, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.requests: list[bytes] = []
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                await asyncio.sleep(self.delay_s)
                answer = self.reply(request)
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower() or b"content-length" not in answer.lower():
                    return
        finally:
            self.open_now -= 1
            writer.close()


@pytest.fixture(params=["asyncio", "uvloop"])
def use_uvloop(request: pytest.FixtureRequest) -> bool:
    if request.param == "uvloop":
        pytest.importorskip("uvloop")
    return request.param == "uvloop"


@pytest.fixture
def send(use_uvloop: bool) -> Callable[..., list[httpx.Response | Exception]]:
    """``send(requests, config=None, concurrent=False)``: each answer, or the error it raised."""

    def go(requests: list[httpx.Request], config: TransportConfig | None = None,
           concurrent: bool = False) -> list[httpx.Response | Exception]:
        async def one(transport: AsyncTransport, request: httpx.Request) -> httpx.Response | Exception:
            try:
                return await transport.send(request)
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                return exc

        async def main() -> list[httpx.Response | Exception]:
            async with AsyncTransport(config) as transport:
                if concurrent:
                    return list(await asyncio.gather(*(one(transport, r) for r in requests)))
                return [await one(transport, r) for r in requests]

        return run_on_loop(main(), use_uvloop=use_uvloop)

    return go


def test_request_goes_out_as_the_adapter_built_it(send: Callable) -> None:
    with RawServer(lambda request: OK) as server:
        request = httpx.Request("POST", f"{server.url}/recognize?region=us&x=%20", content=b"\xff\xd8body",
                                headers={"Content-Type": "image/jpeg", "X-Api-Key": "k"})
        [response] = send([request])
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200 and response.json() == {"ok": 1}
    head, body = server.requests[0].split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /recognize?region=us&x=%20 HTTP/1.1"
    assert f"host: 127.0.0.1:{server.port}".encode() in [line.lower() for line in lines]
    assert b"content-length: 6" in [line.lower() for line in lines]
    assert b"X-Api-Key: k" in lines
    assert body == b"\xff\xd8body"


def test_keep_alive_sends_every_request_over_one_connection(send: Callable) -> None:
    with RawServer(lambda request: OK) as server:
        responses = send([httpx.Request("GET", f"{server.url}/{i}") for i in range(20)])
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in responses)
    assert len(server.requests) == 20
    assert server.connections == 1


def test_connection_close_is_honoured(send: Callable) -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
    with RawServer(lambda request: answer) as server:
        responses = send([httpx.Request("GET", f"{server.url}/") for _ in range(3)])
    assert [r.content for r in responses if isinstance(r, httpx.Response)] == [b"hi"] * 3
    assert server.connections == 3


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
         b"hello world"),
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", b"until the end"),
        (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal",
         b"real"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
    ids=["chunked", "close-delimited", "interim-103", "no-content"],
)
def test_body_framings(send: Callable, answer: bytes, body: bytes) -> None:
    with RawServer(lambda request: answer) as server:
        [response] = send([httpx.Request("GET", f"{server.url}/")])
    assert isinstance(response, httpx.Response)
    assert response.content == body


def test_an_answer_that_is_not_http_is_a_protocol_error(send: Callable) -> None:
    with RawServer(lambda request: b"SSH-2.0-OpenSSH_9.6\r\n\r\n") as server:
        [error] = send([httpx.Request("GET", f"{server.url}/")])
    assert isinstance(error, ProtocolError)


def test_the_connection_cap_holds_and_every_request_is_answered(send: Callable) -> None:
    with RawServer(lambda request: OK, delay_s=0.05) as server:
        responses = send([httpx.Request("GET", f"{server.url}/{i}") for i in range(8)],
                         TransportConfig(max_connections=2), concurrent=True)
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in responses)
    assert len(server.requests) == 8
    assert server.most_open <= 2
