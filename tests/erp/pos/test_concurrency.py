"""Races at the counter, with real threads on the real database: two kasir selling the last sack
(one sale, one clear refusal, nothing else), and two kasir putting the same member's last kasbon
room on credit at once (one sale, one refusal)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import StockMove
from erp.ledger.models import JournalEntry
from erp.pos import service
from erp.pos.models import Payment, Sale, SaleLine
from erp.pos.service import CartLine, CreditLimitExceeded, OutOfStock, Tender
from tenants.context import tenant
from tests.conftest import add_staff
from tests.erp.membership.factories import make_member


def _race(app, shop, sell_one) -> list[str]:
    kasir = [add_staff(shop.coop, "kasir").id for _ in range(2)]
    for k in kasir:
        service.open_shift(kasir_id=k, location_id=shop.gerai.id, opening_float=0)
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sell(n: int) -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                sell_one(n, kasir[n])
                result = "ok"
            except (OutOfStock, CreditLimitExceeded) as err:
                result = (
                    "refused"
                    if ("tidak cukup" in str(err.message) or "batas" in str(err.message))
                    else repr(err)
                )
            except Exception as err:
                db.session.rollback()
                result = repr(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=sell, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def _counts() -> dict:
    return {
        m: db.session.scalar(select(func.count()).select_from(m))
        for m in (Sale, SaleLine, Payment, StockMove, JournalEntry)
    }


def test_two_kasir_selling_the_last_sack_one_succeeds(shop, app):
    rice = shop.product(name="Beras SPHP karung 50 kg")
    oil = shop.product(name="MinyaKita", price=15_700)
    shop.receive(rice, 1, 600_000)
    shop.receive(oil, 10, 140_000)
    before = _counts()

    def sell_one(n: int, kasir_id: int) -> None:
        # opposite line order: the service still locks in product-id order, so no deadlock
        lines = [CartLine(oil.id, 1), CartLine(rice.id, 1)]
        service.checkout(
            lines if n else list(reversed(lines)),
            location_id=shop.gerai.id,
            payment_method="tunai",
            idempotency_key=f"race-{n}",
            kasir_id=kasir_id,
        )

    assert _race(app, shop, sell_one) == ["ok", "refused"]
    after = _counts()
    assert after[Sale] == before[Sale] + 1
    assert after[SaleLine] == before[SaleLine] + 2
    assert after[Payment] == before[Payment] + 1
    assert after[StockMove] == before[StockMove] + 2
    assert after[JournalEntry] == before[JournalEntry] + 1
    assert inventory.on_hand(rice.id) == 0 and inventory.on_hand(oil.id) == 9
    assert inventory.balances_match_moves()


def test_two_kasir_using_a_members_last_kasbon_room_one_succeeds(shop, app):
    rice = shop.product(price=13_000)
    shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=20_000, receipt_width=80)
    before = _counts()

    def sell_one(n: int, kasir_id: int) -> None:
        service.checkout(
            [CartLine(rice.id, 1)],
            location_id=shop.gerai.id,
            payments=[Tender("kredit", 13_000)],
            member_number=member.member_number,
            idempotency_key=f"kasbon-race-{n}",
            kasir_id=kasir_id,
        )

    assert _race(app, shop, sell_one) == ["ok", "refused"]
    assert _counts()[Sale] == before[Sale] + 1
    assert service.credit_status(member.member_number).balance == 13_000
    assert inventory.on_hand(rice.id) == 9
