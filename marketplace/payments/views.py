"""Payment pages: the card payment page of a checkout (Stripe.js when it can load, clear
instructions when it cannot) and Stripe's webhook endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from core.errors import DomainError
from core.extensions import csrf
from core.permissions import requires
from marketplace.buyers import service as buyers
from marketplace.orders import service as orders
from marketplace.payments import stripe_adapter

bp = Blueprint("payments", __name__)

STRIPE_CSP = (
    "default-src 'self'; img-src 'self' data: https://*.stripe.com; object-src 'none'; "
    "script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; "
    "connect-src 'self' https://api.stripe.com"
)


@bp.get("/kophub/bayar/<int:checkout_id>")
@requires("marketplace.buy")
def stripe_page(checkout_id: int) -> Any:
    """Pay a checkout by card. The intent is created here (once) so a lost answer is retried by
    reloading; without Stripe.js the page says what to do instead."""
    buyer = buyers.buyer_of(current_user.id)
    if buyer is None:
        abort(404)
    record, views = orders.buyer_checkout(buyer, checkout_id)
    problem = None
    if record.payment_method == "stripe" and any(
        v.payment and v.payment.status in ("menunggu", "gagal") for v in views
    ):
        try:
            stripe_adapter.ensure_intent(record)
        except DomainError as err:
            problem = err.message
        except Exception:  # Stripe unreachable: the buyer is told, nothing is lost
            current_app.logger.exception("stripe intent")
            problem = None if record.stripe_client_secret else "unreachable"
    response = current_app.make_response(
        render_template(
            "marketplace/payments/stripe.html",
            record=record,
            views=views,
            publishable_key=stripe_adapter.publishable_key(),
            problem=problem,
        )
    )
    response.headers["Content-Security-Policy"] = STRIPE_CSP
    return response


@bp.post("/kophub/stripe/webhook")
@csrf.exempt
def stripe_webhook() -> Any:
    """Stripe's events: 400 for anything not signed by Stripe within the replay window; 200 for
    the rest, applied once (a redelivery answers 200 and changes nothing)."""
    try:
        outcome = stripe_adapter.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except stripe_adapter.BadWebhook:
        return {"error": "invalid signature"}, 400
    return {"received": True, "outcome": outcome}, 200
