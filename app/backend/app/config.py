"""Settings, read only from environment variables (the chart and `.env` set them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_MODEL = "gpt-4.1-mini"


def sqlalchemy_url(url: str) -> str:
    """Map the plain `postgresql://` / `postgres://` URL the chart composes onto the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    jwks_url: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    cors_origins: list[str] = field(default_factory=list)
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = DEFAULT_MODEL
    log_level: str = "INFO"
    # Seconds a fetched key set is trusted; an unknown `kid` refetches sooner, at most once per `jwks_min_refresh`.
    jwks_cache_ttl: float = 300.0
    jwks_min_refresh: float = 10.0
    # Longest a request waits for the JWKS (the fetch is abandoned after it too).
    jwks_timeout: float = 5.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL", ""),
            jwks_url=env.get("JWKS_URL", ""),
            jwt_issuer=env.get("JWT_ISSUER", ""),
            jwt_audience=env.get("JWT_AUDIENCE", ""),
            cors_origins=_split(env.get("CORS_ORIGINS")),
            openai_api_key=env.get("OPENAI_API_KEY", ""),
            openai_base_url=env.get("OPENAI_BASE_URL", ""),
            openai_model=env.get("OPENAI_MODEL") or DEFAULT_MODEL,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            jwks_cache_ttl=float(env.get("JWKS_CACHE_TTL", "300")),
            jwks_min_refresh=float(env.get("JWKS_MIN_REFRESH", "10")),
            jwks_timeout=float(env.get("JWKS_TIMEOUT", "5")),
        )
