"""The JWKS cache against a real JWKS endpoint that fails, is slow or hangs: every authenticated request depends
on it, so a sick JWKS must cost a bounded wait and a bounded number of fetches, and never delay requests whose
key is already cached."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

from .conftest import settings_for
from .support import JsonServer, KeyRing


class Jwks:
    """A JWKS endpoint the test switches between serving, failing (500), answering slowly, and hanging."""

    def __init__(self) -> None:
        self.ring = KeyRing()
        self.ring.add("k1", "EdDSA")
        self.mode = "serve"
        self.delay = 0.0
        self.release = threading.Event()  # ends hanging requests when the test is over
        self.server = JsonServer(self._handle)

    def _handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self.mode == "hang":
            self.release.wait(60)
        time.sleep(self.delay)
        if self.mode == "fail":
            return 500, {"error": "internal error"}
        return 200, self.ring.jwks()

    @property
    def fetches(self) -> int:
        return len(self.server.requests)

    def token(self, kid: str = "k1") -> str:
        return self.ring.token("alice", kid=kid)

    def forged(self) -> str:
        """A token naming a random kid, as someone probing would send (signed with a key nobody published)."""
        kid = f"random-{uuid.uuid4().hex}"
        self.ring.add(kid, "EdDSA", publish=False)
        return self.ring.token("alice", kid=kid)


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    endpoint = Jwks()
    with endpoint.server:
        yield endpoint
        endpoint.release.set()


def app_client(database_url: str, jwks: Jwks, **settings: Any) -> TestClient:
    app = create_app(settings_for(database_url, f"{jwks.server.url}/jwks", **settings))
    return TestClient(app, raise_server_exceptions=False)


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def call(client: TestClient, token: str) -> tuple[int, float]:
    started = time.monotonic()
    response = client.get("/api/alice/tasks", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, time.monotonic() - started


def test_failed_fetches_are_throttled_too(database_url, jwks):
    jwks.mode = "fail"
    with app_client(database_url, jwks, jwks_min_refresh=60.0, jwks_timeout=2.0) as client:
        statuses = [call(client, jwks.forged())[0] for _ in range(50)]
        assert set(statuses) == {503}
        assert call(client, jwks.token())[0] == 503
        assert jwks.fetches == 1, "one fetch per jwks_min_refresh, whether it worked or not"


def test_the_cache_recovers_once_the_throttle_window_has_passed(database_url, jwks):
    jwks.mode = "fail"
    with app_client(database_url, jwks, jwks_min_refresh=0.5, jwks_timeout=2.0) as client:
        assert call(client, jwks.token())[0] == 503
        assert call(client, jwks.token())[0] == 503
        assert jwks.fetches == 1
        jwks.mode = "serve"
        time.sleep(0.6)
        assert call(client, jwks.token())[0] == 200
        assert jwks.fetches == 2


def test_a_slow_jwks_does_not_delay_requests_whose_kid_is_cached(database_url, jwks):
    with app_client(database_url, jwks, jwks_min_refresh=0.0, jwks_timeout=10.0) as client:
        assert call(client, jwks.token())[0] == 200
        jwks.delay = 3.0
        with ThreadPoolExecutor(1) as pool:
            probe = pool.submit(call, client, jwks.forged())  # an unknown kid: refetches, slowly
            assert wait_until(lambda: jwks.fetches == 2), "the refetch is in flight"
            timings = [call(client, jwks.token()) for _ in range(5)]
            assert [status for status, _ in timings] == [200] * 5
            assert max(elapsed for _, elapsed in timings) < 1.0, timings
            assert not probe.done(), "the slow refetch was still running while the cached kid was served"
            assert probe.result()[0] == 401


def test_a_hanging_jwks_bounds_the_wait_and_the_fetches(database_url, jwks):
    jwks.mode = "hang"
    with app_client(database_url, jwks, jwks_min_refresh=60.0, jwks_timeout=1.0) as client:
        started = time.monotonic()
        with ThreadPoolExecutor(5) as pool:
            concurrent = list(pool.map(lambda _: call(client, jwks.token()), range(5)))
        assert [status for status, _ in concurrent] == [503] * 5
        sequential = [call(client, jwks.token()) for _ in range(5)]
        assert [status for status, _ in sequential] == [503] * 5
        assert max(elapsed for _, elapsed in sequential) < 0.5, "a failed fetch is not waited for again"
        assert time.monotonic() - started < 3.0, (concurrent, sequential)
        assert jwks.fetches == 1


def test_keys_past_their_ttl_stay_usable_while_the_refresh_runs_or_fails(database_url, jwks):
    with app_client(database_url, jwks, jwks_cache_ttl=0.3, jwks_min_refresh=0.0, jwks_timeout=10.0) as client:
        assert call(client, jwks.token())[0] == 200
        # Slow refresh: the expired key set keeps answering meanwhile, the refresh happens in the background.
        jwks.delay = 2.0
        time.sleep(0.4)
        timings = [call(client, jwks.token()) for _ in range(3)]
        assert [status for status, _ in timings] == [200] * 3 and max(t for _, t in timings) < 1.0, timings
        assert wait_until(lambda: jwks.fetches == 2) and jwks.fetches == 2, (
            "one background refresh, not one per request"
        )
        # Failing refresh: the last good keys are kept (a JWKS outage must not sign everyone out).
        jwks.delay, jwks.mode = 0.0, "fail"
        time.sleep(2.5)
        assert call(client, jwks.token())[0] == 200
        time.sleep(0.4)
        assert call(client, jwks.token())[0] == 200
        assert jwks.fetches >= 3
