"""Deployment secrets that must be the same in every process: configured, or made once."""

import secrets

from sqlalchemy.exc import IntegrityError

from models import ServerSecret
from models.db import Database


async def get_or_create(database: Database, name: str) -> str:
    """The stored secret `name`, generated on first use (the first process to commit wins)."""
    async with database.reader() as db:
        row = await db.get(ServerSecret, name)
        if row is not None:
            return row.value
    try:
        async with database.writer() as db, db.begin():
            db.add(ServerSecret(name=name, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass  # another process made it first; read theirs
    async with database.reader() as db:
        row = await db.get(ServerSecret, name)
        assert row is not None
        return row.value
