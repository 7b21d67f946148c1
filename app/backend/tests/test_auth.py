"""Auth with real signed tokens against a real JWKS endpoint (EdDSA like Better Auth, plus RS256 and ES256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from fastapi.testclient import TestClient

from app.main import create_app

from .conftest import settings_for
from .support import AUDIENCE, ISSUER, JsonServer, KeyRing, free_port


def call(client: TestClient, user_id: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(f"/api/{user_id}/tasks", headers=headers)


def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/someone/tasks")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "missing bearer token" in response.json()["detail"]
    assert client.get("/api/someone/tasks", headers={"Authorization": "Basic dTpw"}).status_code == 401
    assert client.post("/api/someone/chat", json={"message": "list tasks"}).status_code == 401


def test_valid_token_for_the_path_user_is_accepted(client, keys):
    assert call(client, "alice", keys.token("alice")).status_code == 200


def test_token_for_another_user_is_403(client, keys):
    response = call(client, "bob", keys.token("alice"))
    assert response.status_code == 403
    assert response.json()["detail"] == "the token does not belong to this user"


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"exp": int(time.time()) - 120}, "token expired"),
        ({"iss": "http://elsewhere.test"}, "issuer"),
        ({"aud": "http://elsewhere.test"}, "Audience"),
        ({"aud": None}, "aud"),
        ({"exp": None}, "exp"),
    ],
)
def test_bad_claims_are_401(client, keys, claims, reason):
    response = call(client, "alice", keys.token("alice", **claims))
    assert response.status_code == 401
    assert reason in response.json()["detail"]


def test_forged_and_malformed_tokens_are_401(client, keys):
    # Same kid, different private key: the signature cannot verify.
    impostor = KeyRing()
    impostor.add("k1", "EdDSA")
    assert call(client, "alice", impostor.token("alice")).status_code == 401
    # A token whose payload was edited after signing.
    head, _, sig = keys.token("alice").split(".")
    other_payload = keys.token("mallory").split(".")[1]
    assert call(client, "mallory", f"{head}.{other_payload}.{sig}").status_code == 401
    assert call(client, "alice", "not-a-jwt").status_code == 401
    # Algorithms the frontend never uses must not be accepted, whatever the token says.
    unsigned = jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert call(client, "alice", unsigned).status_code == 401
    hmac = jwt.encode(
        {"sub": "alice", "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256", headers={"kid": "k1"}
    )
    assert call(client, "alice", hmac).status_code == 401


def test_unpublished_kid_is_401(client, keys):
    keys.add("secret-kid", "EdDSA", publish=False)
    assert call(client, "alice", keys.token("alice", kid="secret-kid")).status_code == 401


def test_rs256_and_es256_keys_work_and_rotation_refetches_the_jwks(database_url):
    ring = KeyRing()
    ring.add("first", "EdDSA")
    with JsonServer(lambda m, p, b: (200, ring.jwks())) as server:
        app = create_app(settings_for(database_url, f"{server.url}/jwks", jwks_min_refresh=0.0))
        with TestClient(app) as client:
            assert call(client, "carol", ring.token("carol", kid="first")).status_code == 200
            assert call(client, "carol", ring.token("carol", kid="first")).status_code == 200
            assert len(server.requests) == 1, "the key set is cached"
            # The frontend rotates to new keys: an unknown kid triggers one refetch.
            ring.add("rsa", "RS256")
            ring.add("ec", "ES256")
            assert call(client, "carol", ring.token("carol", kid="rsa")).status_code == 200
            assert call(client, "carol", ring.token("carol", kid="ec")).status_code == 200
            assert len(server.requests) == 2


def test_unknown_kids_do_not_refetch_more_often_than_allowed(database_url):
    ring = KeyRing()
    ring.add("k", "EdDSA")
    with JsonServer(lambda m, p, b: (200, ring.jwks())) as server:
        app = create_app(settings_for(database_url, f"{server.url}/jwks", jwks_min_refresh=60.0))
        with TestClient(app) as client:
            assert call(client, "dave", ring.token("dave", kid="k")).status_code == 200
            for _ in range(5):
                assert (
                    call(client, "dave", ring.token("dave", kid="k", extra=str(uuid.uuid4())) + "x").status_code == 401
                )
            ring.add("late", "EdDSA", publish=False)
            for _ in range(5):
                assert call(client, "dave", ring.token("dave", kid="late")).status_code == 401
            assert len(server.requests) == 1


def test_unreachable_jwks_is_503_not_401(database_url, keys):
    app = create_app(settings_for(database_url, f"http://127.0.0.1:{free_port()}/api/auth/jwks"))
    with TestClient(app) as client:
        response = call(client, "alice", keys.token("alice"))
        assert response.status_code == 503
        assert response.json()["detail"] == "authentication keys are unavailable"


def test_missing_jwks_url_is_503(database_url, keys):
    app = create_app(settings_for(database_url, ""))
    with TestClient(app) as client:
        assert call(client, "alice", keys.token("alice")).status_code == 503


def _confused(ring_alg: str, header_alg: str, kid: str) -> str:
    """A token whose header names `kid` (a published key of another type) but `header_alg`, signed with a key the
    attacker made: the verifier must refuse it because the algorithm does not fit the key, not crash."""
    attacker = KeyRing()
    attacker.add(kid, ring_alg)
    _, key = attacker.private[kid]
    now = int(time.time())
    claims = {"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm=header_alg, headers={"kid": kid})


def _hmac_token(header: dict, secret: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_algorithm_confusion_is_401_not_500(database_url):
    ring = KeyRing()
    ring.add("ed", "EdDSA")
    ring.add("rsa", "RS256")
    ring.add("ec", "ES256")
    with JsonServer(lambda m, p, b: (200, ring.jwks())) as server:
        app = create_app(settings_for(database_url, f"{server.url}/jwks"))
        with TestClient(app, raise_server_exceptions=False) as client:
            for kid in ("ed", "rsa", "ec"):
                assert call(client, "alice", ring.token("alice", kid=kid)).status_code == 200
            for signing, header_alg, kid in [
                ("RS256", "RS256", "ed"),  # the attacker's own RSA key, the Ed25519 key's kid
                ("ES256", "ES256", "ed"),
                ("EdDSA", "EdDSA", "rsa"),
                ("ES256", "ES256", "rsa"),
                ("RS256", "RS256", "ec"),
                ("EdDSA", "EdDSA", "ec"),
            ]:
                response = call(client, "alice", _confused(signing, header_alg, kid))
                assert response.status_code == 401, (signing, kid, response.text)
                assert "algorithm" in response.json()["detail"], response.text
            # The classic one: HMAC with the published public key as the secret (made by hand: PyJWT refuses to).
            rsa_jwk = next(k for k in ring.jwks()["keys"] if k["kid"] == "rsa")
            assert (
                call(client, "alice", _hmac_token({"alg": "HS256", "kid": "rsa"}, json.dumps(rsa_jwk))).status_code
                == 401
            )
            assert (
                call(client, "alice", _hmac_token({"alg": "RS256", "kid": "rsa"}, json.dumps(rsa_jwk))).status_code
                == 401
            )


def test_jwks_keys_whose_alg_does_not_fit_their_type_are_not_used(database_url):
    """A JWKS entry claiming `alg: RS256` on an Ed25519 key is ignored, not trusted for whatever algorithm a token
    names; so is a key published for encryption (`use: enc`) rather than signatures."""
    ring = KeyRing()
    ring.add("good", "EdDSA")
    ring.add("liar", "EdDSA")
    ring.add("enc", "EdDSA")

    def jwks() -> dict:
        document = ring.jwks()
        for key in document["keys"]:
            if key["kid"] == "liar":
                key["alg"] = "RS256"
            if key["kid"] == "enc":
                key["use"] = "enc"
        return document

    with JsonServer(lambda m, p, b: (200, jwks())) as server:
        app = create_app(settings_for(database_url, f"{server.url}/jwks"))
        with TestClient(app, raise_server_exceptions=False) as client:
            assert call(client, "alice", ring.token("alice", kid="good")).status_code == 200
            assert call(client, "alice", ring.token("alice", kid="liar")).status_code == 401
            assert call(client, "alice", _confused("RS256", "RS256", "liar")).status_code == 401
            assert call(client, "alice", ring.token("alice", kid="enc")).status_code == 401
