"""Stripe: IDR amounts, the PaymentIntent of a checkout, and webhooks signed with Stripe's own
scheme (`stripe.WebhookSignature`) against a test secret: duplicates, bad signatures, stale
timestamps and events out of order leave the order right and the payment applied once."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import stripe
from sqlalchemy import func, select

from core.db import db
from core.money import InvariantViolation
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from marketplace.orders import service as orders
from marketplace.orders.models import CheckoutOrder, Order
from marketplace.payments import stripe_adapter
from marketplace.payments.models import Payment, StripeEvent
from tenants.context import tenant
from tests.marketplace.orders.conftest import make_seller, make_shopper

SECRET = "whsec_test_kophub_secret"
_ids = count(1)


@pytest.fixture
def stripe_app(app):
    original = app.config["KOPDES"]
    app.config["KOPDES"] = replace(
        original,
        stripe_secret_key="sk_test_dummy",
        stripe_webhook_secret=SECRET,
        stripe_publishable_key="pk_test",
    )
    yield app
    app.config["KOPDES"] = original


@pytest.fixture
def card_order(stripe_app, monkeypatch):
    """A buyer's checkout of 10 kg from one cooperative paid by card, with its intent created."""
    seller = make_seller("32.04.12.2003")
    shopper = make_shopper()
    shopper.add(seller, 10)
    record = shopper.checkout("stripe")
    calls = []

    def fake_create(**kwargs):
        calls.append(kwargs)
        return stripe.PaymentIntent.construct_from(
            {"id": "pi_kophub_1", "object": "payment_intent", "client_secret": "pi_kophub_1_secret_x"}, "sk"
        )

    monkeypatch.setattr(stripe.PaymentIntent, "create", fake_create)
    stripe_adapter.ensure_intent(record)
    stripe_adapter.ensure_intent(record)  # once only
    assert len(calls) == 1
    order_id = db.session.scalar(select(CheckoutOrder.order_id).where(CheckoutOrder.checkout_id == record.id))
    return seller, record, order_id, calls[0]


def _event(kind: str, obj: dict, *, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{next(_ids)}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def _succeeded(amount: int = 150_000 * 100) -> dict:
    return {"id": "pi_kophub_1", "object": "payment_intent", "amount_received": amount, "currency": "idr"}


def _refund(seller, order_id: int, status: str = "succeeded") -> dict:
    return {
        "id": "re_1",
        "object": "refund",
        "amount": 150_000 * 100,
        "status": status,
        "payment_intent": "pi_kophub_1",
        "metadata": {"cooperative_id": str(seller.coop_id), "order_id": str(order_id)},
    }


def _send(client, payload: bytes, *, secret: str = SECRET, at: int | None = None):
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=at)
    return client.open(
        "/kophub/stripe/webhook",
        method="POST",
        data=payload,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )


def _state(seller, order_id: int) -> tuple[str, str, int]:
    with tenant(seller.coop_id):
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        return order.status, payment.status, payment.refunded


def test_rupiah_go_to_stripe_as_two_decimal_idr_and_come_back_whole():
    assert stripe_adapter.to_stripe_amount(15_000) == 1_500_000
    assert stripe_adapter.from_stripe_amount(1_500_000) == 15_000
    with pytest.raises(InvariantViolation):
        stripe_adapter.from_stripe_amount(1_500_050)
    with pytest.raises(InvariantViolation):
        stripe_adapter.to_stripe_amount(0)


def test_the_intent_is_created_once_for_the_checkout_total_with_an_idempotency_key(card_order):
    seller, record, order_id, call = card_order
    assert call["amount"] == 150_000 * 100 and call["currency"] == "idr"
    assert call["idempotency_key"] == f"kophub-checkout-{record.id}"
    with tenant(seller.coop_id):
        assert db.session.scalar(select(Payment.stripe_payment_intent)) == "pi_kophub_1"


def test_a_succeeded_event_pays_the_order_once_even_when_delivered_twice(card_order, client):
    seller, record, order_id, _ = card_order
    payload = _event("payment_intent.succeeded", _succeeded(), event_id="evt_same")
    first = _send(client, payload)
    assert first.status_code == 200 and "paid" in first.get_json()["outcome"]
    with tenant(seller.coop_id):
        entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    second = _send(client, payload)
    assert second.status_code == 200 and second.get_json()["outcome"] == "duplicate"
    assert _state(seller, order_id) == ("dibayar", "lunas", 0)
    with tenant(seller.coop_id):
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        assert ledger.account_balance(orders.PLATFORM_RECEIVABLE, datetime.now(UTC).date()) == 150_000
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_changes_nothing(card_order, client):
    seller, record, order_id, _ = card_order
    payload = _event("payment_intent.succeeded", _succeeded())
    assert _send(client, payload, secret="whsec_someone_else").status_code == 400
    assert _send(client, payload, at=int(time.time()) - 10 * 60).status_code == 400  # replayed later
    tampered = payload.replace(b"150000", b"150001")
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), SECRET)
    hook = "/kophub/stripe/webhook"
    assert (
        client.open(hook, method="POST", data=tampered, headers={"Stripe-Signature": header}).status_code
        == 400
    )
    assert client.open(hook, method="POST", data=payload).status_code == 400
    assert _state(seller, order_id) == ("menunggu_pembayaran", "menunggu", 0)
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_a_refund_arriving_before_the_success_applies_both_once_and_releases_the_stock(card_order, client):
    seller, record, order_id, _ = card_order
    assert _send(client, _event("refund.updated", _refund(seller, order_id))).status_code == 200
    assert _state(seller, order_id) == ("dibatalkan", "dikembalikan", 150_000)
    late = _send(client, _event("payment_intent.succeeded", _succeeded()))
    assert "already applied" in late.get_json()["outcome"]
    assert _state(seller, order_id) == ("dibatalkan", "dikembalikan", 150_000)
    with tenant(seller.coop_id):
        today = datetime.now(UTC).date()
        assert ledger.account_balance(orders.PLATFORM_RECEIVABLE, today) == 0
        assert ledger.account_balance(orders.ADVANCES, today) == 0
        assert inventory.available(seller.product_id, seller.gudang_id) == 200


def test_a_failure_reported_after_the_success_does_not_unpay_the_order(card_order, client):
    seller, record, order_id, _ = card_order
    _send(client, _event("payment_intent.succeeded", _succeeded()))
    _send(client, _event("payment_intent.payment_failed", {"id": "pi_kophub_1", "object": "payment_intent"}))
    assert _state(seller, order_id) == ("dibayar", "lunas", 0)


def test_a_failure_lets_the_buyer_try_again_and_a_wrong_amount_is_not_applied(card_order, client):
    seller, record, order_id, _ = card_order
    _send(client, _event("payment_intent.payment_failed", {"id": "pi_kophub_1", "object": "payment_intent"}))
    assert _state(seller, order_id) == ("menunggu_pembayaran", "gagal", 0)
    wrong = _send(client, _event("payment_intent.succeeded", _succeeded(amount=100 * 100)))
    assert wrong.get_json()["outcome"] == "amount mismatch: not applied"
    assert _state(seller, order_id) == ("menunggu_pembayaran", "gagal", 0)


def test_events_of_types_we_do_not_handle_are_answered_and_recorded(card_order, client):
    response = _send(client, _event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"


@pytest.mark.skipif(
    not os.environ.get("KOPDES_STRIPE_SECRET_KEY"),
    reason="KOPDES_STRIPE_SECRET_KEY not set: no live Stripe calls",
)
def test_live_stripe_accepts_an_idr_intent_of_whole_rupiah():
    intent = stripe.PaymentIntent.create(
        amount=stripe_adapter.to_stripe_amount(15_000),
        currency="idr",
        automatic_payment_methods={"enabled": True},
        api_key=os.environ["KOPDES_STRIPE_SECRET_KEY"],
    )
    assert intent.amount == 1_500_000 and intent.currency == "idr"
    stripe.PaymentIntent.cancel(intent.id, api_key=os.environ["KOPDES_STRIPE_SECRET_KEY"])


def test_money_arriving_for_a_lapsed_order_is_kept_as_due_and_then_refunded(card_order, client, monkeypatch):
    seller, record, order_id, _ = card_order
    orders.expire_unpaid(datetime.now(UTC) + timedelta(hours=25))
    assert _state(seller, order_id)[0] == "dibatalkan"
    late = _send(client, _event("payment_intent.succeeded", _succeeded()))
    assert "refund due" in late.get_json()["outcome"]
    assert _state(seller, order_id) == ("dibatalkan", "lunas", 0)
    asked = []

    def fake_refund(**kwargs):
        asked.append(kwargs)
        return stripe.Refund.construct_from(
            {"id": "re_9", "object": "refund", "status": "succeeded", "amount": kwargs["amount"]}, "sk"
        )

    monkeypatch.setattr(stripe.Refund, "create", fake_refund)
    with tenant(seller.coop_id):
        orders.refund_after_cancel(order_id, user_id=seller.staff.id)
    assert asked[0]["amount"] == 150_000 * 100
    assert asked[0]["idempotency_key"] == f"kophub-refund-{seller.coop_id}-{order_id}"
    assert _state(seller, order_id) == ("dibatalkan", "dikembalikan", 150_000)
    with tenant(seller.coop_id):
        today = datetime.now(UTC).date()
        assert ledger.account_balance(orders.PLATFORM_RECEIVABLE, today) == 0
        assert ledger.account_balance(orders.ADVANCES, today) == 0
