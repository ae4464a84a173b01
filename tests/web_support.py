"""Helpers for the web tests: a signed-in TestClient, and a real uvicorn server for the browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi.testclient import TestClient

from setia.adapters.db.engine import Database
from setia.config import Settings
from setia.entrypoints.api.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)  # type: ignore[union-attr]


def client_for(database: Database) -> TestClient:
    return TestClient(create_app(Settings(database_url=database.url), database))


def sign_in(client: TestClient, username: str, password: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/pos"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/pos/sales").text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(database: Database) -> Iterator[str]:
    """uvicorn on 127.0.0.1 on a free port, in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(Settings(database_url=database.url), database), host="127.0.0.1", port=port,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """argon2 with its smallest cost: the tests sign in hundreds of times; the production cost is the library's
    default (about 50 ms on a laptop, more on a busy CI machine), which tests don't need to pay."""
    import pytest
    from argon2 import PasswordHasher

    from setia.services import staff as staff_service

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staff_service, "_hasher", cheap)
        patch.setattr(staff_service, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
        yield


class Listener:
    """A printer stand-in: accepts one connection on 127.0.0.1 and keeps every byte it receives."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(1)
        self.port = self.socket.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.socket.accept()
        with connection:
            while chunk := connection.recv(4096):
                self.received += chunk
        self.socket.close()
