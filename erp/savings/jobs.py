"""Scheduled savings work, thin over `erp.savings.service`: on the first of each month, one outbox
job per cooperative credits last month's jasa on sukarela; each night, one credits the jasa of the
simpanan berjangka that matured. Idempotent: a month, or a maturity, is credited once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.db import db
from core.jobs import enqueue
from erp.savings import service
from tenants.context import tenant
from tenants.models import Cooperative


def schedule_monthly_interest(today: date | None = None) -> int:
    """Queue last month's interest for every cooperative (a named cross-tenant read of the
    registry); returns how many jobs were queued."""
    last_month = ((today or date.today()).replace(day=1) - timedelta(days=1)).replace(day=1)
    ids = list(db.session.scalars(select(Cooperative.id).order_by(Cooperative.id)))
    for tenant_id in ids:
        enqueue(
            "erp.savings.jobs.credit_interest",
            tenant_id=tenant_id,
            cooperative_id=tenant_id,
            year=last_month.year,
            month=last_month.month,
        )
    db.session.commit()
    return len(ids)


def schedule_maturities(today: date | None = None) -> int:
    """Queue today's maturing simpanan berjangka for every cooperative."""
    day = today or date.today()
    ids = list(db.session.scalars(select(Cooperative.id).order_by(Cooperative.id)))
    for tenant_id in ids:
        enqueue(
            "erp.savings.jobs.credit_matured",
            tenant_id=tenant_id,
            cooperative_id=tenant_id,
            on=day.isoformat(),
        )
    db.session.commit()
    return len(ids)


def credit_matured(cooperative_id: int, on: str) -> int:
    """Credit one cooperative's matured time deposits up to `on` (safe to run again)."""
    with tenant(cooperative_id):
        return service.credit_matured_deposits(date.fromisoformat(on))


def credit_interest(cooperative_id: int, year: int, month: int) -> int:
    """Credit one cooperative's interest for one month (safe to run again)."""
    with tenant(cooperative_id):
        return service.credit_monthly_interest(year, month)
