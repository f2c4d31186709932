"""The repository contract suites: units of work on a migrated database of each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from regflow.persistence.database import create_engine
from regflow.persistence.uow import SqlUnitOfWorkFactory


@pytest.fixture
async def uows(db_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(db_url)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()
