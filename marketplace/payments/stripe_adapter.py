"""The `stripe` payment adapter: one PaymentIntent per checkout, confirmed in the browser with
Stripe.js; what happened arrives by webhook.

Amounts: Stripe counts IDR as a two-decimal currency (Rp 1 is `amount=100`), and a rupiah amount
sent to Stripe must be a whole number of rupiah, so every amount is rupiah × 100 and every amount
read back must be divisible by 100 (anything else is refused as an invariant violation).

Webhooks: the signature is checked with `stripe.WebhookSignature.verify_header` (what
`stripe.Webhook.construct_event` does before parsing) against the endpoint secret, with a replay
window of `TOLERANCE` seconds (an older signed timestamp is refused); each
event id is recorded in a unique table in the transaction that applies it, so a redelivery is
recognised and applied zero times. Events may come in any order: a payment that succeeded is never
undone by a later "failed"; a refund that arrives before the success applies the payment first;
money arriving for an order already cancelled is kept on record as due for refund.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import db
from core.errors import DomainError, ErrorCode
from core.money import InvariantViolation
from marketplace.orders import service as orders
from marketplace.orders.models import Checkout, CheckoutOrder, Order, OrderStatus
from marketplace.payments.models import Payment, PaymentStatus, StripeEvent
from tenants.context import tenant

CURRENCY = "idr"
TOLERANCE = 300  # seconds: Stripe's default replay window


class StripeUnavailable(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def to_stripe_amount(rupiah: int) -> int:
    """Rupiah as Stripe's IDR amount (two decimals: Rp 15.000 → 1500000)."""
    if not isinstance(rupiah, int) or isinstance(rupiah, bool) or rupiah <= 0:
        raise InvariantViolation("a Stripe amount is a positive whole number of rupiah")
    return rupiah * 100


def from_stripe_amount(amount: int) -> int:
    """Stripe's IDR amount as whole rupiah; a fractional rupiah is never ours."""
    if not isinstance(amount, int) or amount % 100:
        raise InvariantViolation(f"IDR amount {amount!r} from Stripe is not whole rupiah")
    return amount // 100


def _secret_key() -> str:
    key = current_app.config["KOPDES"].stripe_secret_key
    if not key:
        raise StripeUnavailable(_l("Pembayaran kartu belum diaktifkan di Kophub."))
    return str(key)


def publishable_key() -> str | None:
    return current_app.config["KOPDES"].stripe_publishable_key


def ensure_intent(record: Checkout) -> Checkout:
    """The checkout's PaymentIntent, created once (Stripe's idempotency key is the checkout's own,
    so a retry after a lost answer returns the same intent); its id is kept on every order's
    payment."""
    if record.stripe_payment_intent:
        return record
    intent = stripe.PaymentIntent.create(
        amount=to_stripe_amount(record.total),
        currency=CURRENCY,
        automatic_payment_methods={"enabled": True},
        metadata={"kophub_checkout": str(record.id)},
        description=f"Kophub checkout {record.id}",
        idempotency_key=f"kophub-checkout-{record.id}",
        api_key=_secret_key(),
    )
    record.stripe_payment_intent = intent.id
    record.stripe_client_secret = intent.client_secret
    for cooperative_id, order_id in _orders_of(record.id):
        with tenant(cooperative_id):
            db.session.execute(
                update(Payment).where(Payment.order_id == order_id).values(stripe_payment_intent=intent.id)
            )
    db.session.commit()
    return record


def _orders_of(checkout_id: int) -> list[tuple[int, int]]:
    rows = db.session.execute(
        select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id)
        .where(CheckoutOrder.checkout_id == checkout_id)
        .order_by(CheckoutOrder.cooperative_id)
    ).all()
    return [(int(c), int(o)) for c, o in rows]


class StripeAdapter:
    name = "stripe"

    def refund(self, order: Order, payment: Payment) -> None:
        """Ask Stripe to refund this order's part of the checkout's intent; the refund is recorded
        when Stripe reports it succeeded (here if it answers so at once, else by webhook)."""
        if not payment.stripe_payment_intent:
            raise InvariantViolation("a paid Stripe payment without its intent")
        refund = stripe.Refund.create(
            payment_intent=payment.stripe_payment_intent,
            amount=to_stripe_amount(payment.amount - payment.refunded),
            metadata={"cooperative_id": str(order.tenant_id), "order_id": str(order.id)},
            idempotency_key=f"kophub-refund-{order.tenant_id}-{order.id}",
            api_key=_secret_key(),
        )
        payment.stripe_refund = refund.id
        if refund.status == "succeeded":
            _apply_refund(order, payment, from_stripe_amount(int(refund.amount)), refund.id)


ADAPTER = StripeAdapter()


def partial_refund(payment: Payment, amount: int, *, metadata: dict[str, str], idempotency_key: str) -> Any:
    """Ask Stripe to refund `amount` rupiah of a paid order's intent (a return); the same key asks
    once however often it is retried."""
    if not payment.stripe_payment_intent:
        raise InvariantViolation("a paid Stripe payment without its intent")
    return stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent,
        amount=to_stripe_amount(amount),
        metadata=metadata,
        idempotency_key=idempotency_key,
        api_key=_secret_key(),
    )


# --- webhooks -------------------------------------------------------------------------------


class BadWebhook(Exception):
    """A request that is not a genuine, fresh Stripe event: answered 400."""


def receive(payload: bytes, signature: str | None) -> str:
    """Verify and apply one webhook delivery; returns what was done (for the log and the tests)."""
    secret = current_app.config["KOPDES"].stripe_webhook_secret
    if not secret:
        raise BadWebhook("no webhook secret configured")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=TOLERANCE)
        event = json.loads(payload)
        obj = event["data"]["object"]
        if (
            not isinstance(obj, dict)
            or not isinstance(event["id"], str)
            or not isinstance(event["type"], str)
        ):
            raise ValueError("not a Stripe event")
    except (ValueError, KeyError, TypeError, stripe.SignatureVerificationError) as err:
        raise BadWebhook(str(err)) from err
    inserted = db.session.execute(
        pg_insert(StripeEvent)
        .values(
            event_id=event["id"],
            type=event["type"],
            object_id=obj.get("id"),
            stripe_created=int(event["created"]),
            outcome="applying",
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(StripeEvent.id)
    ).scalar()
    if inserted is None:
        db.session.rollback()
        return "duplicate"
    handler = HANDLERS.get(event["type"])
    try:
        outcome = handler(obj) if handler else "ignored"
    except Exception:
        db.session.rollback()
        raise
    db.session.execute(update(StripeEvent).where(StripeEvent.id == inserted).values(outcome=outcome[:200]))
    db.session.commit()
    return outcome


def _checkout_of_intent(intent: Any) -> Checkout | None:
    return db.session.scalar(select(Checkout).where(Checkout.stripe_payment_intent == intent["id"]))


def _succeeded(intent: Any) -> str:
    record = _checkout_of_intent(intent)
    if record is None:
        return "unknown intent"
    if (
        intent.get("currency") != CURRENCY
        or from_stripe_amount(int(intent["amount_received"])) != record.total
    ):
        return "amount mismatch: not applied"
    outcomes = []
    for cooperative_id, order_id in _orders_of(record.id):
        with tenant(cooperative_id):
            order = orders._locked(order_id)
            payment = orders._payment(order)
            outcomes.append(_apply_payment(order, payment))
            db.session.flush()
    return "succeeded: " + ", ".join(outcomes)


def _apply_payment(order: Order, payment: Payment) -> str:
    if payment.status in (PaymentStatus.LUNAS, PaymentStatus.DIKEMBALIKAN):
        return f"{order.number} already applied"
    orders.mark_paid(
        order,
        payment,
        actor_id=None,
        account=orders.PLATFORM_RECEIVABLE,
        note=str(_l("Dibayar dengan kartu")),
    )
    if order.status == OrderStatus.DIBATALKAN:
        return f"{order.number} paid after cancel: refund due"
    return f"{order.number} paid"


def _failed(intent: Any) -> str:
    record = _checkout_of_intent(intent)
    if record is None:
        return "unknown intent"
    outcomes = []
    for cooperative_id, order_id in _orders_of(record.id):
        with tenant(cooperative_id):
            payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
            if payment is not None and payment.status == PaymentStatus.MENUNGGU:
                payment.status = PaymentStatus.GAGAL.value
                outcomes.append(f"{order_id} failed")
            else:
                outcomes.append(f"{order_id} unchanged")
            db.session.flush()
    return "failed: " + ", ".join(outcomes)


def _refund_event(refund: Any) -> str:
    metadata = refund.get("metadata") or {}
    try:
        cooperative_id, order_id = int(metadata["cooperative_id"]), int(metadata["order_id"])
    except (KeyError, TypeError, ValueError):
        return "refund without an order: not applied"
    if refund.get("status") != "succeeded":
        return f"refund {refund.get('status')}: not applied"
    record = db.session.scalar(
        select(Checkout)
        .join(CheckoutOrder, CheckoutOrder.checkout_id == Checkout.id)
        .where(
            Checkout.stripe_payment_intent == refund.get("payment_intent"),
            CheckoutOrder.cooperative_id == cooperative_id,
            CheckoutOrder.order_id == order_id,
        )
    )
    if record is None:
        return "refund of an unknown order"
    with tenant(cooperative_id):
        order = orders._locked(order_id)
        payment = orders._payment(order)
        if metadata.get("return_id"):
            outcome = _apply_return_refund(order, payment, refund, metadata["return_id"])
        else:
            outcome = _apply_refund(order, payment, from_stripe_amount(int(refund["amount"])), refund["id"])
        db.session.flush()
    return outcome


def _apply_return_refund(order: Order, payment: Payment, refund: Any, return_id: Any) -> str:
    """A partial refund of a return: applied once to the return it names (a redelivered event, or
    the success already answered when the return was accepted, changes nothing)."""
    from marketplace.orders import returns
    from marketplace.orders.models import OrderReturn

    try:
        record = db.session.scalar(
            select(OrderReturn)
            .where(OrderReturn.id == int(return_id), OrderReturn.order_id == order.id)
            .with_for_update()
        )
    except (TypeError, ValueError):
        record = None
    if record is None:
        return "refund of an unknown return"
    return returns.apply_card_refund(
        order, payment, record, from_stripe_amount(int(refund["amount"])), refund["id"]
    )


def _apply_refund(order: Order, payment: Payment, amount: int, refund_id: str) -> str:
    """Record a refund Stripe made. If it overtook the success event, the payment is applied first
    (the money did come in); an order still open is cancelled, releasing its stock."""
    if payment.status == PaymentStatus.DIKEMBALIKAN:
        return f"{order.number} refund already applied"
    if amount != payment.amount:
        raise InvariantViolation(
            f"refund of {amount} for a payment of {payment.amount}: partial refunds are not ours"
        )
    if payment.status != PaymentStatus.LUNAS:
        _apply_payment(order, payment)
    orders.post_refund(order, payment, amount, account=orders.PLATFORM_RECEIVABLE, actor_id=None)
    payment.refunded, payment.status, payment.stripe_refund = (
        amount,
        PaymentStatus.DIKEMBALIKAN.value,
        refund_id,
    )
    if OrderStatus(order.status) in orders.CANCELLABLE_BY["cooperative"]:
        reason = str(_l("Dana dikembalikan lewat Stripe"))
        orders._move(order, OrderStatus.DIBATALKAN, None, reason)
        order.cancel_reason = reason
        orders.release_stock(order)
    return f"{order.number} refunded"


HANDLERS: dict[str, Callable[[Any], str]] = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed,
    "refund.created": _refund_event,
    "refund.updated": _refund_event,
    "charge.refund.updated": _refund_event,
}
