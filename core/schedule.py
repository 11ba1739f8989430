"""Periodic work, run by RQ's cron scheduler (`flask kopdes scheduler`); each run is recorded in
`scheduled_runs` by `core.jobs.run_scheduled`. Modules add their close-of-business work here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    job: str
    interval: int | None = None  # seconds
    cron: str | None = None  # crontab, in the server's time zone


SCHEDULE: list[Periodic] = [
    Periodic("outbox-sweep", "core.jobs.sweep_outbox", interval=15),
    Periodic("region-rollups", "tenants.jobs.refresh_rollups", interval=15 * 60),
    Periodic("savings-interest", "erp.savings.jobs.schedule_monthly_interest", cron="30 0 1 * *"),
    Periodic("savings-maturities", "erp.savings.jobs.schedule_maturities", cron="45 0 * * *"),
    Periodic("loans-close-of-business", "erp.loans.jobs.schedule_close_of_business", cron="15 1 * * *"),
    Periodic("kophub-unpaid-orders", "marketplace.orders.jobs.expire_unpaid_orders", interval=5 * 60),
]
