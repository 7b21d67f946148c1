"""Property-based run of the whole API from its own /openapi.json (Schemathesis), in-process against the real
app on the real PostgreSQL with a valid token: no input may produce a 5xx, and every response (status code,
content type, body) must be what the document declares. Bounded and derandomized, so it is fast and repeatable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app

from .conftest import settings_for

# Schemathesis hands the TestClient per-request cookies and raw bodies the way requests does; harmless here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

USER = f"fuzz-{uuid.uuid4().hex[:8]}"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # input the document forbids must be refused (4xx), not stored
]


def _document() -> dict[str, Any]:
    """The app's document (it does not depend on the settings, so an app built without any will do), with the
    path's user_id pinned to the token's user: other users' paths are only a 403 and would hide everything else."""
    document = create_app(Settings(log_level="WARNING")).openapi()
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "user_id":
                    parameter["schema"] = {"type": "string", "enum": [USER]}
    return document


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module")
def api(database_url, jwks_server, keys) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(settings_for(database_url, f"{jwks_server.url}/api/auth/jwks"))
    headers = {"Authorization": f"Bearer {keys.token(USER)}"}
    # A 5xx must come back as a response for the checks to report, not as an exception.
    with TestClient(app, raise_server_exceptions=False) as client:
        # A few rows, so that listing, chat and updates see real data, not only empty lists and 404s.
        for title in ("first", "second"):
            assert client.post(f"/api/{USER}/tasks", headers=headers, json={"title": title}).status_code == 201
        yield client, headers


@schema.parametrize()
@settings(
    max_examples=40,  # per operation; the whole run adds about 20 s on 2 cores
    derandomize=True,  # the same cases on every run: CI must not be flaky
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, api):
    client, headers = api
    response = client.request(**case.as_transport_kwargs(base_url="http://testserver", headers=headers))
    case.validate_response(response, checks=CHECKS)
