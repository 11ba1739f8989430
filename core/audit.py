"""The audit log: who changed roles, money or personal data, when, and from what to what.

Entries are written in the same transaction as the change they describe, so a rolled-back change
leaves no entry; the database refuses to update or delete them.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from tenants.context import current_tenant_id


def record(
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
    cooperative_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    entry = AuditEntry(
        actor_id=actor_id,
        cooperative_id=cooperative_id if cooperative_id is not None else current_tenant_id(),
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def entries_for_cooperative(cooperative_id: int, limit: int = 200) -> list[AuditEntry]:
    """The newest entries about one cooperative (a named read of a platform table by cooperative)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.cooperative_id == cooperative_id)
        .order_by(AuditEntry.id.desc())
        .limit(min(limit, 1000))
    )
    return list(db.session.scalars(stmt))
