"""Property: after any sequence of random baskets (discounts, split payments, kasbon), partial
returns (restocked or written off), voids and refused attempts, the books still hold together:
every entry balances, each sale's lines sum to its total and its payments to what was tendered,
revenue equals sales less refunds, Piutang Anggota equals the members' kasbon, the persediaan
account equals the stock's value, and every stock balance equals the sum of its moves."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import db
from core.errors import DomainError
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.pos import service
from erp.pos.models import MemberCredit, Payment, Sale, SaleLine, SaleReturn
from erp.pos.service import CartLine, ReturnRequest, Tender
from tests.erp.inventory.conftest import key
from tests.erp.membership.factories import make_member
from tests.erp.pos.conftest import PIN

TODAY = date.today()

line = st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(0, 3))  # product, quantity, discount step
sale_op = st.tuples(
    st.just("sale"),
    st.lists(line, min_size=1, max_size=5),
    st.sampled_from(["tunai", "qris", "split", "kredit", "kredit+tunai"]),
    st.integers(0, 2),  # basket discount step
    st.booleans(),  # to a member
)
return_op = st.tuples(
    st.just("return"), st.integers(0, 50), st.integers(0, 10), st.integers(1, 3), st.booleans()
)
void_op = st.tuples(st.just("void"), st.integers(0, 50))
ops = st.lists(st.one_of(sale_op, sale_op, return_op, void_op), min_size=1, max_size=8)


def _sum(column, *where) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def _check_invariants() -> None:
    rows = ledger.trial_balance(TODAY)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    for sale in db.session.scalars(select(Sale)):
        assert _sum(SaleLine.amount, SaleLine.sale_id == sale.id) == sale.total
        assert _sum(Payment.amount, Payment.sale_id == sale.id) == sale.paid
        assert sale.paid - sale.change == sale.total
    assert ledger.account_balance("4-2100", TODAY) == _sum(Sale.total) - _sum(SaleReturn.amount)
    assert ledger.account_balance("1-1120", TODAY) == _sum(MemberCredit.balance)
    assert ledger.account_balance("1-1500", TODAY) == inventory.stock_value()
    assert inventory.balances_match_moves()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_the_books_hold_after_any_mix_of_sales_returns_and_voids(counter, steps):
    shop = counter.shop
    if not hasattr(counter, "goods"):
        counter.goods = [shop.product(price=p, name=f"Barang {p}") for p in (13_000, 15_700, 2_500, 62_500)]
        for product in counter.goods:
            shop.receive(product, 40, product.price * 30)
        counter.member = make_member()
        service.update_settings(default_credit_limit=150_000, receipt_width=80)
    for step in steps:
        try:
            if step[0] == "sale":
                _, lines, pay, basket_step, to_member = step
                cart = [
                    CartLine(
                        counter.goods[i].id, q, None, d * 500 if d * 500 < q * counter.goods[i].price else 0
                    )
                    for i, q, d in lines
                ]
                gross = sum(
                    c.quantity * counter.goods[i].price - c.discount
                    for (i, _, _), c in zip(lines, cart, strict=True)
                )
                basket = basket_step * 300 if basket_step * 300 < gross - len(cart) else 0
                due = gross - basket
                member = counter.member.member_number if to_member or pay.startswith("kredit") else None
                tenders = {
                    "tunai": [Tender("tunai", due + 700)],
                    "qris": [Tender("qris", due, "QR-1")],
                    "split": [Tender("tunai", due // 2 + 1_000), Tender("transfer", due - due // 2, "TRF-1")],
                    "kredit": [Tender("kredit", due)],
                    "kredit+tunai": [Tender("kredit", due // 3), Tender("tunai", due - due // 3)],
                }[pay]
                service.checkout(
                    cart,
                    location_id=shop.gerai.id,
                    payments=[t for t in tenders if t.amount],
                    member_number=member,
                    basket_discount=basket,
                    may_discount=True,
                    supervisor_id=counter.supervisor.id,
                    supervisor_pin=PIN,
                    idempotency_key=key(),
                    kasir_id=counter.kasir.id,
                )
            else:
                sales = list(db.session.scalars(select(Sale).order_by(Sale.id)))
                if not sales:
                    continue
                sale = sales[step[1] % len(sales)]
                if step[0] == "void":
                    service.void_sale(
                        sale.id,
                        reason="uji",
                        kasir_id=counter.kasir.id,
                        supervisor_id=counter.supervisor.id,
                        supervisor_pin=PIN,
                        idempotency_key=key(),
                    )
                else:
                    _, _, line_pick, quantity, restock = step
                    lines_of = service.receipt(sale.id).lines
                    chosen = lines_of[line_pick % len(lines_of)][0]
                    service.return_items(
                        sale.id,
                        [ReturnRequest(chosen.id, quantity, restock)],
                        reason="uji",
                        kasir_id=counter.kasir.id,
                        supervisor_id=counter.supervisor.id,
                        supervisor_pin=PIN,
                        idempotency_key=key(),
                    )
        except DomainError:
            pass  # a refusal (stock, limit, already returned…) must leave the books as they were
        _check_invariants()
