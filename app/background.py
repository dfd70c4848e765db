"""Background work inside an API process (the embedded webhook dispatcher)."""

import asyncio

from app.settings import Settings
from services.uow import Runtime


def start_background(settings: Settings, runtime: Runtime) -> list[asyncio.Task[None]]:
    """Tasks to run while the process serves; cancelled at shutdown."""
    return []
