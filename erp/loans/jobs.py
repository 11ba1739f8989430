"""Scheduled loan work, thin over `erp.loans.cob`: each night one outbox job per cooperative closes
the business days not yet closed, through yesterday. Safe to run again and at the same time: a
closed day is never worked twice and one run per cooperative works at a time."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.db import db
from core.jobs import enqueue
from erp.loans import cob
from tenants.context import tenant
from tenants.models import Cooperative


def schedule_close_of_business(today: date | None = None) -> int:
    """Queue close of business through yesterday for every cooperative (a named cross-tenant read
    of the registry); returns how many jobs were queued."""
    through = (today or date.today()) - timedelta(days=1)
    ids = list(db.session.scalars(select(Cooperative.id).order_by(Cooperative.id)))
    for tenant_id in ids:
        enqueue(
            "erp.loans.jobs.close_business",
            tenant_id=tenant_id,
            cooperative_id=tenant_id,
            through=through.isoformat(),
        )
    db.session.commit()
    return len(ids)


def close_business(cooperative_id: int, through: str) -> str:
    """Close one cooperative's loan books through `through` (ISO date)."""
    with tenant(cooperative_id):
        runs = cob.close_business(date.fromisoformat(through))
        if not runs:
            return "nothing to do or another run is working"
        return ", ".join(f"{r.business_date.isoformat()}:{r.status}:{r.loans_processed}" for r in runs)
