"""Payment pages: the card payment page of a checkout (Stripe.js when it can load, clear
instructions when it cannot), Stripe's webhook endpoint, and payouts: the platform's list of what
Kophub owes each cooperative with its payouts, and a cooperative's own money at Kophub."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError, form_messages
from core.extensions import csrf
from core.i18n import local_today
from core.permissions import menu_item, requires
from core.schemas import load_form
from marketplace.buyers import service as buyers
from marketplace.orders import service as orders
from marketplace.orders.schemas import ReasonSchema
from marketplace.payments import payouts, stripe_adapter
from marketplace.payments.models import PayoutStatus
from marketplace.payments.schemas import PayoutCreateSchema, TransferSchema
from tenants.models import Cooperative

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


# --- payouts --------------------------------------------------------------------------------

menu_item("payments.my_payouts_page", _l("Dana Kophub"), "kophub.orders.view", tenant=True)
menu_item("payments.payouts_page", _l("Pencairan Kophub"), "platform.kophub", tenant=False)


def _payouts_page(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    return render_template(
        "marketplace/payments/payouts.html",
        owed=payouts.owed_by_cooperative(),
        waiting=payouts.payouts(status=PayoutStatus.DIBUAT.value),
        recent=payouts.payouts(limit=30),
        labels=payouts.PAYOUT_LABELS,
        hold_days=payouts.hold_days(),
        errors=errors or {},
    ), status


@bp.get("/admin/kophub/pencairan")
@requires("platform.kophub")
def payouts_page() -> Any:
    """Platform: which cooperatives Kophub owes how much, and the payouts to send."""
    return _payouts_page()


@bp.post("/admin/kophub/pencairan")
@requires("platform.kophub")
def create_payout() -> Any:
    try:
        data = load_form(PayoutCreateSchema())
        made = payouts.create_payout(data["cooperative_id"], user_id=current_user.id)
    except ValidationError as err:
        return _payouts_page(form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _payouts_page(err.as_form_errors(), err.status)
    flash(_("Pencairan dibuat. Transfer dananya, lalu catat nomor referensi bank."))
    return redirect(url_for("payments.payout_page", payout_id=made.id))


def _payout_page(payout_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    found, lines = payouts.payout(payout_id)
    return render_template(
        "marketplace/payments/payout.html",
        payout=found,
        lines=lines,
        cooperative=db.session.get(Cooperative, found.cooperative_id),
        labels=payouts.PAYOUT_LABELS,
        errors=errors or {},
        form=request.form,
        today=local_today(),
        platform=True,
    ), status


@bp.get("/admin/kophub/pencairan/<int:payout_id>")
@requires("platform.kophub")
def payout_page(payout_id: int) -> Any:
    return _payout_page(payout_id)


def _payout_action(payout_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except ValidationError as err:
        return _payout_page(payout_id, form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _payout_page(payout_id, err.as_form_errors(), err.status)
    flash(done)
    return redirect(url_for("payments.payout_page", payout_id=payout_id))


@bp.post("/admin/kophub/pencairan/<int:payout_id>/ditransfer")
@requires("platform.kophub")
def payout_transferred(payout_id: int) -> Any:
    def run() -> None:
        data = load_form(TransferSchema())
        payouts.mark_transferred(
            payout_id,
            bank_reference=data["bank_reference"],
            transfer_date=data["transfer_date"],
            user_id=current_user.id,
        )

    return _payout_action(
        payout_id, run, _("Pencairan dicatat sudah ditransfer; pembukuan koperasi diperbarui.")
    )


@bp.post("/admin/kophub/pencairan/<int:payout_id>/batal")
@requires("platform.kophub")
def payout_cancel(payout_id: int) -> Any:
    return _payout_action(
        payout_id,
        lambda: payouts.cancel_payout(
            payout_id, reason=load_form(ReasonSchema())["reason"], user_id=current_user.id
        ),
        _("Pencairan dibatalkan; dananya masuk pencairan berikutnya."),
    )


@bp.get("/k/<tenant_slug>/kophub/dana")
@requires("kophub.orders.view")
def my_payouts_page() -> Any:
    """A cooperative's money at Kophub: what is still owed (payable, held) and its payouts."""
    return render_template(
        "marketplace/payments/my_payouts.html",
        owed=payouts.my_owed(),
        open_orders=payouts.my_open_orders(),
        history=payouts.my_payouts(),
        labels=payouts.PAYOUT_LABELS,
        hold_days=payouts.hold_days(),
        hold=timedelta(days=payouts.hold_days()),
    )


@bp.get("/k/<tenant_slug>/kophub/dana/<int:payout_id>")
@requires("kophub.orders.view")
def my_payout_page(payout_id: int) -> Any:
    found, lines = payouts.my_payout(payout_id)
    return render_template(
        "marketplace/payments/payout.html",
        payout=found,
        lines=lines,
        cooperative=db.session.get(Cooperative, found.cooperative_id),
        labels=payouts.PAYOUT_LABELS,
        errors={},
        form={},
        today=local_today(),
        platform=False,
    )
