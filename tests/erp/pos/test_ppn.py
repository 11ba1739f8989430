"""PPN at the gerai: a PKP cooperative's counter prices include PPN on taxable goods (not on exempt
staples); it is computed once on the sale's taxable total, credited to Utang PPN Keluaran, mirrored
by a void and given back exactly by returns; a cooperative that is not a PKP never charges it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from core.db import db
from core.models import AuditEntry, User
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry, JournalLine
from erp.pos import service
from erp.pos.models import ReturnLine, Sale, SaleLine, SaleReturn
from erp.pos.service import CartLine, ReturnRequest
from tenants import service as tenants
from tenants.context import tenant
from tenants.models import LegalData
from tests.conftest import add_staff, make_cooperative, make_user
from tests.erp.inventory.conftest import key, set_up_shop
from tests.erp.pos.conftest import PIN

TODAY = date.today()
NPWP = "0123456789012345"
PPN = "2-1311"
SALES = "4-2100"


def _make_pkp(rate: int | None = None, since: date = date(2025, 1, 1)) -> LegalData:
    values = {"npwp": NPWP, "pkp": True, "pkp_since": since}
    if rate is not None:
        values["ppn_rate"] = rate
    return tenants.save_legal_data(values)


def _sell(counter, lines, **kw):
    return service.checkout(
        lines,
        location_id=counter.shop.gerai.id,
        idempotency_key=kw.pop("key", key()),
        kasir_id=kw.pop("kasir_id", counter.kasir.id),
        payment_method=kw.pop("payment_method", "tunai"),
        **kw,
    )


def _stocked(counter, price: int, *, taxed: bool, quantity: int = 50, name: str | None = None):
    product = counter.shop.product(
        price=price, kena_ppn=taxed, name=name or ("Sabun Mandi" if taxed else "Beras Medium")
    )
    counter.shop.receive(product, quantity, price * quantity // 2)
    return product


def _balance(code: str) -> int:
    return ledger.account_balance(code, TODAY)


def _entry_balances(entry_id: int) -> bool:
    debit, credit = db.session.execute(
        select(func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
            JournalLine.entry_id == entry_id
        )
    ).one()
    return debit == credit


# --- the arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "rate", "expected"),
    [
        (10_000, 1100, 991),  # 10.000 × 11 / 111 = 990,99…
        (11_100, 1100, 1_100),
        (5_550, 1100, 550),
        (14, 1200, 2),  # 14 × 12 / 112 = 1,5: half up
        (13, 1200, 1),  # 1,39…
        (1, 1100, 0),
    ],
)
def test_ppn_is_the_inclusive_share_of_the_gross_rounded_half_up(shop, gross, rate, expected):
    soap = shop.product(price=gross, kena_ppn=True)
    base, ppn, lines = service._ppn([(soap, 1, gross, 0)], [gross], rate)
    assert (base, ppn, lines) == (gross, expected, [expected])


def test_ppn_is_computed_once_on_the_taxable_total_and_shared_so_the_lines_add_up(shop):
    a, b, c = (shop.product(price=p, kena_ppn=t) for p, t in ((3_333, True), (3_333, True), (20_000, False)))
    base, ppn, lines = service._ppn(
        [(a, 1, 3_333, 0), (b, 1, 3_333, 0), (c, 1, 20_000, 0)], [3_333, 3_333, 20_000], 1100
    )
    assert base == 6_666
    # once on the total: 6.666 × 11/111 = 660,6 → 661; line by line it would be 330 + 330 = 660
    assert ppn == 661 and sum(lines) == 661 and lines[2] == 0
    assert service._ppn([(a, 1, 3_333, 0)], [3_333], None) == (0, 0, [0])


# --- checkout --------------------------------------------------------------------------------------


def test_a_pkp_sale_takes_ppn_out_of_taxable_lines_only_and_books_it_as_a_liability(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True)
    rice = _stocked(counter, 13_000, taxed=False)
    sale = _sell(counter, [CartLine(soap.id, 1), CartLine(rice.id, 2)], paid=50_000)
    assert (sale.total, sale.ppn_base, sale.ppn, sale.ppn_rate) == (36_000, 10_000, 991, 1100)
    lines = {line.product_id: line for line in db.session.scalars(select(SaleLine))}
    assert lines[soap.id].ppn == 991 and lines[rice.id].ppn == 0
    assert _balance(PPN) == 991
    assert _balance(SALES) == 36_000 - 991
    assert _entry_balances(sale.journal_entry_id)
    assert service.sales_on(TODAY) == (1, 36_000)  # what the villager paid is unchanged


def test_a_cooperative_that_is_not_pkp_never_charges_ppn_whatever_the_flag(counter):
    soap = _stocked(counter, 10_000, taxed=True)
    sale = _sell(counter, [CartLine(soap.id, 1)])
    assert (sale.ppn, sale.ppn_base, sale.ppn_rate) == (0, 0, None)
    assert _balance(SALES) == 10_000
    # an NPWP alone does not make a PKP, and a PKP charges only from its PKP date on
    tenants.save_legal_data({"npwp": NPWP})
    assert _sell(counter, [CartLine(soap.id, 1)]).ppn == 0
    _make_pkp(since=TODAY + timedelta(days=1))
    assert _sell(counter, [CartLine(soap.id, 1)]).ppn == 0
    assert _sell(counter, [CartLine(soap.id, 1)], on=TODAY + timedelta(days=1)).ppn == 991


def test_a_pkp_sale_of_exempt_staples_only_carries_no_ppn(counter):
    _make_pkp()
    rice = _stocked(counter, 13_000, taxed=False)
    sale = _sell(counter, [CartLine(rice.id, 3)])
    assert (sale.ppn, sale.ppn_base, sale.ppn_rate) == (0, 0, 1100)
    assert _balance(SALES) == 39_000


def test_discounts_lower_the_taxable_base_and_the_entry_still_balances(counter):
    _make_pkp()
    soap = _stocked(counter, 3_333, taxed=True)
    snack = _stocked(counter, 7_777, taxed=True, name="Keripik")
    rice = _stocked(counter, 12_500, taxed=False)
    sale = _sell(
        counter,
        [CartLine(soap.id, 3, discount=999), CartLine(snack.id, 2), CartLine(rice.id, 1)],
        basket_discount=1_001,
        may_discount=True,
    )
    lines = list(db.session.scalars(select(SaleLine).order_by(SaleLine.id)))
    taxable = lines[0].amount + lines[1].amount
    assert sale.ppn_base == taxable
    assert sale.ppn == int((Decimal(taxable) * 1100 / 11100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert sum(line.ppn for line in lines) == sale.ppn and lines[2].ppn == 0
    assert _balance(PPN) + _balance(SALES) == sale.total
    assert _entry_balances(sale.journal_entry_id)


def test_the_rate_saved_by_the_cooperative_is_used(counter):
    _make_pkp(rate=1200)
    soap = _stocked(counter, 11_200, taxed=True)
    assert _sell(counter, [CartLine(soap.id, 1)]).ppn == 1_200


def test_a_pkp_checkout_sends_no_more_statements_than_one_that_is_not(counter):
    products = [_stocked(counter, 10_000 + i, taxed=i % 2 == 0) for i in range(5)]
    counts = []
    for pkp in (False, True):
        if pkp:
            _make_pkp()
        seen: list[str] = []

        def record(conn, cursor, statement, *args, seen=seen):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            sale = _sell(counter, [CartLine(p.id, 1) for p in products])
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert (sale.ppn > 0) == pkp
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_repeated_pkp_checkout_is_applied_once(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True)
    first = _sell(counter, [CartLine(soap.id, 1)], key="ppn-once")
    again = _sell(counter, [CartLine(soap.id, 1)], key="ppn-once")
    assert again.id == first.id and _balance(PPN) == 991


# --- voids and returns ---------------------------------------------------------------------------


def test_a_void_gives_back_the_whole_ppn(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True)
    rice = _stocked(counter, 13_000, taxed=False)
    sale = _sell(counter, [CartLine(soap.id, 2), CartLine(rice.id, 1)])
    voided = service.void_sale(
        sale.id,
        reason="salah input",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    assert voided.ppn == sale.ppn == 1_982
    assert sum(r.ppn for r in db.session.scalars(select(ReturnLine))) == sale.ppn
    assert _balance(PPN) == 0 and _balance(SALES) == 0
    assert _entry_balances(voided.journal_entry_id)


def test_several_partial_returns_give_back_exactly_the_ppn_of_the_sale(counter):
    _make_pkp()
    soap = _stocked(counter, 1_430, taxed=True)
    snack = _stocked(counter, 2_999, taxed=True, name="Keripik")
    rice = _stocked(counter, 13_000, taxed=False)
    sale = _sell(
        counter,
        [CartLine(soap.id, 7), CartLine(snack.id, 3), CartLine(rice.id, 2)],
        basket_discount=777,
        may_discount=True,
    )
    lines = {line.product_id: line for line in db.session.scalars(select(SaleLine))}
    rounds = [
        [(soap, 2), (snack, 1)],
        [(soap, 2), (rice, 1)],
        [(snack, 2), (soap, 1)],
        [(soap, 2), (rice, 1)],
    ]
    given_back = 0
    for i, items in enumerate(rounds):
        returned = service.return_items(
            sale.id,
            [ReturnRequest(lines[p.id].id, q, restock=i % 2 == 0) for p, q in items],
            reason="rusak",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.supervisor.id,
            supervisor_pin=PIN,
            idempotency_key=key(),
        )
        assert _entry_balances(returned.journal_entry_id)
        given_back += returned.ppn
        assert _balance(PPN) == sale.ppn - given_back
    assert given_back == sale.ppn
    for product in (soap, snack, rice):
        back = db.session.scalar(
            select(func.sum(ReturnLine.ppn)).where(ReturnLine.sale_line_id == lines[product.id].id)
        )
        assert back == lines[product.id].ppn
    assert _balance(PPN) == 0 and _balance(SALES) == 0


def test_a_partial_return_gives_back_ppn_in_proportion(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True)
    sale = _sell(counter, [CartLine(soap.id, 3)])  # 30.000: PPN 2.973 (2.972,97)
    line = db.session.scalar(select(SaleLine))
    returned = service.return_items(
        sale.id,
        [ReturnRequest(line.id, 1)],
        reason="kemasan sobek",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    assert sale.ppn == 2_973 and returned.amount == 10_000 and returned.ppn == 991
    assert _balance(SALES) == (30_000 - 2_973) - (10_000 - 991)


# --- Z report and receipts ---------------------------------------------------------------------


def test_the_z_report_shows_ppn_collected_per_kasir_and_for_the_gerai(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True)
    other = add_staff(counter.shop.coop, "kasir", user=make_user("Budi Santoso"))
    service.open_shift(kasir_id=other.id, location_id=counter.shop.gerai.id, opening_float=0)
    first = _sell(counter, [CartLine(soap.id, 1)])
    _sell(counter, [CartLine(soap.id, 2)], kasir_id=other.id)
    line = db.session.scalar(select(SaleLine).where(SaleLine.sale_id == first.id))
    service.return_items(
        first.id,
        [ReturnRequest(line.id, 1)],
        reason="rusak",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    report = service.z_report(TODAY)
    rows = {row.label: row for row in report.kasir}
    mine, theirs = rows[counter.kasir.name], rows[other.name]
    assert mine.label != theirs.label
    assert (mine.ppn, mine.ppn_returned) == (991, 991)
    assert (theirs.ppn, theirs.ppn_returned) == (1_982, 0)
    assert (report.gerai.ppn, report.gerai.ppn_returned) == (2_973, 991)
    assert report.gerai.ppn - report.gerai.ppn_returned == _balance(PPN)


def _counter_page(client, pkp: bool):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        if pkp:
            _make_pkp()
        soap = shop.product(code="SBN-1", name="Sabun Mandi", price=10_000, kena_ppn=True)
        rice = shop.product(code="BRS-1", name="Beras Medium", price=13_000)
        shop.receive(soap, 10, 50_000)
        shop.receive(rice, 10, 100_000)
        shift = service.open_shift(kasir_id=kasir.id, location_id=shop.gerai.id, opening_float=0)
        sale = service.checkout(
            [CartLine(soap.id, 1), CartLine(rice.id, 1)],
            location_id=shop.gerai.id,
            idempotency_key=key(),
            kasir_id=kasir.id,
            payment_method="tunai",
        )
        assert sale.shift_id == shift.id
    client.login(db.session.get(User, kasir.id))
    return coop, sale


def test_the_receipt_of_a_pkp_sale_shows_dpp_ppn_and_the_npwp(app, client):
    coop, sale = _counter_page(client, pkp=True)
    page = client.get(f"/k/{coop.slug}/kasir/struk/{sale.id}").get_data(as_text=True)
    assert NPWP in page and "DPP" in page and "PPN 11%" in page
    assert "9.009" in page and "991" in page and "23.000" in page
    assert "Sabun Mandi *" in page and "Beras Medium *" not in page
    pdf = client.get(f"/k/{coop.slug}/kasir/struk/{sale.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    z = client.get(f"/k/{coop.slug}/kasir/laporan-z").get_data(as_text=True)
    assert "PPN keluaran" in z and "991" in z
    z_pdf = client.get(f"/k/{coop.slug}/kasir/laporan-z.pdf")
    assert z_pdf.status_code == 200 and z_pdf.data.startswith(b"%PDF")


def test_the_receipt_of_a_cooperative_that_is_not_pkp_shows_no_tax_lines(app, client):
    coop, sale = _counter_page(client, pkp=False)
    page = client.get(f"/k/{coop.slug}/kasir/struk/{sale.id}").get_data(as_text=True)
    assert "DPP" not in page and "PPN" not in page and "NPWP" not in page
    assert "23.000" in page
    z = client.get(f"/k/{coop.slug}/kasir/laporan-z").get_data(as_text=True)
    assert "PPN keluaran" not in z


# --- the setting and the flag --------------------------------------------------------------------


def test_a_pkp_without_an_npwp_is_refused_and_nothing_changes(shop):
    tenants.save_legal_data({"nib": "1234567890123"})
    with pytest.raises(tenants.LegalDataRefused) as err:
        tenants.save_legal_data({"nib": "1234567890123", "pkp": True, "pkp_since": date(2025, 1, 1)})
    assert "NPWP" in str(err.value.message) and "npwp" in err.value.fields
    legal = tenants.legal_data()
    assert legal is not None and legal.pkp is False and legal.npwp is None
    assert tenants.tax_status().pkp is False


def test_a_pkp_needs_its_date_and_a_sensible_rate(shop):
    with pytest.raises(tenants.LegalDataRefused) as err:
        tenants.save_legal_data({"npwp": NPWP, "pkp": True})
    assert "pkp_since" in err.value.fields
    for rate in (0, 2501, -1100):
        with pytest.raises(tenants.LegalDataRefused) as err:
            tenants.save_legal_data({"npwp": NPWP, "pkp": True, "pkp_since": TODAY, "ppn_rate": rate})
        assert "ppn_rate" in err.value.fields
    assert tenants.legal_data() is None


def test_becoming_pkp_is_audited_and_adds_the_ppn_account(shop):
    legal = _make_pkp()
    assert (legal.pkp, legal.pkp_since, legal.ppn_rate) == (True, date(2025, 1, 1), 1100)
    status = tenants.tax_status()
    assert status.pkp and status.rate == 1100 and status.npwp == NPWP
    assert tenants.ppn_percent(1100) == "11" and tenants.ppn_percent(1150) == "11,5"
    assert _balance(PPN) == 0  # the account exists
    change = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "legal_data_changed"))
    assert change.after["pkp"] is True and change.after["ppn_rate"] == 1100


def test_the_kena_ppn_flag_is_set_on_the_product_and_audited(shop):
    soap = shop.product(price=5_000)
    assert soap.kena_ppn is False
    assert inventory.set_kena_ppn(soap.id, True).kena_ppn is True
    with pytest.raises(inventory.InvalidInventory):
        inventory.set_kena_ppn(soap.id, "ya")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inventory.product_tax_changed"))
    assert entry.before == {"kena_ppn": False} and entry.after == {"kena_ppn": True}


def test_the_profile_form_saves_pkp_with_the_npwp_and_refuses_it_without(app, client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    client.login(db.session.get(User, ketua.id))
    url = f"/k/{coop.slug}/profil"
    page = client.get(url).get_data(as_text=True)
    assert 'name="pkp"' in page and 'name="ppn_rate"' in page
    refused = client.post(url, {"section": "legal", "pkp": "1", "pkp_since": "2025-01-01", "ppn_rate": "11"})
    assert refused.status_code == 422 and "wajib punya NPWP" in refused.get_data(as_text=True)
    bad = client.post(
        url, {"section": "legal", "npwp": NPWP, "pkp": "1", "pkp_since": "2025-01-01", "ppn_rate": "11,123"}
    )
    assert bad.status_code == 422
    saved = client.post(
        url, {"section": "legal", "npwp": NPWP, "pkp": "1", "pkp_since": "2025-01-01", "ppn_rate": "11"}
    )
    assert saved.status_code in (302, 303)
    with tenant(coop.id):
        legal = tenants.legal_data()
        assert legal is not None and legal.pkp and legal.ppn_rate == 1100
    again = client.get(url).get_data(as_text=True)
    assert 'name="pkp" value="1" checked' in again and 'value="11"' in again


def test_the_stock_card_sets_the_flag(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    manajer = add_staff(coop, "manajer")
    with tenant(coop.id):
        soap = shop.product(price=5_000)
    client.login(db.session.get(User, manajer.id))
    card = client.get(f"/k/{coop.slug}/gudang/barang/{soap.id}").get_data(as_text=True)
    assert "Kena PPN" in card and "belum PKP" in card
    done = client.post(f"/k/{coop.slug}/gudang/barang/{soap.id}/ppn", {"kena_ppn": "1"})
    assert done.status_code == 303
    with tenant(coop.id):
        assert db.session.scalar(select(Sale.id)) is None
        db.session.expire_all()
        assert inventory.get_product(soap.id).kena_ppn is True
    added = client.post(
        f"/k/{coop.slug}/gudang/barang",
        {
            "code": "SNK-1",
            "name": "Keripik",
            "category": "makanan",
            "unit": "pcs",
            "price": "5000",
            "kena_ppn": "1",
        },
    )
    assert added.status_code == 303
    with tenant(coop.id):
        assert inventory.lookup_code("SNK-1") is not None


def test_nothing_of_ppn_is_in_the_books_of_a_sale_refused(counter):
    _make_pkp()
    soap = _stocked(counter, 10_000, taxed=True, quantity=1)
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(service.OutOfStock):
        _sell(counter, [CartLine(soap.id, 2)])
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert db.session.scalar(select(func.count()).select_from(SaleReturn)) == 0
