"""Property: after any sequence of receipts, invoices (with differences), payments, credit notes
with goods sent back (against an invoice or a receipt not yet invoiced) or without goods, sales and
transfers, Persediaan equals the stock's value and balances equal their moves, Utang Usaha equals
the aging total and what purchases owe, the supplier's ledger ends at its aging row, and nothing
is owed below zero nor returned above what was received."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.db import db
from core.errors import DomainError
from erp.inventory import service as inventory
from erp.inventory.models import MoveKind
from erp.ledger import service as ledger
from erp.purchasing import service
from erp.purchasing.models import GoodsReceiptLine, SupplierInvoice
from erp.purchasing.service import CreditLineInput, ReceiptLineInput
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.inventory.test_properties import _unused_village
from tests.erp.purchasing.conftest import set_up_buying

where = st.sampled_from(["gerai", "gudang"])
pick = st.integers(0, 5)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), where, st.integers(1, 8), st.integers(400, 700)),
        st.tuples(st.just("invoice"), pick, st.integers(-50, 50)),
        st.tuples(st.just("pay"), pick, st.integers(1, 4_000)),
        st.tuples(st.just("credit_invoice"), pick, st.integers(0, 3), st.integers(1, 3_000)),
        st.tuples(st.just("credit_receipt"), pick, st.integers(0, 3), st.integers(1, 3_000)),
        st.tuples(st.just("credit_invoice"), pick, st.integers(1, 2), st.integers(100, 1_200)),
        st.tuples(st.just("sell"), where, st.integers(1, 150)),
        st.tuples(st.just("transfer"), where, st.integers(1, 150)),
    ),
    max_size=22,
)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_keeps_stock_payable_and_aging_in_step(app, ops):
    buying = set_up_buying(make_cooperative(_unused_village()))
    shop, rice = buying.shop, buying.rice
    places = {"gerai": shop.gerai.id, "gudang": shop.gudang.id}
    today = date.today()
    with tenant(shop.coop.id):
        # something to return, pay and sell from the start: a receipt invoiced, one not yet
        for loc, karung in (("gudang", 6), ("gerai", 4)):
            service.receive_goods(
                supplier_id=buying.supplier.id,
                location_id=places[loc],
                lines=[
                    ReceiptLineInput(quantity=karung, product_id=rice.id, unit="karung", unit_price=550_000)
                ],
                idempotency_key=f"prop-gr-{loc}",
            )
        first = service.receipts(supplier_id=buying.supplier.id)[-1]
        service.record_invoice(
            buying.supplier.id, [first.id], number="F-AWAL", invoice_date=today, amount=first.total
        )
        for n, op in enumerate(ops):
            receipts = sorted(service.receipts(supplier_id=buying.supplier.id), key=lambda r: r.id)
            invoices = [i for i, _s in service.invoices(supplier_id=buying.supplier.id)]
            try:
                if op[0] == "receive":
                    _, loc, karung, price = op
                    service.receive_goods(
                        supplier_id=buying.supplier.id,
                        location_id=places[loc],
                        lines=[
                            ReceiptLineInput(
                                quantity=karung, product_id=rice.id, unit="karung", unit_price=price * 1_000
                            )
                        ],
                        idempotency_key=f"prop-gr-{n:04d}",
                    )
                elif op[0] == "invoice":
                    open_ = [r for r in receipts if r.invoice_id is None and r.unbilled]
                    if not open_:
                        continue
                    r = open_[op[1] % len(open_)]
                    service.record_invoice(
                        buying.supplier.id,
                        [r.id],
                        number=f"F-{n}",
                        invoice_date=today,
                        amount=max(r.unbilled + op[2] * 1_000, 1),
                        difference_note="selisih uji" if op[2] else None,
                    )
                elif op[0] == "pay" and invoices:
                    invoice = invoices[op[1] % len(invoices)]
                    service.pay_invoice(
                        invoice.id, op[2] * 1_000, method="kas", idempotency_key=f"prop-pay-{n:04d}"
                    )
                elif op[0] in ("credit_invoice", "credit_receipt"):
                    _, which, karung, amount = op
                    if op[0] == "credit_invoice":
                        if not invoices:
                            continue
                        target = {"invoice_id": invoices[which % len(invoices)].id}
                    else:
                        open_ = [r for r in receipts if r.invoice_id is None]
                        if not open_:
                            continue
                        target = {"receipt_id": open_[which % len(open_)].id}
                    lines = service.returnable_lines(**target)
                    goods = [CreditLineInput(lines[0][0].id, karung)] if lines and karung else []
                    service.record_credit(
                        **target,
                        number=f"NK-{n}",
                        credit_date=today,
                        amount=amount * 1_000,
                        reason="rusak" if goods else "koreksi_harga",
                        lines=goods,
                        idempotency_key=f"prop-nk-{n:04d}",
                    )
                elif op[0] == "sell":
                    _, loc, kg = op
                    balance = inventory.lock_balances([rice.id], places[loc]).get(rice.id)
                    if balance is None:
                        continue
                    cost = inventory.cost_of(balance, kg)
                    entry = ledger.post(
                        ledger.NewEntry(
                            today,
                            "Penjualan uji",
                            "test",
                            None,
                            f"prop-sale-{n}",
                            [ledger.debit("5-1100", cost), ledger.credit("1-1500", cost)],
                        )
                    )
                    inventory.take(
                        balance,
                        kg,
                        kind=MoveKind.SALE,
                        on=today,
                        description="uji",
                        idempotency_key=f"prop-s-{n}",
                        user_id=None,
                        journal_entry_id=entry.id,
                    )
                    db.session.commit()
                elif op[0] == "transfer":
                    _, loc, kg = op
                    other = "gudang" if loc == "gerai" else "gerai"
                    inventory.transfer(rice.id, places[loc], places[other], kg, idempotency_key=f"prop-t-{n}")
            except DomainError:
                db.session.rollback()

        db.session.expire_all()
        assert ledger.account_balance("1-1500", today) == inventory.stock_value()
        assert inventory.balances_match_moves()
        report = service.aging()
        assert ledger.account_balance("2-1300", today) == report.total == service.payables_total()
        rows = service.supplier_ledger(buying.supplier.id)
        assert (rows[-1].balance if rows else 0) == sum(r.total for r in report.rows)
        assert all(i.outstanding >= 0 for i in db.session.scalars(select(SupplierInvoice)))
        assert all(
            0 <= line.returned <= line.quantity for line in db.session.scalars(select(GoodsReceiptLine))
        )
        assert all(r.unbilled >= 0 for r in service.receipts())
