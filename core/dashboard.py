"""The figures on a cooperative's home page. Each module registers its own tiles (a label, a value
read through its service, where it links); a tile shows only to people whose roles grant its
permission, so a kasir and a pengawas each see what concerns them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.permissions import has_permission


@dataclass(frozen=True)
class Tile:
    label: Any
    permission: str
    value: Callable[[], Any]
    endpoint: str | None = None
    money: bool = False


TILES: list[Tile] = []


def tile(
    label: Any, permission: str, value: Callable[[], Any], *, endpoint: str | None = None, money: bool = False
) -> None:
    """Register a home-page figure; `value` runs inside the request, as the current tenant."""
    TILES.append(Tile(label, permission, value, endpoint, money))


@dataclass(frozen=True)
class ShownTile:
    label: Any
    value: Any
    endpoint: str | None
    money: bool


def visible_tiles() -> list[ShownTile]:
    return [ShownTile(t.label, t.value(), t.endpoint, t.money) for t in TILES if has_permission(t.permission)]
