"""The bendahara's pages of the cooperative's bank financing and the kesiapan pembiayaan pack, as
each role sees them; bad input gets 422 in Indonesian and writes nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.loans import bank
from erp.loans.models import BankLoan, BankLoanPayment
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.loans.conftest import set_up_office


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


FORM = {
    "bank": "BNI",
    "contract_number": "BNI/KOP/2026/001",
    "signed_on": "2026-02-01",
    "amount": "120.000.000",
    "rate_per_year": "6",
    "tenor": "12",
    "grace_months": "2",
    "method": "efektif",
    "purpose": "Modal kerja gerai",
}


def test_the_bendahara_records_receives_and_pays_a_bank_loan(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)  # its second checker is the bendahara
    base = f"/k/{coop.slug}/pembiayaan"
    client.login(_user(office.second_checker))
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "Catat perjanjian pinjaman bank" in page and 'value="72"' in page  # PMK 49 defaults
    bad = client.post(f"{base}/", {**FORM, "grace_months": "12", "bank": "Bank Lain"})
    assert bad.status_code == 422 and "Pilih bank Himbara" in bad.get_data(as_text=True)
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(BankLoan)) == 0
    created = client.post(f"{base}/", FORM)
    assert created.status_code == 302
    with tenant(coop.id):
        loan_id = db.session.scalar(select(BankLoan.id))
    assert client.post(f"{base}/{loan_id}/terima", {"received_on": "2026-01-01"}).status_code == 422
    assert client.post(f"{base}/{loan_id}/terima", {"received_on": "2026-02-03"}).status_code == 302
    page = client.get(f"{base}/{loan_id}").get_data(as_text=True)
    assert "Jadwal angsuran" in page and "Rp 600.000" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    over = client.post(f"{base}/{loan_id}/bayar", {"amount": "999.000.000", "idempotency_key": key})
    assert over.status_code == 422 and "Melebihi sisa kewajiban" in over.get_data(as_text=True)
    for _ in range(2):
        assert (
            client.post(f"{base}/{loan_id}/bayar", {"amount": "600.000", "idempotency_key": key}).status_code
            == 302
        )
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(BankLoanPayment)) == 1
        assert bank.outstanding() == 120_000_000


def test_who_may_see_and_change_the_bank_financing(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    pengawas = add_staff(coop, "pengawas")
    base = f"/k/{coop.slug}/pembiayaan"
    client.login(_user(office.teller))  # the kasir
    assert client.get(f"{base}/").status_code == 403
    client.login(pengawas)
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "Catat perjanjian" not in page
    assert client.post(f"{base}/", FORM).status_code == 403


def test_the_readiness_pack_is_a_page_a_pdf_and_a_spreadsheet(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    client.login(_user(office.checker))  # the ketua
    base = f"/k/{coop.slug}/pembiayaan/kesiapan"
    page = client.get(base).get_data(as_text=True)
    assert "Daftar periksa" in page and "Badan hukum (SK AHU)" in page and "Isi di Profil koperasi" in page
    pdf = client.get(f"{base}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xlsx = client.get(f"{base}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get(f"{base}.doc").status_code == 404
