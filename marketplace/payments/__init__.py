"""The payments port of Kophub: one small interface, two adapters.

- `manual`: bank transfer or QRIS with the buyer's proof, confirmed by the cooperative's
  bendahara; cash on delivery collected by the courier and recorded by the bendahara.
- `stripe`: one PaymentIntent per checkout (amounts in Stripe's minor unit for IDR), confirmed in
  the browser with Stripe.js; its outcome arrives by signed webhook, each event applied once.

Orders call `adapter_for(payment.provider)`; the adapters record what happened on the order's
`Payment` row and in the cooperative's books through `marketplace.orders.service`.
"""

from __future__ import annotations

from typing import Protocol

from marketplace.orders.models import Order
from marketplace.payments.models import Payment


class PaymentAdapter(Protocol):
    name: str

    def refund(self, order: Order, payment: Payment) -> None:
        """Give a received payment back (the order is being cancelled; locks are held)."""


def adapter_for(provider: str) -> PaymentAdapter:
    from marketplace.payments import manual, stripe_adapter

    adapters: dict[str, PaymentAdapter] = {"manual": manual.ADAPTER, "stripe": stripe_adapter.ADAPTER}
    if provider not in adapters:
        raise ValueError(f"unknown payment provider: {provider}")
    return adapters[provider]
