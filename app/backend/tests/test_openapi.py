"""The OpenAPI document says what the app answers and accepts: error responses declared, input rules published."""

from __future__ import annotations

import re

import pytest

from app.models import ChatRequest, TaskCreate, TaskUpdate

ERRORS = {"401", "403", "422"}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(openapi: dict):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_api_operation_declares_its_error_responses(openapi):
    api = [(p, m, o) for p, m, o in operations(openapi) if p.startswith("/api/")]
    assert len(api) == 9
    for path, method, operation in api:
        declared = set(operation["responses"])
        assert ERRORS <= declared, (method, path, declared)
        if "{task_id}" in path or "{conversation_id}" in path or path.endswith("/chat"):
            assert "404" in declared, (method, path, declared)
        for code in ERRORS | {"404"} & declared:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"], (method, path, code)
    ready = openapi["paths"]["/ready"]["get"]["responses"]
    assert {"200", "503"} <= set(ready)


def _components(openapi: dict, name: str) -> dict:
    return openapi["components"]["schemas"][name]


def test_published_text_rules_are_the_ones_enforced(openapi):
    """Schema and validators agree on what a title or chat message may be: not empty, not only whitespace,
    no NUL, within the length limit."""
    create = _components(openapi, "TaskCreate")["properties"]["title"]
    update = _components(openapi, "TaskUpdate")["properties"]["title"]
    message = _components(openapi, "ChatRequest")["properties"]["message"]
    assert create["minLength"] == update["minLength"] == message["minLength"] == 1
    assert update["type"] == "string", "a null title is refused, so the schema must not allow it"
    assert _components(openapi, "TaskUpdate")["properties"]["completed"] == {"title": "Completed", "type": "boolean"}
    samples = ["", " ", "\t\n", "\x1c\x1f", "\u3000", "\u00a0", "\ufeff", "a", " a ", "a\x00", "\x00", "ok\u2028"]
    for schema, model, field, extra in (
        (create, TaskCreate, "title", {}),
        (update, TaskUpdate, "title", {}),
        (message, ChatRequest, "message", {}),
    ):
        pattern = re.compile(schema["pattern"])
        for sample in samples:
            published = bool(pattern.search(sample)) and len(sample) >= schema["minLength"]
            try:
                model.model_validate({field: sample} | extra)
                enforced = True
            except ValueError:
                enforced = False
            assert published == enforced, (model.__name__, field, repr(sample))
    for name in ("task_id", "conversation_id"):
        params = [p for _, _, o in operations(openapi) for p in o.get("parameters", []) if p["name"] == name]
        assert params and all(p["schema"]["minimum"] == 1 and p["schema"]["maximum"] == 2**31 - 1 for p in params)
    user_ids = [p for _, _, o in operations(openapi) for p in o.get("parameters", []) if p["name"] == "user_id"]
    assert user_ids and all(p["schema"]["maxLength"] == 255 for p in user_ids)
