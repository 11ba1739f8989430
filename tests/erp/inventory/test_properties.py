"""Property: after any sequence of receipts, gerai sales, Kophub reservations (released or
shipped), transfers and adjustments, every balance equals the sum of its moves, none is negative,
and Persediaan in the ledger equals the stock value."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from core.db import db
from erp.inventory import service
from erp.inventory.models import MoveKind, StockBalance
from erp.inventory.service import InvalidTransition, OutOfStock
from erp.ledger import service as ledger
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.inventory.conftest import set_up_shop

_villages: list[str] = []


def _unused_village() -> str:
    if not _villages:
        _villages.extend(
            db.session.scalars(
                text(
                    "SELECT code FROM regions WHERE level = 4 AND code LIKE '33.%' ORDER BY code DESC LIMIT 500"
                )
            )
        )
    return _villages.pop()


where = st.sampled_from(["gerai", "gudang"])
product = st.integers(0, 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), product, where, st.integers(1, 40), st.integers(1, 900_000)),
        st.tuples(st.just("sell"), product, where, st.integers(1, 30)),
        st.tuples(st.just("transfer"), product, where, st.integers(1, 30)),
        st.tuples(st.just("adjust"), product, where, st.integers(-20, 20).filter(bool)),
        st.tuples(st.just("reserve"), product, where, st.integers(1, 20)),
        st.tuples(st.just("release"), st.integers(0, 9)),
        st.tuples(st.just("fulfil"), st.integers(0, 9)),
    ),
    max_size=25,
)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_keeps_balances_equal_to_moves_and_persediaan_equal_to_stock_value(app, ops):
    shop = set_up_shop(make_cooperative(_unused_village()))
    with tenant(shop.coop.id):
        products = [
            service.add_product(code=f"P{i}", name=f"Barang {i}", category="uji", unit="kg", price=20_000)
            for i in range(2)
        ]
        places = {"gerai": shop.gerai.id, "gudang": shop.gudang.id}
        reservations: list[int] = []
        for n, op in enumerate(ops):
            try:
                if op[0] == "receive":
                    _, p, loc, q, cost = op
                    service.receive(
                        products[p].id, places[loc], q, cost, idempotency_key=f"r{n}", on_credit=n % 2 == 0
                    )
                elif op[0] == "sell":
                    _, p, loc, q = op
                    balance = service.lock_balances([products[p].id], places[loc]).get(products[p].id)
                    if balance is None:
                        continue
                    cost = service.cost_of(balance, q)
                    entry = (
                        ledger.post(
                            ledger.NewEntry(
                                date.today(),
                                "Penjualan uji",
                                "test",
                                None,
                                f"sale{n}",
                                [ledger.debit("5-1100", cost), ledger.credit("1-1500", cost)],
                            )
                        )
                        if cost
                        else None
                    )
                    service.take(
                        balance,
                        q,
                        kind=MoveKind.SALE,
                        on=date.today(),
                        description="uji",
                        idempotency_key=f"s{n}",
                        user_id=None,
                        journal_entry_id=entry.id if entry else None,
                    )
                    db.session.commit()
                elif op[0] == "transfer":
                    _, p, loc, q = op
                    other = "gudang" if loc == "gerai" else "gerai"
                    service.transfer(products[p].id, places[loc], places[other], q, idempotency_key=f"t{n}")
                elif op[0] == "adjust":
                    _, p, loc, q = op
                    service.adjust(products[p].id, places[loc], q, reason="uji", idempotency_key=f"a{n}")
                elif op[0] == "reserve":
                    _, p, loc, q = op
                    reservations.append(service.reserve(products[p].id, places[loc], q, key=f"o{n}"))
                    db.session.commit()
                elif op[0] in ("release", "fulfil") and reservations:
                    rid = reservations[op[1] % len(reservations)]
                    (service.release if op[0] == "release" else service.fulfil)(rid)
                    db.session.commit()
            except (OutOfStock, InvalidTransition):
                db.session.rollback()
        assert service.balances_match_moves()
        balances = list(db.session.scalars(select(StockBalance)))
        assert all(b.quantity >= 0 and b.value >= 0 and 0 <= b.reserved <= b.quantity for b in balances)
        assert ledger.account_balance("1-1500", date.today()) == service.stock_value()
