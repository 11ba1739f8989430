"""Two kasir selling the last sack at the same moment: one sale, one clear refusal, nothing else."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import StockMove
from erp.ledger.models import JournalEntry
from erp.pos import service
from erp.pos.models import Sale, SaleLine
from erp.pos.service import CartLine, OutOfStock
from tenants.context import tenant
from tests.conftest import add_staff


def test_two_kasir_selling_the_last_sack_one_succeeds(shop, app):
    rice = shop.product(name="Beras SPHP karung 50 kg")
    oil = shop.product(name="MinyaKita", price=15_700)
    shop.receive(rice, 1, 600_000)
    shop.receive(oil, 10, 140_000)
    kasir = [add_staff(shop.coop, "kasir").id for _ in range(2)]
    counts_before = {
        m: db.session.scalar(select(func.count()).select_from(m))
        for m in (Sale, SaleLine, StockMove, JournalEntry)
    }
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sell(n: int) -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                # opposite line order: the service still locks in product-id order, so no deadlock
                lines = [CartLine(oil.id, 1), CartLine(rice.id, 1)]
                service.checkout(
                    lines if n else list(reversed(lines)),
                    location_id=shop.gerai.id,
                    payment_method="tunai",
                    idempotency_key=f"race-{n}",
                    kasir_id=kasir[n],
                )
                result = "ok"
            except OutOfStock as err:
                result = "refused" if "tidak cukup" in str(err.message) else repr(err)
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
    assert sorted(outcomes) == ["ok", "refused"]
    after = {
        m: db.session.scalar(select(func.count()).select_from(m))
        for m in (Sale, SaleLine, StockMove, JournalEntry)
    }
    assert after[Sale] == counts_before[Sale] + 1
    assert after[SaleLine] == counts_before[SaleLine] + 2
    assert after[StockMove] == counts_before[StockMove] + 2
    assert after[JournalEntry] == counts_before[JournalEntry] + 1
    assert inventory.on_hand(rice.id) == 0 and inventory.on_hand(oil.id) == 9
    assert inventory.balances_match_moves()
