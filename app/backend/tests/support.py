"""Real collaborators for the tests: a JWKS endpoint with real keys, and a scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER = "http://todo.test"
AUDIENCE = "http://todo.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonServer:
    """A real HTTP server on 127.0.0.1 in a thread; `handle(method, path, body)` returns (status, json)."""

    def __init__(self, handle: Callable[[str, str, Any], tuple[int, Any]]):
        outer = self
        self.requests: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                outer.requests.append(
                    {"method": method, "path": self.path, "body": body, "headers": dict(self.headers)}
                )
                code, payload = handle(method, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> JsonServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class KeyRing:
    """Signing keys like Better Auth's JWT plugin makes (EdDSA by default), published as a JWKS."""

    def __init__(self) -> None:
        self.private: dict[str, tuple[str, Any]] = {}
        self.published: list[str] = []

    def add(self, kid: str, alg: str = "EdDSA", publish: bool = True) -> str:
        if alg == "EdDSA":
            key = ed25519.Ed25519PrivateKey.generate()
        elif alg == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(alg)
        self.private[kid] = (alg, key)
        if publish:
            self.published.append(kid)
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            alg, key = self.private[kid]
            algo = {"EdDSA": OKPAlgorithm, "RS256": RSAAlgorithm, "ES256": ECAlgorithm}[alg]
            jwk = algo.to_jwk(key.public_key(), as_dict=True)
            # Better Auth omits `alg` on its EdDSA keys; the verifier must infer it from kty/crv.
            jwk.update({"kid": kid, "use": "sig"} | ({} if alg == "EdDSA" else {"alg": alg}))
            keys.append(jwk)
        return {"keys": keys}

    def token(self, sub: str, kid: str = "k1", **claims: Any) -> str:
        alg, key = self.private[kid]
        now = int(time.time())
        payload = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600} | claims
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})
