"""Books ready to post to: a cooperative with the standard chart installed, and a one-line way to
build entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from core.db import db
from erp.ledger import service
from erp.ledger.service import NewEntry, NewLine
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import make_cooperative

DAY = date(2025, 3, 15)


def entry(key: str, *lines: NewLine, on: date = DAY, description: str = "Setoran simpanan pokok") -> NewEntry:
    return NewEntry(
        entry_date=on,
        description=description,
        source_module="test",
        source_id=key,
        idempotency_key=key,
        lines=lines,
    )


def install_books(coop: Cooperative) -> None:
    with tenant(coop.id):
        service.install_chart_of_accounts()
        db.session.commit()


@pytest.fixture
def books(app) -> Iterator[Cooperative]:
    """A cooperative with the standard chart, active as the current tenant."""
    coop = make_cooperative()
    install_books(coop)
    with tenant(coop.id):
        yield coop
