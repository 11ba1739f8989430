"""Scheduled work of the registry: refresh the activity and region rollups (idempotent)."""

from __future__ import annotations

from tenants import rollups


def refresh_rollups() -> str:
    return rollups.refresh()
