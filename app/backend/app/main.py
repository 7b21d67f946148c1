"""ASGI entry: `uvicorn app.main:app` (the image runs it on $PORT)."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from .auth import TokenVerifier
from .config import Settings
from .db import Database, DatabaseNotConfigured
from .log import configure_logging
from .routes import chat, health, tasks

log = logging.getLogger("app")


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        agent = "openai-agents" if settings.openai_api_key else "deterministic"
        log.info("starting", extra={"agent": agent, "jwks_url": settings.jwks_url or "unset"})
        if not settings.database_url:
            log.error("DATABASE_URL is not set: /ready stays 503 until it is")
        if not settings.jwks_url:
            log.error("JWKS_URL is not set: every /api request fails with 503 until it is")
        if not (settings.jwt_issuer and settings.jwt_audience):
            log.warning("JWT_ISSUER or JWT_AUDIENCE is not set: that claim is not checked")
        yield
        # uvicorn stops accepting and drains in-flight requests on SIGTERM before this runs.
        database.dispose()
        log.info("stopped: database connections closed")

    app = FastAPI(title="Todo AI Chatbot API", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.verifier = TokenVerifier(settings)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse(
            status_code=422,
            content={
                "message": "invalid request: " + "; ".join(_describe(e) for e in errors),
                "detail": [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in errors],
            },
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DatabaseNotConfigured)
    async def database_down(_request: Request, exc: Exception) -> JSONResponse:
        # A database outage is temporary and not the caller's fault: 503 tells clients and proxies to retry.
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        log.error("database unavailable", extra={"reason": (str(reason).strip().splitlines() or ["?"])[0]})
        return JSONResponse(status_code=503, content={"detail": "the database is unavailable; try again shortly"})

    # Validation keeps bad values away from PostgreSQL; these catch what only the database can tell (a constraint
    # added by a later migration, a row deleted meanwhile). The caller gets a 4xx without the database's text,
    # which can quote the row; the log gets the SQLSTATE and constraint name, no values.
    def _db_error_fields(exc: DBAPIError) -> dict[str, str]:
        orig = exc.orig
        diag = getattr(orig, "diag", None)
        fields = {
            "error": orig.__class__.__name__ if orig is not None else exc.__class__.__name__,
            "sqlstate": getattr(orig, "sqlstate", None) or "",
            "table": getattr(diag, "table_name", None) or "",
            "column": getattr(diag, "column_name", None) or "",
            "constraint": getattr(diag, "constraint_name", None) or "",
        }
        return {k: v for k, v in fields.items() if v}

    @app.exception_handler(DataError)
    async def database_data_error(_request: Request, exc: DataError) -> JSONResponse:
        log.warning("database refused a value", extra=_db_error_fields(exc))
        msg = "a value is out of range, too long or malformed for the database"
        return JSONResponse(
            status_code=422,
            content={"message": f"invalid request: {msg}", "detail": [{"loc": [], "msg": msg, "type": "value_error"}]},
        )

    @app.exception_handler(IntegrityError)
    async def database_integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("database constraint violated", extra=_db_error_fields(exc))
        return JSONResponse(status_code=409, content={"detail": "the request conflicts with the stored data"})

    app.include_router(health.router)
    app.include_router(tasks.router)
    app.include_router(chat.router)
    return app


app = create_app()

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8000")), log_config=None)
