"""Property: after any sequence of receipts, gerai sales, Kophub reservations (released or
shipped), transfers and adjustments, every balance equals the sum of its moves, none is negative,
and Persediaan in the ledger equals the stock value. The second property adds a product kept by
lot: receipts into lots with expiry, sales first-expiry-first-out on later days, customer returns
and stock opname with sales during the count; lots then also add up to the balances."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from core.db import db
from core.errors import DomainError
from erp.inventory import lots, opname, service
from erp.inventory.models import Lot, MoveKind, StockBalance
from erp.inventory.returns import return_goods
from erp.inventory.service import InvalidTransition, OutOfStock
from erp.ledger import service as ledger
from tenants.context import tenant
from tests.conftest import make_cooperative, make_user
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


lot_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("receive"), product, where, st.integers(1, 40), st.integers(1, 900_000), st.integers(0, 3)
        ),
        st.tuples(st.just("sell"), product, where, st.integers(1, 30), st.integers(0, 45)),
        st.tuples(st.just("return"), product, where, st.integers(1, 10)),
        st.tuples(st.just("transfer"), product, where, st.integers(1, 30)),
        st.tuples(st.just("adjust"), product, where, st.integers(-20, 20).filter(bool), st.integers(0, 3)),
        st.tuples(
            st.just("opname"), where, st.lists(st.integers(-5, 5), min_size=1, max_size=6), st.integers(0, 10)
        ),
    ),
    max_size=25,
)


def _expiry(lot: int) -> date:
    return date.today() + timedelta(days=10 * (lot + 1))


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=lot_ops)
def test_lots_returns_and_opname_keep_lots_balances_and_persediaan_in_step(app, ops):
    shop = set_up_shop(make_cooperative(_unused_village()))
    counter, approver = make_user("Penghitung"), make_user("Penyetuju")
    today = date.today()
    with tenant(shop.coop.id):
        products = [
            service.add_product(code="P0", name="Beras", category="uji", unit="kg", price=20_000),
            service.add_product(
                code="P1", name="Susu", category="uji", unit="kotak", price=20_000, tracks_lots=True
            ),
        ]
        places = {"gerai": shop.gerai.id, "gudang": shop.gudang.id}
        sold: dict[tuple[int, int], list[tuple[int, int, str]]] = {}

        def sell(p: int, loc: int, q: int, day: date, key: str) -> None:
            balance = service.lock_balances([products[p].id], loc).get(products[p].id)
            if balance is None:
                return
            taken = service.take(
                balance, q, kind=MoveKind.SALE, on=day, description="uji", idempotency_key=key, user_id=None
            )
            if taken.cost:
                ledger.post(
                    ledger.NewEntry(
                        today,
                        "Penjualan uji",
                        "test",
                        None,
                        f"hpp-{key}",
                        [ledger.debit("5-1100", taken.cost), ledger.credit("1-1500", taken.cost)],
                    )
                )
            db.session.commit()
            sold.setdefault((p, loc), []).append((q, taken.cost, key))

        for n, op in enumerate(ops):
            try:
                if op[0] == "receive":
                    _, p, loc, q, cost, lot = op
                    extra = {"lot": f"L{lot}", "expires_on": _expiry(lot)} if p == 1 else {}
                    service.receive(products[p].id, places[loc], q, cost, idempotency_key=f"r{n}", **extra)
                elif op[0] == "sell":
                    _, p, loc, q, days = op
                    sell(p, places[loc], q, today + timedelta(days=days), f"s{n}")
                elif op[0] == "return":
                    _, p, loc, q = op
                    past = sold.get((p, places[loc]))
                    if not past:
                        continue
                    sold_q, sold_cost, sold_key = past.pop()
                    q = min(q, sold_q)
                    value = sold_cost * q // sold_q
                    return_goods(
                        products[p].id,
                        places[loc],
                        q,
                        value,
                        idempotency_key=f"ret{n}",
                        description="Retur uji",
                        sold_key=sold_key,
                    )
                    if value:
                        ledger.post(
                            ledger.NewEntry(
                                today,
                                "Retur uji",
                                "test",
                                None,
                                f"ret-{n}",
                                [ledger.debit("1-1500", value), ledger.credit("5-1100", value)],
                            )
                        )
                    db.session.commit()
                elif op[0] == "transfer":
                    _, p, loc, q = op
                    other = "gudang" if loc == "gerai" else "gerai"
                    service.transfer(products[p].id, places[loc], places[other], q, idempotency_key=f"t{n}")
                elif op[0] == "adjust":
                    _, p, loc, q, lot = op
                    extra = {"lot": f"L{lot}", "expires_on": _expiry(lot)} if p == 1 and q > 0 else {}
                    service.adjust(
                        products[p].id, places[loc], q, reason="uji", idempotency_key=f"a{n}", **extra
                    )
                elif op[0] == "opname":
                    _, loc, deltas, between = op
                    count = opname.start_count(places[loc], user_id=counter.id)
                    if between:  # the shop keeps selling while the shelf is counted
                        try:
                            sell(0, places[loc], between, today, f"os{n}")
                        except DomainError:
                            db.session.rollback()
                    rows, _ = opname.lines(count.id)
                    entered = {
                        r.line.id: max(0, r.line.expected + deltas[i % len(deltas)])
                        for i, r in enumerate(rows)
                    }
                    if not entered:
                        opname.cancel(count.id, user_id=counter.id)
                        continue
                    opname.record_counts(count.id, entered, user_id=counter.id)
                    opname.submit(count.id, user_id=counter.id)
                    try:
                        opname.approve(count.id, user_id=approver.id)
                    except DomainError:
                        db.session.rollback()
                        opname.cancel(count.id, user_id=counter.id)
            except DomainError:
                db.session.rollback()
        assert service.balances_match_moves()
        assert lots.lots_match_moves()
        balances = list(db.session.scalars(select(StockBalance)))
        assert all(b.quantity >= 0 and b.value >= 0 and 0 <= b.reserved <= b.quantity for b in balances)
        assert all(lot.quantity >= 0 for lot in db.session.scalars(select(Lot)))
        assert ledger.account_balance("1-1500", date.today()) == service.stock_value()
