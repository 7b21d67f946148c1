"""`python -m app.migrate`: create the tables; safe to run any number of times, also from several pods at once."""

from __future__ import annotations

import logging
import sys

from sqlalchemy import text
from sqlmodel import SQLModel

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .config import Settings
from .db import DatabaseNotConfigured, make_engine
from .log import configure_logging

log = logging.getLogger("app.migrate")

# Any fixed number: concurrent migration Jobs (or a Job and a developer) wait for each other instead of racing.
_LOCK_ID = 7_305_112_001


def migrate(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            before = set(engine.dialect.get_table_names(conn))
            SQLModel.metadata.create_all(conn)
            after = set(engine.dialect.get_table_names(conn))
        return sorted(after - before)
    finally:
        engine.dispose()


def main() -> int:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    try:
        created = migrate(settings.database_url)
    except DatabaseNotConfigured as exc:
        log.error(str(exc))
        return 2
    except Exception as exc:  # the Job's log is all an operator sees: say what failed and what to check
        log.error(
            "migration failed: %s; check that DATABASE_URL points at a running PostgreSQL the user may write to",
            exc.__class__.__name__ + ": " + str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__,
        )
        return 1
    log.info("schema is up to date", extra={"created_tables": ",".join(created) or "none"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
