"""Benchmark: a Kophub checkout across two cooperatives.

Ours: `marketplace.orders.service.checkout` for a cart with one listing of each of two cooperatives
(listings read through their service, tier price, availability, one order per cooperative under
its tenant with lines, a stock reservation under the balance's row lock, a payment row, history,
notifications to buyer and cooperative, the buyer's checkout record with its (cooperative, order)
pairs, the cart emptied, an audit entry; one transaction, as the application role under forced
RLS). Baseline: the same writes and the same reads in hand-written SQL on the same kind of
connection (app role, `set_config` per cooperative, balance locked `FOR UPDATE`), ids known in
advance. Rounds interleaved; prints mean and p95 per checkout for both and their ratios.

    .venv/bin/python bench/checkout_market.py [checkouts]   (default 200; KOPDES_BENCH_FULL=1: 2000)

Runs on its own fresh database (`kopdes_bench_kophub`) on the embedded PostgreSQL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import LocationKind
from erp.ledger import service as ledger
from marketplace.buyers import service as buyers
from marketplace.listings import service as listings
from marketplace.listings.service import ListingInput
from marketplace.orders import service
from tenants.context import tenant
from tenants.regions import import_regions

from common import fresh_database, make_app, p95

BENCH_DB = "kopdes_bench_kophub"
FULL = bool(os.environ.get("KOPDES_BENCH_FULL"))
CHECKOUTS = int(sys.argv[1]) if len(sys.argv) > 1 else (2_000 if FULL else 200)
ROUNDS = 10
QUANTITY = 2


def seller(owner: Engine, village: str, stock: int) -> tuple[int, int, int, int]:
    """A cooperative with books, a gudang, a product in stock and its listing: (coop, product,
    location, listing)."""
    with owner.begin() as conn:
        coop_id = conn.execute(
            text("INSERT INTO cooperatives (slug, name, village_code) VALUES (:s, :n, :v) RETURNING id"),
            {"s": f"bench-{village.replace('.', '-')}", "n": f"Koperasi {village}", "v": village},
        ).scalar_one()
    with tenant(coop_id):
        ledger.install_chart_of_accounts()
        db.session.commit()
        gudang = inventory.add_location("GUDANG", "Gudang", LocationKind.GUDANG)
        product = inventory.add_product(
            code="BRS-1", name="Beras premium", category="beras", unit="kg", price=15_000
        )
        inventory.receive(product.id, gudang.id, stock, stock * 10_000, idempotency_key="bench-stock")
        listing = listings.publish(
            ListingInput(
                product_id=product.id,
                location_id=gudang.id,
                title="Beras premium",
                description="Beras premium desa.",
                category="beras",
                price=15_000,
                min_order=1,
                tiers=((100, 14_000),),
            )
        )
        db.session.commit()
        return coop_id, product.id, gudang.id, listing.id


def fill_cart(conn: Connection, buyer_id: int, sellers: list[tuple[int, int, int, int]]) -> None:
    conn.execute(
        text(
            "INSERT INTO marketplace_cart_lines (buyer_id, cooperative_id, listing_id, quantity)"
            " VALUES (:b, :c, :l, :q)"
        ),
        [{"b": buyer_id, "c": c, "l": listing, "q": QUANTITY} for c, _, _, listing in sellers],
    )


PLAIN_PRICE = (
    "SELECT l.price, l.min_order, l.title, l.unit, l.product_id, l.location_id,"
    " (SELECT t.price FROM marketplace_listing_tiers t WHERE t.listing_id = l.id AND t.min_quantity <= :q"
    "  ORDER BY t.min_quantity DESC LIMIT 1)"
    " FROM marketplace_listings l WHERE l.id = :l AND l.status = 'tayang'"
)


def plain_checkout(
    conn: Connection, n: int, buyer_id: int, user_id: int, address: dict[str, Any], sellers: list[Any]
) -> None:
    """The same checkout in hand-written SQL: reads, locks and writes of ours, nothing else."""
    lines = conn.execute(
        text(
            "SELECT id, cooperative_id, listing_id, quantity FROM marketplace_cart_lines"
            " WHERE buyer_id = :b ORDER BY cooperative_id"
        ),
        {"b": buyer_id},
    ).all()
    priced = []
    for _line_id, coop_id, listing_id, quantity in lines:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_id)})
        price, _min, title, unit, product_id, location_id, tier = conn.execute(
            text(PLAIN_PRICE), {"l": listing_id, "q": quantity}
        ).one()
        priced.append((coop_id, listing_id, product_id, location_id, title, unit, quantity, tier or price))
    total = sum(q * p for *_, q, p in priced)
    checkout_id = conn.execute(
        text(
            "INSERT INTO marketplace_checkouts (buyer_id, idempotency_key, payment_method, total, expires_at)"
            " VALUES (:b, :k, 'transfer', :t, now() + interval '24 hours') RETURNING id"
        ),
        {"b": buyer_id, "k": f"plain-{n:08d}", "t": total},
    ).scalar_one()
    pairs = []
    for coop_id, listing_id, product_id, location_id, title, unit, quantity, price in priced:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_id)})
        order_id = conn.execute(text("SELECT nextval('marketplace_orders_id_seq')")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO marketplace_orders (id, tenant_id, number, checkout_id, buyer_id, status,"
                " payment_method, total, fee, buyer_name, recipient, phone, street, village_code, expires_at)"
                " VALUES (:id, :t, :num, :c, :b, 'menunggu_pembayaran', 'transfer', :total, 0, :name, :name,"
                " :phone, :street, :village, now() + interval '24 hours')"
            ),
            {
                "id": order_id,
                "t": coop_id,
                "num": f"KH-{order_id:06d}",
                "c": checkout_id,
                "b": buyer_id,
                "total": quantity * price,
                **address,
            },
        )
        balance = conn.execute(
            text(
                "SELECT id, quantity - reserved FROM inventory_balances"
                " WHERE product_id = :p AND location_id = :l FOR UPDATE"
            ),
            {"p": product_id, "l": location_id},
        ).one()
        if balance[1] < quantity:
            raise RuntimeError("out of stock in the baseline")
        conn.execute(
            text("UPDATE inventory_balances SET reserved = reserved + :q WHERE id = :id"),
            {"q": quantity, "id": balance[0]},
        )
        key = f"kophub-plain:{order_id}:1"
        conn.execute(
            text(
                "INSERT INTO inventory_reservations"
                " (tenant_id, product_id, location_id, quantity, status, idempotency_key)"
                " VALUES (:t, :p, :l, :q, 'active', :k)"
            ),
            {"t": coop_id, "p": product_id, "l": location_id, "q": quantity, "k": key},
        )
        conn.execute(
            text(
                "INSERT INTO marketplace_order_lines (tenant_id, order_id, listing_id, product_id,"
                " location_id, title, unit, quantity, unit_price, amount, reservation_key)"
                " VALUES (:t, :o, :li, :p, :l, :title, :unit, :q, :price, :amount, :k)"
            ),
            {
                "t": coop_id,
                "o": order_id,
                "li": listing_id,
                "p": product_id,
                "l": location_id,
                "title": title,
                "unit": unit,
                "q": quantity,
                "price": price,
                "amount": quantity * price,
                "k": key,
            },
        )
        conn.execute(
            text(
                "INSERT INTO marketplace_payments"
                " (tenant_id, order_id, provider, method, amount, status, refunded)"
                " VALUES (:t, :o, 'manual', 'transfer', :a, 'menunggu', 0)"
            ),
            {"t": coop_id, "o": order_id, "a": quantity * price},
        )
        conn.execute(
            text(
                "INSERT INTO marketplace_order_events (tenant_id, order_id, status, actor_id)"
                " VALUES (:t, :o, 'menunggu_pembayaran', :u)"
            ),
            {"t": coop_id, "o": order_id, "u": user_id},
        )
        conn.execute(
            text(
                "INSERT INTO notifications (channel, recipient, subject, body)"
                " VALUES ('email', 'b@x.id', 's', 'b'), ('email', 'k@x.id', 's', 'b')"
            )
        )
        pairs.append((coop_id, order_id))
    conn.execute(text("SELECT set_config('app.tenant_id', '', true)"))
    conn.execute(
        text(
            "INSERT INTO marketplace_checkout_orders (checkout_id, cooperative_id, order_id)"
            " VALUES (:c, :t, :o)"
        ),
        [{"c": checkout_id, "t": t, "o": o} for t, o in pairs],
    )
    conn.execute(text("DELETE FROM marketplace_cart_lines WHERE buyer_id = :b"), {"b": buyer_id})
    conn.execute(
        text(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id)"
            " VALUES (:u, 'marketplace.checkout', 'marketplace_checkout', :c)"
        ),
        {"u": user_id, "c": str(checkout_id)},
    )


def main() -> None:
    app_url, owner_url = fresh_database(BENCH_DB)
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        import_regions(conn)
    app = make_app(app_url, owner_url)
    stock = CHECKOUTS * QUANTITY * 2 + 100
    with app.app_context():
        sellers = [seller(owner, "32.04.12.2003", stock), seller(owner, "33.07.07.1006", stock)]
        user = buyers.register_buyer(
            name="Pembeli Bench",
            email="bench@kophub.id",
            phone=None,
            password="bench-password-123",
            kind="perorangan",
        )
        buyer = buyers.buyer_of(user.id)
        assert buyer is not None
        address = buyers.add_address(
            buyer,
            label="Rumah",
            recipient="Pembeli",
            phone="+6281234567890",
            street="Jl. 1",
            village_code="32.04.12.2004",
        )
        buyer_id, user_id, address_id = buyer.id, user.id, address.id
        plain_address = {
            "name": "Pembeli",
            "phone": "+6281234567890",
            "street": "Jl. 1",
            "village": "32.04.12.2004",
        }
        app_engine = create_engine(app_url)
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        per_checkout: list[int] = []
        ours: list[float] = []
        plain: list[float] = []
        per_round = max(1, CHECKOUTS // ROUNDS)
        n = 0
        for _ in range(ROUNDS):
            for _ in range(per_round):
                n += 1
                with owner.begin() as conn:
                    fill_cart(conn, buyer_id, sellers)
                db.session.expire_all()
                before = len(statements)
                started = time.perf_counter()
                service.checkout(
                    buyer, address_id=address_id, payment_method="transfer", idempotency_key=f"ours-{n:08d}"
                )
                ours.append(time.perf_counter() - started)
                per_checkout.append(len(statements) - before)
            for _ in range(per_round):
                n += 1
                with owner.begin() as conn:
                    fill_cart(conn, buyer_id, sellers)
                started = time.perf_counter()
                with app_engine.begin() as conn:
                    plain_checkout(conn, n, buyer_id, user_id, plain_address, sellers)
                plain.append(time.perf_counter() - started)
        with owner.connect() as conn:
            orders = conn.execute(text("SELECT count(*) FROM marketplace_orders")).scalar_one()
            left = conn.execute(text("SELECT count(*) FROM marketplace_cart_lines")).scalar_one()
        assert orders == 2 * (len(ours) + len(plain)) and left == 0, (orders, left)
    mean_ours, mean_plain = statistics.mean(ours), statistics.mean(plain)
    print(f"checkout_market checkouts={len(ours)}+{len(plain)} cooperatives=2")
    print(f"checkout_market statements per checkout ours={statistics.median(per_checkout):.0f}")
    for figure, a, b in (("mean", mean_ours, mean_plain), ("p95", p95(ours), p95(plain))):
        print(f"checkout_market {figure} ours={a * 1000:.2f} ms plain={b * 1000:.2f} ms ratio={a / b:.2f}")
    owner.dispose()


if __name__ == "__main__":
    main()
