"""What PostgreSQL itself refuses, whatever the application does: changed or deleted postings,
unbalanced entries, rows pointing into another cooperative, other cooperatives' books."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import db
from erp.ledger import service
from erp.ledger.service import credit, debit
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.ledger.conftest import DAY, entry, install_books


@contextmanager
def as_app(engine: Engine, tenant_id: int) -> Iterator[Connection]:
    """A transaction as the application role for `tenant_id`; commits at the end."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text(f"SET LOCAL app.tenant_id = '{int(tenant_id)}'"))
        yield conn


def _posted(coop_id: int, key: str = "pokok-1", amount: int = 50_000) -> int:
    with tenant(coop_id):
        posted = service.post(entry(key, debit("1-1100", amount), credit("3-1000", amount)))
        db.session.commit()
        return posted.id


def _account_id(conn: Connection, code: str) -> int:
    return conn.execute(text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": code}).scalar_one()


def _insert_entry(conn: Connection, tenant_id: int, key: str) -> int:
    return conn.execute(
        text(
            "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, idempotency_key, "
            "payload_hash) VALUES (:t, :d, 'langsung', 'sql', :k, repeat('0', 64)) RETURNING id"
        ),
        {"t": tenant_id, "d": DAY, "k": key},
    ).scalar_one()


def _insert_line(conn: Connection, tenant_id: int, entry_id: int, account_id: int, dr: int, cr: int) -> None:
    conn.execute(
        text(
            "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) "
            "VALUES (:t, :e, :d, :a, :dr, :cr)"
        ),
        {"t": tenant_id, "e": entry_id, "d": DAY, "a": account_id, "dr": dr, "cr": cr},
    )


@pytest.fixture
def coop(app):
    coop = make_cooperative()
    install_books(coop)
    return coop


def test_the_app_role_cannot_update_or_delete_a_posted_journal_line(coop, app_engine):
    _posted(coop.id)
    for statement in (
        "UPDATE journal_lines SET debit = debit + 1 WHERE debit > 0",
        "UPDATE journal_lines SET memo = 'diubah'",
        "DELETE FROM journal_lines",
    ):
        with pytest.raises(DBAPIError, match="append-only"), as_app(app_engine, coop.id) as conn:
            conn.execute(text(statement))
    with as_app(app_engine, coop.id) as conn:
        assert conn.execute(text("SELECT sum(debit), sum(credit), count(*) FROM journal_lines")).one() == (
            50_000,
            50_000,
            2,
        )


def test_the_app_role_cannot_update_or_delete_a_posted_journal_entry(coop, app_engine):
    _posted(coop.id)
    for statement in ("UPDATE journal_entries SET description = 'diubah'", "DELETE FROM journal_entries"):
        with pytest.raises(DBAPIError, match="append-only"), as_app(app_engine, coop.id) as conn:
            conn.execute(text(statement))


def test_an_unbalanced_entry_inserted_straight_into_the_tables_is_refused_at_commit(coop, app_engine):
    with app_engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text(f"SET LOCAL app.tenant_id = '{coop.id}'"))
        entry_id = _insert_entry(conn, coop.id, "timpang")
        _insert_line(conn, coop.id, entry_id, _account_id(conn, "1-1100"), 100_000, 0)
        _insert_line(conn, coop.id, entry_id, _account_id(conn, "3-1000"), 0, 90_000)
        with pytest.raises(IntegrityError, match="does not balance"):
            transaction.commit()
    with as_app(app_engine, coop.id) as conn:
        assert conn.execute(text("SELECT count(*) FROM journal_entries")).scalar() == 0


@pytest.mark.parametrize("lines", [0, 1], ids=["no-lines", "one-line"])
def test_an_entry_with_fewer_than_two_lines_is_refused_at_commit(coop, app_engine, lines):
    with app_engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text(f"SET LOCAL app.tenant_id = '{coop.id}'"))
        entry_id = _insert_entry(conn, coop.id, "sepi")
        if lines:
            _insert_line(conn, coop.id, entry_id, _account_id(conn, "1-1100"), 1_000, 0)
        with pytest.raises(IntegrityError, match="does not balance"):
            transaction.commit()


def test_a_balanced_entry_inserted_straight_into_the_tables_is_accepted(coop, app_engine):
    with as_app(app_engine, coop.id) as conn:
        entry_id = _insert_entry(conn, coop.id, "seimbang")
        _insert_line(conn, coop.id, entry_id, _account_id(conn, "1-1100"), 70_000, 0)
        _insert_line(conn, coop.id, entry_id, _account_id(conn, "3-1000"), 0, 30_000)
        _insert_line(conn, coop.id, entry_id, _account_id(conn, "3-2000"), 0, 40_000)
    with tenant(coop.id):
        assert service.account_balance("1-1100", DAY) == 70_000


def test_a_line_on_both_sides_or_on_neither_is_refused_by_the_database(coop, app_engine):
    for dr, cr in ((1_000, 1_000), (0, 0), (-1_000, 0)):
        with pytest.raises(IntegrityError, match="ck_journal_lines"), as_app(app_engine, coop.id) as conn:
            entry_id = _insert_entry(conn, coop.id, f"sisi-{dr}-{cr}")
            _insert_line(conn, coop.id, entry_id, _account_id(conn, "1-1100"), dr, cr)


def test_a_line_dated_differently_from_its_entry_is_refused(coop, app_engine):
    with pytest.raises(IntegrityError, match="fk_journal_lines_tenant_id_entry_id_entry_date"):
        with as_app(app_engine, coop.id) as conn:
            entry_id = _insert_entry(conn, coop.id, "beda-tanggal")
            conn.execute(
                text(
                    "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) "
                    "VALUES (:t, :e, '2025-04-01', :a, 1000, 0)"
                ),
                {"t": coop.id, "e": entry_id, "a": _account_id(conn, "1-1100")},
            )


def test_an_entry_is_reversed_at_most_once_even_by_raw_sql(coop, app_engine):
    original = _posted(coop.id)
    with tenant(coop.id):
        service.reverse(original, "salah", "pokok-1:batal")
        db.session.commit()
    with pytest.raises(IntegrityError, match="uq_journal_entries_tenant_id_reverses_entry_id"):
        with as_app(app_engine, coop.id) as conn:
            conn.execute(
                text(
                    "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, "
                    "idempotency_key, payload_hash, reverses_entry_id) "
                    "VALUES (:t, :d, 'lagi', 'sql', 'lagi', repeat('0', 64), :r)"
                ),
                {"t": coop.id, "d": DAY, "r": original},
            )


def test_raw_sql_as_the_app_role_sees_only_its_own_cooperatives_books(app, coop, app_engine):
    other = make_cooperative()
    install_books(other)
    _posted(coop.id, amount=111_111)
    with as_app(app_engine, other.id) as conn:
        for table in ("journal_entries", "journal_lines"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
        assert conn.execute(text("SELECT count(DISTINCT tenant_id) FROM ledger_accounts")).scalar() == 1
    with as_app(app_engine, coop.id) as conn:
        assert conn.execute(text("SELECT sum(debit) FROM journal_lines")).scalar() == 111_111
    with app_engine.connect() as conn, conn.begin():  # no tenant at all: nothing
        assert conn.execute(text("SELECT count(*) FROM journal_lines")).scalar() == 0


def test_a_journal_line_pointing_to_another_cooperatives_account_is_refused_by_the_foreign_key(
    app, coop, owner_engine
):
    other = make_cooperative()
    install_books(other)
    entry_id = _posted(coop.id)
    # As the owner, which bypasses row-level security: only the composite key stands in the way.
    with owner_engine.connect() as conn:
        transaction = conn.begin()
        foreign_account = _own_account(conn, other.id)
        with pytest.raises(IntegrityError, match="fk_journal_lines_tenant_id_account_id_ledger_accounts"):
            with conn.begin_nested():
                _insert_line(conn, coop.id, entry_id, foreign_account, 1_000, 0)
        foreign_entry = _insert_entry(conn, other.id, "milik-b")
        with pytest.raises(IntegrityError, match="fk_journal_lines_tenant_id_entry_id_entry_date"):
            with conn.begin_nested():
                _insert_line(conn, coop.id, foreign_entry, _own_account(conn, coop.id), 1_000, 0)
        transaction.rollback()


def _own_account(conn: Connection, tenant_id: int) -> int:
    return conn.execute(
        text("SELECT id FROM ledger_accounts WHERE tenant_id = :t AND code = '1-1100'"), {"t": tenant_id}
    ).scalar_one()


def test_the_orm_cannot_post_a_line_on_another_cooperatives_account(app, coop):
    from erp.ledger.models import JournalLine, LedgerAccount

    other = make_cooperative()
    install_books(other)
    entry_id = _posted(coop.id)
    with tenant(other.id):
        foreign_account = db.session.scalar(text("SELECT id FROM ledger_accounts WHERE code = '1-1100'"))
    with tenant(coop.id):
        assert db.session.get(LedgerAccount, foreign_account) is None
        db.session.add(
            JournalLine(entry_id=entry_id, entry_date=DAY, account_id=foreign_account, debit=1_000, credit=0)
        )
        with pytest.raises(IntegrityError, match="fk_journal_lines_tenant_id_account_id"):
            db.session.flush()
        db.session.rollback()
