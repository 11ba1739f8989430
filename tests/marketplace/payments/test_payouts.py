"""Payouts: what Kophub holds for a cooperative (card payments less fee and refunds) is paid out
to its bank after the order is selesai and the holding period passed, exact to the rupiah: the
transferred payouts plus what is still owed equal what came in, and what is still owed equals the
cooperative's Piutang Kophub. Bad input and repeats change nothing; a cooperative sees only its
own payouts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from marketplace.orders import service as orders
from marketplace.orders.models import CheckoutOrder
from marketplace.payments import payouts, stripe_adapter
from marketplace.payments.models import Payout, PayoutLine, Settlement
from tenants.context import tenant
from tenants.service import save_legal_data
from tests.conftest import grant_platform_role, make_user
from tests.marketplace.orders.conftest import Seller, make_seller, make_shopper
from tests.marketplace.payments.test_stripe import SECRET, stripe_app  # noqa: F401

_pi = count(1)
LATER = datetime.now(UTC) + timedelta(days=8)


def with_bank(seller: Seller) -> Seller:
    with tenant(seller.coop_id):
        save_legal_data(
            {"bank_name": "BRI", "bank_account": "0123456789012", "bank_account_name": "Koperasi Desa Maju"}
        )
        db.session.commit()
    return seller


def card_order(seller: Seller, monkeypatch, quantity: int = 10) -> int:
    """A card checkout of `quantity` kg from the seller, paid by a signed webhook; the order id."""
    import json
    import time

    import stripe

    shopper = make_shopper()
    shopper.add(seller, quantity)
    record = shopper.checkout("stripe")
    intent = f"pi_payout_{next(_pi)}"
    monkeypatch.setattr(
        stripe.PaymentIntent,
        "create",
        lambda **kw: stripe.PaymentIntent.construct_from(
            {"id": intent, "object": "payment_intent", "client_secret": f"{intent}_secret"}, "sk"
        ),
    )
    stripe_adapter.ensure_intent(record)
    payload = json.dumps(
        {
            "id": f"evt_{intent}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": intent,
                    "object": "payment_intent",
                    "amount_received": record.total * 100,
                    "currency": "idr",
                }
            },
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    assert "paid" in stripe_adapter.receive(payload.encode(), header)
    return int(
        db.session.scalar(select(CheckoutOrder.order_id).where(CheckoutOrder.checkout_id == record.id))
    )


def deliver(seller: Seller, order_id: int, *, complete: bool = True) -> None:
    with tenant(seller.coop_id):
        orders.start_processing(order_id, user_id=seller.staff.id)
        orders.ship(order_id, courier="JNE", tracking_number=f"R{order_id}", user_id=seller.staff.id)
        orders.mark_received(order_id, user_id=seller.staff.id)
        if complete:
            orders.complete(order_id, user_id=seller.staff.id)


def piutang(seller: Seller) -> int:
    with tenant(seller.coop_id):
        balance = ledger.account_balance(orders.PLATFORM_RECEIVABLE, date.today() + timedelta(days=1))
        db.session.commit()
        return balance


def came_in(seller: Seller) -> int:
    rows = db.session.execute(
        select(Settlement.received, Settlement.fee, Settlement.refunded).where(
            Settlement.cooperative_id == seller.coop_id
        )
    ).all()
    return sum(r - f - x for r, f, x in rows)


@pytest.fixture
def admin(app) -> User:
    user = make_user("Admin Kophub", email="admin.kophub@example.id")
    grant_platform_role(user, "platform_admin")
    return user


@pytest.fixture
def fee(stripe_app, admin):  # noqa: F811
    orders.update_settings(
        fee_percent=Decimal("2.5"), payment_window_hours=24, payout_hold_days=7, user_id=admin.id
    )


def test_a_completed_order_is_paid_out_after_the_holding_period_exact_to_the_rupiah(fee, admin, monkeypatch):
    seller = with_bank(make_seller("32.04.12.2003"))
    first = card_order(seller, monkeypatch, 10)  # 150.000, fee 3.750
    second = card_order(seller, monkeypatch, 7)  # 105.000, fee 2.625
    deliver(seller, first)
    deliver(seller, second, complete=False)

    owed = payouts.owed_to(seller.coop_id)
    assert (owed.payable, owed.held, owed.pending) == (0, 146_250 + 102_375, 0)
    with pytest.raises(payouts.PayoutRefused):
        payouts.create_payout(seller.coop_id, user_id=admin.id)  # still held
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0

    later = payouts.owed_to(seller.coop_id, now=LATER)
    assert (later.payable, later.held) == (146_250, 102_375)
    made = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    assert made.amount == 146_250 and made.bank_account == "0123456789012"
    lines = db.session.scalars(select(PayoutLine).where(PayoutLine.payout_id == made.id)).all()
    assert [(line.order_id, line.amount) for line in lines] == [(first, 146_250)]
    assert payouts.owed_to(seller.coop_id, now=LATER).pending == 146_250
    assert piutang(seller) == 146_250 + 102_375  # nothing posted before the transfer

    payouts.mark_transferred(
        made.id, bank_reference="BRI-778812", transfer_date=date.today(), user_id=admin.id
    )
    payouts.mark_transferred(
        made.id, bank_reference="BRI-778812", transfer_date=date.today(), user_id=admin.id
    )
    with tenant(seller.coop_id):
        posted = db.session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.idempotency_key == f"kophub:payout:{made.id}")
        )
        db.session.commit()
    assert posted == 1
    with pytest.raises(payouts.PayoutConflict):
        payouts.mark_transferred(made.id, bank_reference="LAIN", transfer_date=date.today(), user_id=admin.id)

    after = payouts.owed_to(seller.coop_id, now=LATER)
    assert after.still_owed == 102_375 == piutang(seller)
    assert payouts.transferred_total(seller.coop_id) + after.still_owed == came_in(seller) == 248_625
    with pytest.raises(payouts.PayoutRefused):  # nothing more is payable yet
        payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)


def test_a_cancelled_payout_gives_its_orders_back_to_the_next_one(fee, admin, monkeypatch):
    seller = with_bank(make_seller("32.04.12.2003"))
    order_id = card_order(seller, monkeypatch, 10)
    deliver(seller, order_id)
    made = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    with pytest.raises(payouts.PayoutRefused):
        payouts.cancel_payout(made.id, reason="  ", user_id=admin.id)
    payouts.cancel_payout(made.id, reason="Rekening ditolak bank", user_id=admin.id)
    with pytest.raises(payouts.PayoutConflict):
        payouts.mark_transferred(made.id, bank_reference="X1", transfer_date=date.today(), user_id=admin.id)
    again = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    assert again.amount == made.amount == 146_250
    payouts.mark_transferred(again.id, bank_reference="BRI-2", transfer_date=date.today(), user_id=admin.id)
    assert piutang(seller) == 0 == payouts.owed_to(seller.coop_id, now=LATER).still_owed


def test_bad_input_and_a_missing_bank_account_change_nothing(fee, admin, monkeypatch):
    seller = make_seller("32.04.12.2003")  # no bank account on record
    order_id = card_order(seller, monkeypatch, 10)
    deliver(seller, order_id)
    with pytest.raises(payouts.PayoutRefused, match="rekening"):
        payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0
    assert db.session.scalar(select(Settlement.allocated)) == 0
    with_bank(seller)
    made = payouts.create_payout(seller.coop_id, user_id=admin.id, now=LATER)
    for reference, day in (
        ("", date.today()),
        ("x" * 61, date.today()),
        ("OK-1", date.today() + timedelta(days=9)),
    ):
        with pytest.raises(payouts.PayoutRefused):
            payouts.mark_transferred(made.id, bank_reference=reference, transfer_date=day, user_id=admin.id)
    db.session.expire_all()
    assert db.session.get(Payout, made.id).status == "dibuat"
    assert piutang(seller) == 146_250


def test_the_platform_page_lists_what_is_owed_and_a_cooperative_sees_only_its_own(
    make_client, fee, admin, monkeypatch, client
):
    from tests.conftest import PASSWORD

    mine = with_bank(make_seller("32.04.12.2003"))
    other = with_bank(make_seller("33.07.07.1006"))
    for seller in (mine, other):
        deliver(seller, card_order(seller, monkeypatch, 10))
    made = payouts.create_payout(other.coop_id, user_id=admin.id, now=LATER)
    payouts.mark_transferred(
        made.id, bank_reference="RAHASIA-REF-9", transfer_date=date.today(), user_id=admin.id
    )

    client.login(admin, PASSWORD)
    page = client.get("/admin/kophub/pencairan")
    assert page.status_code == 200 and mine.coop.name in page.get_data(as_text=True)
    assert client.post("/admin/kophub/pencairan", {"cooperative_id": "abc"}).status_code == 422
    assert client.get(f"/admin/kophub/pencairan/{made.id}").status_code == 200
    bad = client.post(
        f"/admin/kophub/pencairan/{made.id}/ditransfer", {"bank_reference": "", "transfer_date": "x"}
    )
    assert bad.status_code == 422

    client = make_client()
    client.login(mine.staff, PASSWORD)
    assert client.get("/admin/kophub/pencairan").status_code == 403
    slug = mine.coop.slug
    own = client.get(f"/k/{slug}/kophub/dana")
    text = own.get_data(as_text=True)
    assert own.status_code == 200 and "RAHASIA-REF-9" not in text and "146.250" in text
    assert client.get(f"/k/{slug}/kophub/dana/{made.id}").status_code == 404
