"""Liveness and readiness for the kubelet."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])
log = logging.getLogger("app.health")


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process serves requests. Never touches the database, so a database outage restarts nothing."""
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers. Until it does the pod gets no traffic."""
    try:
        request.app.state.database.ping()
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        log.warning("not ready: database unreachable", extra={"reason": reason})
        return JSONResponse({"status": "unavailable", "database": "unreachable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
