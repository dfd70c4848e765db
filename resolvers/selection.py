"""What the client selected below the current field, as dotted paths ("edges.node.sessions")."""

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from schema.context import Info


def _walk(selections: Iterable[Any], prefix: str, paths: set[str]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            path = f"{prefix}{selection.name}"
            paths.add(path)
            _walk(selection.selections, path + ".", paths)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            _walk(selection.selections, prefix, paths)


def selected_paths(info: Info) -> set[str]:
    paths: set[str] = set()
    for field in info.selected_fields:
        _walk(field.selections, "", paths)
    return paths
