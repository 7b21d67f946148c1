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


MAX_JWKS_BYTES = 1 << 20  # a key set is a few KB; anything near this is not one


class JwksCache:
    """The frontend's key set, fetched from JWKS_URL and trusted for `ttl` seconds.

    Every authenticated request goes through here, so a sick JWKS endpoint must not become everyone's problem:
    - No lock is held during a fetch: requests whose kid is cached are answered from memory while a fetch runs.
    - At most one fetch runs at a time, and one starts at most every `min_refresh` seconds, whether the last one
      worked or not: tokens with made-up kids cannot turn into a flood of fetches against a failing endpoint.
    - A request waits for a fetch only when it needs one (unknown kid, nothing cached), and only until that
      fetch's deadline (`timeout` after it started); the fetch itself is abandoned at the same deadline.
    - Past the TTL, the old keys keep working while the refresh runs in the background, and after it fails: a
      JWKS outage then signs nobody out, and the refresh is retried every `min_refresh` seconds.
    """

    def __init__(self, url: str, ttl: float = 300.0, min_refresh: float = 10.0, timeout: float = 5.0):
        self.url = url
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")  # last successful fetch
        self._attempted_at = float("-inf")  # last fetch started, successful or not
        self._fetch_done: threading.Event | None = None  # set when the running fetch ends; None = none running
        self._lock = threading.Lock()  # guards the fields above, held only for a few dictionary operations

    def _download(self, deadline: float) -> dict[str, jwt.PyJWK]:
        """GET the JWKS, giving up at `deadline` even if the server keeps trickling bytes."""
        try:
            with httpx.stream(
                "GET", self.url, timeout=self.timeout, headers={"accept": "application/json"}
            ) as response:
                response.raise_for_status()
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise KeysUnavailable(f"the JWKS at {self.url} is larger than {MAX_JWKS_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise KeysUnavailable(f"the JWKS at {self.url} did not arrive within {self.timeout}s")
            document = json.loads(body)
        except (httpx.HTTPError, ValueError) as exc:
            raise KeysUnavailable(f"could not fetch the JWKS from {self.url}: {exc}") from exc
        keys: dict[str, jwt.PyJWK] = {}
        for index, jwk in enumerate(document.get("keys", []) if isinstance(document, dict) else []):
            if not isinstance(jwk, dict):
                continue
            try:
                key = jwt.PyJWK(jwk, algorithm=algorithm_for(jwk))
            except (jwt.PyJWTError, AttributeError, TypeError, ValueError) as exc:
                log.warning("skipping unusable JWKS key", extra={"kid": jwk.get("kid"), "reason": str(exc)})
                continue
            keys[jwk.get("kid") or f"#{index}"] = key
        return keys

    def _fetch(self, deadline: float, done: threading.Event) -> None:
        """Runs in its own thread, so that no request is tied to a fetch longer than it chooses to wait."""
        try:
            keys = self._download(deadline)
        except KeysUnavailable as exc:
            log.error("JWKS fetch failed; keeping the previous keys", extra={"reason": str(exc)})
        else:
            with self._lock:
                self._keys = keys
                self._fetched_at = time.monotonic()
            log.info("fetched JWKS", extra={"url": self.url, "keys": len(keys)})
        finally:
            with self._lock:
                self._fetch_done = None
            done.set()

    def _start_fetch(self, now: float) -> tuple[threading.Event, float]:
        """Call with the lock held and a fetch allowed; returns the event that ends it and its deadline."""
        if self._fetch_done is None:
            self._fetch_done = threading.Event()
            self._attempted_at = now
            deadline = now + self.timeout
            threading.Thread(
                target=self._fetch, args=(deadline, self._fetch_done), name="jwks-fetch", daemon=True
            ).start()
        return self._fetch_done, self._attempted_at + self.timeout

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid:
            return self._keys.get(kid)
        # A token without kid is only unambiguous when the set holds one key.
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    def get(self, kid: str | None) -> jwt.PyJWK | None:
        """The key for `kid`; None when the key set does not have it; KeysUnavailable when we cannot tell."""
        with self._lock:
            now = time.monotonic()
            key = self._lookup(kid)
            may_fetch = now - self._attempted_at >= self.min_refresh
            if key is not None:
                if now - self._fetched_at > self.ttl and may_fetch:
                    self._start_fetch(now)  # refresh in the background; this request goes on with the key it has
                return key
            if self._fetch_done is not None:
                waiting = (self._fetch_done, self._attempted_at + self.timeout)  # join the running fetch
            elif may_fetch:
                waiting = self._start_fetch(now)  # the key set may have rotated: look again
            else:
                waiting = None  # looked recently: answer from what we have
            have_keys = bool(self._keys)
        if waiting is None:
            if not have_keys:
                raise KeysUnavailable(f"no keys from {self.url} yet; the last fetch failed, retrying shortly")
            return None
        done, deadline = waiting
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise KeysUnavailable(f"the JWKS at {self.url} did not answer within {self.timeout}s")
        with self._lock:
            key = self._lookup(kid)
            fetched_ok = self._fetched_at >= now
        if key is None and not fetched_ok:
            # The kid may be a key the frontend rotated to, which we could not load: "cannot tell", not "invalid".
            raise KeysUnavailable(f"could not fetch the JWKS from {self.url}")
        return key


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
