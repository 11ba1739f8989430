"""Kophub order jobs, thin over the service: the scheduled release of unpaid orders."""

from __future__ import annotations

from marketplace.orders import service


def expire_unpaid_orders() -> str:
    """Cancel orders whose payment time ran out, releasing their stock (each under its tenant)."""
    return f"{service.expire_unpaid()} order(s) expired"
