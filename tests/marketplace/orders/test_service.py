"""Checkout across cooperatives and the life of an order: stock reserved, released and shipped,
money in the books once, and refusals that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Forbidden
from core.models import Notification
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from marketplace.buyers.models import CartLine
from marketplace.orders import offers, service
from marketplace.orders.models import Checkout, CheckoutOrder, Order, OrderLine
from marketplace.payments import manual
from marketplace.payments.models import Payment
from tenants.context import tenant
from tests.marketplace.orders.conftest import make_seller


def _orders(record: Checkout) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id).where(
                CheckoutOrder.checkout_id == record.id
            )
        ).all()
    )


def test_a_cart_from_two_cooperatives_becomes_one_order_each_with_stock_reserved(sellers, shopper):
    a, b = sellers
    shopper.add(a, 120)  # the 100+ tier: Rp 14.000
    shopper.add(b, 5)
    record = shopper.checkout()
    pairs = _orders(record)
    assert set(pairs) == {a.coop_id, b.coop_id}
    assert record.total == 120 * 14_000 + 5 * 15_000
    with tenant(a.coop_id):
        order = db.session.get(Order, pairs[a.coop_id])
        assert order.status == "menunggu_pembayaran" and order.total == 1_680_000
        (line,) = db.session.scalars(select(OrderLine)).all()
        assert (line.quantity, line.unit_price, line.amount) == (120, 14_000, 1_680_000)
        assert inventory.available(a.product_id, a.gudang_id) == 80
        assert inventory.on_hand(a.product_id) == 200
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    with tenant(b.coop_id):
        assert inventory.available(b.product_id, b.gudang_id) == 195
        assert {o.tenant_id for o in db.session.scalars(select(Order))} == {b.coop_id}
    assert db.session.scalar(select(func.count()).select_from(CartLine)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) >= 2


def test_the_same_checkout_key_places_the_orders_once(sellers, shopper):
    a, _ = sellers
    shopper.add(a, 5)
    first = shopper.checkout(key="same-key-123")
    again = shopper.checkout(key="same-key-123")
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Checkout)) == 1


def test_more_than_the_stock_or_less_than_the_minimum_is_refused_and_writes_nothing(sellers, shopper):
    a, b = sellers
    shopper.add(b, 5)
    with pytest.raises(offers.QuantityRefused):
        shopper.add(a, 2)  # under the minimum of 5
    shopper.add(a, 200)
    with tenant(a.coop_id):  # the counter sells some meanwhile
        inventory.adjust(a.product_id, a.gudang_id, -10, reason="rusak", idempotency_key="rusak-1")
    with pytest.raises(offers.QuantityRefused):
        shopper.checkout()
    assert db.session.scalar(select(func.count()).select_from(Checkout)) == 0
    with tenant(b.coop_id):
        assert inventory.available(b.product_id, b.gudang_id) == 200
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(CartLine)) == 2


def test_cash_on_delivery_is_only_for_a_buyer_in_the_cooperatives_regency(sellers, shopper):
    a, b = sellers
    shopper.add(b, 5)  # Wonosobo, the buyer is in Bandung
    with pytest.raises(service.OrderRefused):
        shopper.checkout("cod")
    db.session.execute(CartLine.__table__.delete())
    db.session.commit()
    shopper.add(a, 5)
    record = shopper.checkout("cod")
    assert record.expires_at is None


def _pay_and_ship(seller, order_id: int) -> None:
    manual.confirm(order_id, user_id=seller.staff.id)
    service.start_processing(order_id, user_id=seller.staff.id)
    service.ship(order_id, courier="JNE", tracking_number="JNE123", user_id=seller.staff.id)


def test_paying_and_shipping_moves_stock_and_posts_revenue_hpp_and_the_fee_once(sellers, shopper, app):
    a, _ = sellers
    service.update_settings(fee_percent=service.Decimal("2.5"), payment_window_hours=24, user_id=a.staff.id)
    shopper.add(a, 10)
    record = shopper.checkout()
    order_id = _orders(record)[a.coop_id]
    with tenant(a.coop_id):
        _pay_and_ship(a, order_id)
        order = db.session.get(Order, order_id)
        assert order.status == "dikirim" and order.fee == 3_750  # 2,5 % of Rp 150.000
        assert inventory.on_hand(a.product_id) == 190
        assert inventory.available(a.product_id, a.gudang_id) == 190
        assert inventory.balances_match_moves()
        today = datetime.now(UTC).date()
        assert ledger.account_balance(service.SALES, today) == 150_000
        assert ledger.account_balance(service.ADVANCES, today) == 0
        assert ledger.account_balance(service.BANK, today) == 150_000
        assert ledger.account_balance(service.FEE_EXPENSE, today) == 3_750
        assert ledger.account_balance("5-1100", today) == 10 * 10_000  # HPP at cost
        entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
        with pytest.raises(service.InvalidTransition):
            service.ship(order_id, courier="JNE", tracking_number="X", user_id=a.staff.id)
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        service.mark_received(order_id, user_id=None)
        service.complete(order_id, user_id=a.staff.id)
        assert db.session.get(Order, order_id).status == "selesai"


def test_who_may_cancel_depends_on_the_state_and_cancelling_releases_and_refunds(sellers, shopper):
    a, _ = sellers
    shopper.add(a, 10)
    order_id = _orders(shopper.checkout())[a.coop_id]
    with tenant(a.coop_id):
        manual.confirm(order_id, user_id=a.staff.id)
        service.start_processing(order_id, user_id=a.staff.id)
        with pytest.raises(Forbidden):
            service.cancel(order_id, by="buyer", reason="berubah pikiran", user_id=shopper.user.id)
        service.cancel(order_id, by="cooperative", reason="beras basah", user_id=a.staff.id)
        assert inventory.available(a.product_id, a.gudang_id) == 200
        payment = db.session.scalar(select(Payment))
        assert (payment.status, payment.refunded) == ("dikembalikan", 150_000)
        today = datetime.now(UTC).date()
        assert ledger.account_balance(service.BANK, today) == 0
        assert ledger.account_balance(service.ADVANCES, today) == 0
        with pytest.raises(service.InvalidTransition):
            manual.confirm(order_id, user_id=a.staff.id)


def test_an_unpaid_order_lapses_after_the_payment_window_and_its_stock_returns(sellers, shopper):
    a, b = sellers
    shopper.add(a, 10)
    shopper.add(b, 10)
    record = shopper.checkout()
    pairs = _orders(record)
    with tenant(b.coop_id):
        manual.confirm(pairs[b.coop_id], user_id=b.staff.id)
    assert service.expire_unpaid(datetime.now(UTC) + timedelta(hours=1)) == 0
    assert service.expire_unpaid(datetime.now(UTC) + timedelta(hours=25)) == 1
    with tenant(a.coop_id):
        assert db.session.get(Order, pairs[a.coop_id]).status == "dibatalkan"
        assert inventory.available(a.product_id, a.gudang_id) == 200
    with tenant(b.coop_id):
        assert db.session.get(Order, pairs[b.coop_id]).status == "dibayar"
    assert db.session.get(Checkout, record.id).expires_at is None
    assert service.expire_unpaid(datetime.now(UTC) + timedelta(hours=50)) == 0


def test_cash_on_delivery_is_a_receivable_until_the_courier_brings_the_cash(app, shopper):
    a = make_seller("32.04.12.2003")
    shopper.add(a, 5)
    order_id = _orders(shopper.checkout("cod"))[a.coop_id]
    with tenant(a.coop_id):
        service.start_processing(order_id, user_id=a.staff.id)
        service.ship(order_id, courier="Kurir desa", tracking_number="KD-1", user_id=a.staff.id)
        today = datetime.now(UTC).date()
        assert ledger.account_balance("1-1130", today) == 75_000
        service.mark_received(order_id, user_id=a.staff.id)
        with pytest.raises(service.InvalidTransition):
            service.complete(order_id, user_id=a.staff.id)
        cash_before = ledger.account_balance(service.CASH, today)
        service.record_cash_on_delivery(order_id, user_id=a.staff.id)
        assert ledger.account_balance("1-1130", today) == 0
        assert ledger.account_balance(service.CASH, today) == cash_before + 75_000
        service.complete(order_id, user_id=a.staff.id)


def test_the_scheduler_runs_the_expiry_job_and_records_the_run(app):
    from core.jobs import run_scheduled
    from core.models import ScheduledRun
    from core.schedule import SCHEDULE

    entry = next(p for p in SCHEDULE if p.name == "kophub-unpaid-orders")
    assert run_scheduled(entry.name, entry.job) == "ok"
    run = db.session.scalar(select(ScheduledRun).where(ScheduledRun.name == entry.name))
    assert (run.status, run.detail) == ("ok", "0 order(s) expired")
