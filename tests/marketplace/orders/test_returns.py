"""Returns after delivery: a buyer returns some units of some lines within the window; the
cooperative accepts (goods back to stock at the cost they left at, or written off) or refuses; the
money goes back in part — by a recorded transfer, or a Stripe partial refund applied once by its
webhook — and the books reverse revenue, fee and HPP in proportion, exact to the rupiah."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import stripe
from PIL import Image
from sqlalchemy import func, select

from core.db import db
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from marketplace.orders import returns
from marketplace.orders import service as orders
from marketplace.orders.models import CheckoutOrder, OrderLine, OrderReturn
from marketplace.payments import payouts, stripe_adapter
from marketplace.payments.models import Payment
from tenants.context import tenant
from tests.conftest import grant_platform_role, make_user
from tests.marketplace.orders.conftest import Seller, make_seller, make_shopper
from tests.marketplace.payments.test_payouts import LATER, card_order, piutang, with_bank
from tests.marketplace.payments.test_stripe import SECRET, stripe_app  # noqa: F401

TOMORROW = date.today() + timedelta(days=1)


def balance(seller: Seller, code: str) -> int:
    with tenant(seller.coop_id):
        value = ledger.account_balance(code, TOMORROW)
        db.session.commit()
        return value


@pytest.fixture
def admin(app):
    user = make_user("Admin Kophub", email="admin.retur@example.id")
    grant_platform_role(user, "platform_admin")
    return user


def set_fee(admin, percent: str) -> None:
    orders.update_settings(
        fee_percent=Decimal(percent), payment_window_hours=24, payout_hold_days=7, user_id=admin.id
    )


def delivered_by_transfer(seller: Seller, quantity: int):
    """A transfer order of `quantity` kg, paid, shipped and received; (shopper, order id, line)."""
    from marketplace.payments import manual

    shopper = make_shopper()
    shopper.add(seller, quantity)
    record = shopper.checkout("transfer")
    order_id = int(
        db.session.scalar(select(CheckoutOrder.order_id).where(CheckoutOrder.checkout_id == record.id))
    )
    with tenant(seller.coop_id):
        manual.confirm(order_id, user_id=seller.staff.id)
        orders.start_processing(order_id, user_id=seller.staff.id)
        orders.ship(order_id, courier="JNE", tracking_number="JN1", user_id=seller.staff.id)
        orders.mark_received(order_id, user_id=shopper.user.id)
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        db.session.commit()
    return shopper, order_id, line


def count_returns(seller: Seller) -> int:
    with tenant(seller.coop_id):
        n = db.session.scalar(select(func.count()).select_from(OrderReturn))
        db.session.commit()
        return int(n or 0)


def test_a_partial_return_by_transfer_puts_goods_back_and_reverses_the_books_in_proportion(app, admin):
    set_fee(admin, "2.5")
    seller = make_seller("32.04.12.2003")
    shopper, order_id, line = delivered_by_transfer(seller, 10)  # 150.000; fee 3.750; cost 100.000
    with tenant(seller.coop_id):
        on_hand = inventory.on_hand(seller.product_id, seller.gudang_id)
        asked = returns.request_return(order_id, {line.id: 3}, "Karung sobek", user_id=shopper.user.id)
        assert asked.amount == 45_000 and asked.status == "diajukan"
        with pytest.raises(orders.InvalidTransition):
            orders.complete(order_id, user_id=seller.staff.id)  # a return waits for its decision
        done = returns.accept(order_id, asked.id, disposition="stok", user_id=seller.staff.id)
        assert (done.status, done.fee_back, done.cost_back) == ("disetujui", 1_125, 30_000)
        assert inventory.on_hand(seller.product_id, seller.gudang_id) == on_hand + 3
        assert inventory.stock_value() == ledger.account_balance(inventory.INVENTORY, TOMORROW)
        with pytest.raises(returns.ReturnRefused):
            returns.record_refund(order_id, asked.id, reference=" ", user_id=seller.staff.id)
        returns.record_refund(order_id, asked.id, reference="BRI 99812", user_id=seller.staff.id)
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert (payment.refunded, payment.status) == (45_000, "lunas")
        db.session.commit()
    assert balance(seller, orders.SALES) == 105_000
    assert balance(seller, orders.ADVANCES) == 0
    assert balance(seller, orders.FEE_EXPENSE) == 2_625
    assert balance(seller, orders.PAYABLE) == 2_625
    assert balance(seller, inventory.COST_OF_SALES) == 70_000
    assert balance(seller, orders.BANK) == 150_000 - 45_000
    with tenant(seller.coop_id), pytest.raises(orders.InvalidTransition):
        returns.record_refund(order_id, asked.id, reference="lagi", user_id=seller.staff.id)


def test_two_returns_never_exceed_what_was_bought_and_their_parts_add_up_exactly(app, admin):
    set_fee(admin, "3.33")
    seller = make_seller("32.04.12.2003")
    with tenant(seller.coop_id):  # an odd moving-average cost: 201 units worth 2.000.007
        inventory.receive(seller.product_id, seller.gudang_id, 1, 7, idempotency_key="odd-cost-1")
    shopper, order_id, line = delivered_by_transfer(seller, 7)  # 105.000; fee 3.497 (3.496,5 up)
    with tenant(seller.coop_id):
        order = db.session.get(orders.Order, order_id)
        assert order.fee == 3_497
        line_cost = inventory.fulfil(line.reservation_key).cost
        first = returns.request_return(order_id, {line.id: 3}, "Basah", user_id=shopper.user.id)
        with pytest.raises(returns.ReturnRefused, match="paling banyak 4"):
            returns.request_return(order_id, {line.id: 5}, "Lagi", user_id=shopper.user.id)
        returns.accept(order_id, first.id, disposition="stok", user_id=seller.staff.id)
        second = returns.request_return(order_id, {line.id: 4}, "Sisanya berkutu", user_id=shopper.user.id)
        with pytest.raises(returns.ReturnRefused, match="paling banyak 0"):
            returns.request_return(order_id, {line.id: 1}, "Satu lagi", user_id=shopper.user.id)
        returns.accept(order_id, second.id, disposition="hapus", user_id=seller.staff.id)
        assert first.fee_back == 1_499 and first.fee_back + second.fee_back == 3_497
        assert sum(line.cost_back for v in returns.returns_of(order_id) for line, _ in v.lines) == line_cost
        assert second.cost_back == 0  # written off: its cost stays an expense
        db.session.commit()
    assert balance(seller, orders.SALES) == 0
    assert balance(seller, orders.FEE_EXPENSE) == 0
    assert balance(seller, orders.ADVANCES) == 105_000  # owed back to the buyer until transferred


def test_a_refused_return_frees_its_units_and_moves_nothing(app, admin):
    seller = make_seller("32.04.12.2003")
    shopper, order_id, line = delivered_by_transfer(seller, 10)
    with tenant(seller.coop_id):
        asked = returns.request_return(order_id, {line.id: 10}, "Tidak sesuai", user_id=shopper.user.id)
        with pytest.raises(returns.ReturnRefused):
            returns.refuse(order_id, asked.id, "", user_id=seller.staff.id)
        returns.refuse(order_id, asked.id, "Foto menunjukkan barang baik", user_id=seller.staff.id)
        with pytest.raises(orders.InvalidTransition):
            returns.accept(order_id, asked.id, disposition="stok", user_id=seller.staff.id)
        again = returns.request_return(order_id, {line.id: 10}, "Coba lagi", user_id=shopper.user.id)
        assert again.amount == 150_000
        db.session.commit()
    assert balance(seller, orders.SALES) == 150_000


def test_bad_input_is_refused_and_writes_nothing(app, admin):
    seller = make_seller("32.04.12.2003")
    shopper, order_id, line = delivered_by_transfer(seller, 10)
    later = datetime.now(UTC) + timedelta(days=8)
    cases = [
        ({line.id: 0}, "Rusak", None, None),
        ({line.id: -2}, "Rusak", None, None),
        ({line.id + 999: 1}, "Rusak", None, None),
        ({line.id: 11}, "Rusak", None, None),
        ({line.id: 1}, "   ", None, None),
        ({line.id: 1}, "Rusak", None, later),  # the window closed
        ({line.id: 1}, "Rusak", io.BytesIO(b"%PDF-1.4 not a photo"), None),
        ({line.id: 1}, "Rusak", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), None),  # not whole
    ]
    with tenant(seller.coop_id):
        for quantities, reason, photo, now in cases:
            with pytest.raises(returns.ReturnRefused):
                returns.request_return(order_id, quantities, reason, photo, user_id=shopper.user.id, now=now)
        asked = returns.request_return(order_id, {line.id: 1}, "Rusak", user_id=shopper.user.id)
        with pytest.raises(returns.ReturnRefused):
            returns.accept(order_id, asked.id, disposition="buang", user_id=seller.staff.id)
        db.session.commit()
    assert count_returns(seller) == 1
    assert balance(seller, orders.SALES) == 150_000


def test_a_return_cannot_be_asked_before_delivery(app):
    seller = make_seller("32.04.12.2003")
    shopper = make_shopper()
    shopper.add(seller, 5)
    record = shopper.checkout("transfer")
    order_id = int(
        db.session.scalar(select(CheckoutOrder.order_id).where(CheckoutOrder.checkout_id == record.id))
    )
    with tenant(seller.coop_id):
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        with pytest.raises(returns.ReturnRefused):
            returns.request_return(order_id, {line.id: 1}, "Belum datang", user_id=shopper.user.id)
        db.session.commit()
    assert count_returns(seller) == 0


def _refund_event(
    seller: Seller, order_id: int, return_id: int, amount: int, event_id: str, kind: str
) -> str:
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": "re_return_1",
                    "object": "refund",
                    "amount": amount * 100,
                    "status": "succeeded",
                    "payment_intent": _intent_of(seller, order_id),
                    "metadata": {
                        "cooperative_id": str(seller.coop_id),
                        "order_id": str(order_id),
                        "return_id": str(return_id),
                    },
                }
            },
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    return stripe_adapter.receive(payload.encode(), header)


def _intent_of(seller: Seller, order_id: int) -> str:
    with tenant(seller.coop_id):
        intent = db.session.scalar(select(Payment.stripe_payment_intent).where(Payment.order_id == order_id))
        db.session.commit()
        return str(intent)


def test_a_card_return_is_refunded_in_part_once_and_netted_against_the_next_payout(
    stripe_app,  # noqa: F811
    admin,
    monkeypatch,
):
    set_fee(admin, "2.5")
    seller = with_bank(make_seller("32.04.12.2003"))
    order_id = card_order(seller, monkeypatch, 10)  # 150.000, fee 3.750
    with tenant(seller.coop_id):
        orders.start_processing(order_id, user_id=seller.staff.id)
        orders.ship(order_id, courier="JNE", tracking_number="J2", user_id=seller.staff.id)
        orders.mark_received(order_id, user_id=seller.staff.id)
        orders.complete(order_id, user_id=seller.staff.id)
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        db.session.commit()
    paid_out = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    payouts.mark_transferred(
        paid_out.id, bank_reference="BRI-1", transfer_date=date.today(), user_id=admin.id
    )
    assert paid_out.amount == 146_250 and piutang(seller) == 0

    calls = []

    def fake_refund(**kwargs):
        calls.append(kwargs)
        return stripe.Refund.construct_from(
            {"id": "re_return_1", "object": "refund", "status": "pending", "amount": kwargs["amount"]}, "sk"
        )

    monkeypatch.setattr(stripe.Refund, "create", fake_refund)
    with tenant(seller.coop_id):
        asked = returns.request_return(order_id, {line.id: 2}, "Beras apek", user_id=seller.staff.id)
        returns.accept(order_id, asked.id, disposition="stok", user_id=seller.staff.id)
        assert asked.status == "disetujui" and asked.refund_reference == "re_return_1"
        asked_id = asked.id
        db.session.commit()
    assert calls[0]["amount"] == 30_000 * 100
    assert calls[0]["idempotency_key"] == f"kophub-return-{seller.coop_id}-{asked_id}"
    assert calls[0]["metadata"]["return_id"] == str(asked_id)

    assert "refunded" in _refund_event(seller, order_id, asked_id, 30_000, "evt_ret_1", "refund.updated")
    assert _refund_event(seller, order_id, asked_id, 30_000, "evt_ret_1", "refund.updated") == "duplicate"
    assert "already" in _refund_event(
        seller, order_id, asked_id, 30_000, "evt_ret_2", "charge.refund.updated"
    )
    with tenant(seller.coop_id):
        db.session.expire_all()
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert payment.refunded == 30_000
        assert db.session.get(OrderReturn, asked_id).status == "selesai"
        db.session.commit()
    assert balance(seller, orders.ADVANCES) == 0
    # refunded 30.000 after the payout, fee 750 given back: Kophub is owed 29.250 back
    owed = payouts.owed_to(seller.coop_id, now=LATER)
    assert owed.still_owed == -29_250 == piutang(seller)
    with pytest.raises(payouts.PayoutRefused):
        payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)

    other = card_order(seller, monkeypatch, 10)  # the next sale: 146.250 net
    with tenant(seller.coop_id):
        orders.start_processing(other, user_id=seller.staff.id)
        orders.ship(other, courier="JNE", tracking_number="J3", user_id=seller.staff.id)
        orders.mark_received(other, user_id=seller.staff.id)
        orders.complete(other, user_id=seller.staff.id)
    netted = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    assert netted.amount == 146_250 - 29_250
    payouts.mark_transferred(netted.id, bank_reference="BRI-2", transfer_date=date.today(), user_id=admin.id)
    assert piutang(seller) == 0 == payouts.owed_to(seller.coop_id, now=LATER).still_owed
    assert payouts.transferred_total(seller.coop_id) == 146_250 + 146_250 - 29_250


def test_the_buyer_returns_part_on_the_order_page_and_both_sides_see_the_refund(app, make_client):
    seller = make_seller("32.04.12.2003")
    shopper, order_id, line = delivered_by_transfer(seller, 10)
    record_id = int(
        db.session.scalar(select(CheckoutOrder.checkout_id).where(CheckoutOrder.order_id == order_id))
    )
    buyer = make_client()
    buyer.login(shopper.user)
    page = buyer.get(f"/kophub/pesanan/{record_id}").get_data(as_text=True)
    assert "Kembalikan sebagian barang" in page and 'max="10"' in page
    url = f"/kophub/pesanan/{record_id}/{seller.coop_id}/{order_id}/retur"
    bad = buyer.post(url, {"line_id": str(line.id), "quantity": "12", "reason": "Rusak"})
    assert bad.status_code == 422 and "paling banyak 10" in bad.get_data(as_text=True)
    assert buyer.post(url, {"line_id": str(line.id), "reason": "Rusak"}).status_code == 422
    assert count_returns(seller) == 0
    photo = (io.BytesIO(phone_photo(gps=False)), "foto.jpg")
    sent = buyer.post(
        url,
        {"line_id": str(line.id), "quantity": "4", "reason": "Karung basah", "photo": photo},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302

    staff = make_client()
    staff.login(seller.staff)
    slug = seller.coop.slug
    page = staff.get(f"/k/{slug}/kophub/pesanan/{order_id}").get_data(as_text=True)
    assert "Karung basah" in page and "Lihat foto" in page
    with tenant(seller.coop_id):
        return_id = int(db.session.scalar(select(OrderReturn.id)))
        db.session.commit()
    assert staff.get(f"/k/{slug}/kophub/pesanan/{order_id}/retur/{return_id}/foto").status_code == 200
    base = f"/k/{slug}/kophub/pesanan/{order_id}/retur/{return_id}"
    assert staff.post(f"{base}/terima", {"disposition": "buang"}).status_code == 422
    assert staff.post(f"{base}/terima", {"disposition": "stok"}).status_code == 302
    assert staff.post(f"{base}/dana-kembali", {"reference": ""}).status_code == 422
    assert staff.post(f"{base}/dana-kembali", {"reference": "BNI 5512"}).status_code == 302
    assert "BNI 5512" in staff.get(f"/k/{slug}/kophub/pesanan/{order_id}").get_data(as_text=True)
    mine = buyer.get(f"/kophub/pesanan/{record_id}").get_data(as_text=True)
    assert "Rp 60.000" in mine.replace("\xa0", " ") and "BNI 5512" in mine and 'max="6"' in mine


def test_when_stripe_cannot_refund_the_return_stays_asked_and_nothing_is_posted(
    stripe_app,  # noqa: F811
    admin,
    monkeypatch,
):
    seller = make_seller("32.04.12.2003")
    order_id = card_order(seller, monkeypatch, 10)
    with tenant(seller.coop_id):
        orders.start_processing(order_id, user_id=seller.staff.id)
        orders.ship(order_id, courier="JNE", tracking_number="J9", user_id=seller.staff.id)
        orders.mark_received(order_id, user_id=seller.staff.id)
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        asked = returns.request_return(order_id, {line.id: 1}, "Apek", user_id=seller.staff.id)
        asked_id = asked.id

        def down(**kwargs):
            raise stripe.APIConnectionError("network down")

        monkeypatch.setattr(stripe.Refund, "create", down)
        with pytest.raises(returns.ReturnRefused, match="Stripe"):
            returns.accept(order_id, asked_id, disposition="stok", user_id=seller.staff.id)
        assert db.session.get(OrderReturn, asked_id).status == "diajukan"
        db.session.commit()
    assert balance(seller, orders.SALES) == 150_000
    assert balance(seller, orders.ADVANCES) == 0


def phone_photo(*, gps: bool) -> bytes:
    """A JPEG as a phone sends it: sideways (EXIF orientation 6), optionally with a GPS position."""
    image = Image.new("RGB", (400, 300), (200, 150, 90))
    exif = Image.Exif()
    exif[0x0112] = 6
    if gps:
        exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0), 3: "E", 4: (107.0, 36.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_return_photo_is_kept_upright_and_without_the_phone_s_position(app):
    seller = make_seller("32.04.12.2003")
    shopper, order_id, line = delivered_by_transfer(seller, 10)
    with tenant(seller.coop_id):
        asked = returns.request_return(
            order_id, {line.id: 1}, "Rusak", io.BytesIO(phone_photo(gps=True)), user_id=shopper.user.id
        )
        db.session.commit()
        path = returns.photo_path(asked)
    with Image.open(path) as kept:
        assert kept.format == "JPEG" and kept.size == (300, 400)  # turned upright
        assert not kept.getexif() and "exif" not in kept.info
    assert asked.photo_type == "image/jpeg" and asked.photo_size == path.stat().st_size
