"""Small helpers shared by the root resolvers."""

from collections.abc import Sequence
from typing import Any

from schema.context import Info
from services.errors import DomainError
from services.ids import decode_id, parse_global_id


def pk_or_none(value: str, type_name: str) -> int | None:
    """The key of a global ID for a lookup that answers null when it is not ours."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None


def decode(value: str, type_name: str, field: Sequence[str]) -> int:
    return decode_id(value, type_name, field)


async def load_one(info: Info, loader_name: str, pk: int | None) -> Any:
    if pk is None:
        return None
    return await getattr(info.context.loaders, loader_name).load(pk)


__all__ = ["DomainError", "decode", "load_one", "pk_or_none"]
