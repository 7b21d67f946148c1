"""Verify the Better Auth JWTs the frontend forwards: signature against its JWKS, expiry, issuer, audience."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import httpx
import jwt
from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError

from .config import Settings
from .models import NO_NUL_PATTERN, USER_ID_MAX

log = logging.getLogger("app.auth")

# Better Auth's JWT plugin signs with EdDSA (Ed25519) by default; RS256/ES256 are its other choices.
ALGORITHMS = ["EdDSA", "ES256", "RS256"]
# Each key verifies exactly one algorithm, fixed by its type: trusting the token's `alg` for a key of another type
# is the classic algorithm-confusion hole (and crashes PyJWT with a TypeError on a key it cannot use).
_ALGORITHM_OF = {("OKP", "Ed25519"): "EdDSA", ("EC", "P-256"): "ES256", ("RSA", None): "RS256"}


def algorithm_for(jwk: dict[str, Any]) -> str:
    """The one algorithm a JWKS entry may verify, from its kty/crv; its `alg`, `use`, `key_ops` must agree."""
    kty = jwk.get("kty")
    algorithm = _ALGORITHM_OF.get((kty, None if kty == "RSA" else jwk.get("crv")))
    if algorithm is None:
        raise jwt.InvalidKeyError(f"unsupported key type {kty}/{jwk.get('crv')}")
    if jwk.get("alg", algorithm) != algorithm:
        raise jwt.InvalidKeyError(f"alg {jwk.get('alg')} does not fit a {kty} key")
    if jwk.get("use", "sig") != "sig" or "verify" not in jwk.get("key_ops", ["verify"]):
        raise jwt.InvalidKeyError("not a signature verification key")
    return algorithm


class KeysUnavailable(Exception):
    pass


class JwksCache:
    """Key set fetched from JWKS_URL, reused for `ttl` seconds and refetched early when a token names an unknown kid
    (the frontend rotated its keys), but not more often than every `min_refresh` seconds."""

    def __init__(self, url: str, ttl: float = 300.0, min_refresh: float = 10.0, timeout: float = 5.0):
        self.url = url
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        try:
            response = httpx.get(self.url, timeout=self.timeout, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise KeysUnavailable(f"could not fetch the JWKS from {self.url}: {exc}") from exc
        keys: dict[str, jwt.PyJWK] = {}
        for index, jwk in enumerate(document.get("keys", []) if isinstance(document, dict) else []):
            try:
                key = jwt.PyJWK(jwk, algorithm=algorithm_for(jwk))
            except (jwt.PyJWTError, AttributeError, TypeError, ValueError) as exc:
                log.warning("skipping unusable JWKS key", extra={"kid": jwk.get("kid"), "reason": str(exc)})
                continue
            keys[jwk.get("kid") or f"#{index}"] = key
        self._keys = keys
        self._fetched_at = time.monotonic()
        log.info("fetched JWKS", extra={"url": self.url, "keys": len(keys)})

    def get(self, kid: str | None) -> jwt.PyJWK | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.ttl:
                self._fetch()
            elif (kid not in self._keys if kid else not self._keys) and age >= self.min_refresh:
                self._fetch()
            if kid:
                return self._keys.get(kid)
            # A token without kid is only unambiguous when the set holds one key.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None


class TokenVerifier:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.jwks = (
            JwksCache(settings.jwks_url, settings.jwks_cache_ttl, settings.jwks_min_refresh, settings.jwks_timeout)
            if settings.jwks_url
            else None
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims, or raise jwt.PyJWTError (the token is bad) / KeysUnavailable (we cannot tell)."""
        if self.jwks is None:
            raise KeysUnavailable("JWKS_URL is not set; set it to the frontend's /api/auth/jwks URL")
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise jwt.InvalidAlgorithmError(f"algorithm {header.get('alg')!r} is not accepted")
        key = self.jwks.get(header.get("kid"))
        if key is None:
            raise jwt.InvalidKeyError("no key in the JWKS matches the token's kid")
        if header["alg"] != key.algorithm_name:
            raise jwt.InvalidAlgorithmError(f"the token's algorithm {header['alg']} does not fit its key")
        options: dict[str, Any] = {"require": ["exp", "sub"], "verify_aud": bool(self.settings.jwt_audience)}
        return jwt.decode(
            token,
            key=key.key,
            algorithms=[key.algorithm_name],
            audience=self.settings.jwt_audience or None,
            issuer=self.settings.jwt_issuer or None,
            options=options,
            leeway=30,
        )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


# Published in the OpenAPI document, but checked below only after the token: anonymous callers always get 401.
_USER_ID = Path(json_schema_extra={"minLength": 1, "maxLength": USER_ID_MAX, "pattern": NO_NUL_PATTERN})


def authenticated_user(request: Request, user_id: str = _USER_ID) -> str:
    """FastAPI dependency for /api/{user_id}/...: 401 without a valid token, 403 when it belongs to someone else,
    422 when the token's own user id cannot be stored (longer than the column, or holding a NUL)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("missing bearer token: send Authorization: Bearer <JWT from /api/auth/token>")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        claims = verifier.verify(token.strip())
    except KeysUnavailable as exc:
        log.error("cannot verify tokens: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="authentication keys are unavailable") from exc
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        log.info("rejected token", extra={"reason": str(exc)})
        raise _unauthorized(f"invalid token: {exc}") from exc
    if str(claims["sub"]) != user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the token does not belong to this user")
    problem = (
        f"must be at most {USER_ID_MAX} characters"
        if len(user_id) > USER_ID_MAX
        else "must not contain NUL characters (\\u0000)"
        if "\x00" in user_id
        else None
    )
    if problem:
        raise RequestValidationError([{"loc": ("path", "user_id"), "msg": problem, "type": "value_error"}])
    return user_id


CurrentUser = Depends(authenticated_user)
