from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.loans import service
from erp.loans.models import Loan, Repayment
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.loans.conftest import set_up_office
from tests.erp.membership.factories import make_member


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def test_an_application_is_made_approved_disbursed_and_repaid_through_the_pages(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        member = make_member()
    base = f"/k/{coop.slug}/pinjaman"
    client.login(_user(office.maker))
    assert client.get(f"{base}/ajukan").status_code == 200
    form = {
        "member_id": str(member.id),
        "product_id": str(office.product.id),
        "amount": "10.000.000",
        "tenor": "12",
        "purpose": "Modal warung",
    }
    assert client.post(f"{base}/ajukan", form).status_code == 302
    with tenant(coop.id):
        loan = db.session.scalar(select(Loan))
    own = client.post(f"{base}/{loan.id}/setujui")
    assert own.status_code == 422 and "orang lain" in own.get_data(as_text=True)
    client.login(_user(office.checker))
    assert "Modal warung" in client.get(f"{base}/persetujuan").get_data(as_text=True)
    assert client.post(f"{base}/{loan.id}/setujui").status_code == 302
    client.login(_user(office.teller))
    assert client.post(f"{base}/{loan.id}/cairkan").status_code == 302
    page = client.get(f"{base}/{loan.id}").get_data(as_text=True)
    assert "Jadwal angsuran" in page and "Rp 833.337" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"amount": "500.000", "idempotency_key": key}
    assert client.post(f"{base}/{loan.id}/bayar", form).status_code == 302
    assert client.post(f"{base}/{loan.id}/bayar", form).status_code == 302
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Repayment)) == 1
        assert service.outstanding_portfolio() == 10_000_000 - 350_000  # 150.000 jasa first
    assert client.get(f"{base}/").status_code == 200
    quality = client.get(f"{base}/kualitas?per=2026-01-01").get_data(as_text=True)
    assert "PAR 30" in quality and "NPL" in quality


def test_bad_applications_get_422_in_indonesian_and_write_nothing(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        member = make_member()
    client.login(_user(office.maker))
    base = f"/k/{coop.slug}/pinjaman"
    good = {"member_id": str(member.id), "product_id": str(office.product.id), "purpose": "Modal"}
    over = client.post(f"{base}/ajukan", {**good, "amount": "90.000.000", "tenor": "12"})
    assert over.status_code == 422 and "Melebihi plafon" in over.get_data(as_text=True)
    bad = client.post(f"{base}/ajukan", {**good, "amount": "1,5", "tenor": "0"})
    assert bad.status_code == 422 and "rupiah bulat" in bad.get_data(as_text=True)
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Loan)) == 0


def test_a_refusal_without_a_reason_is_422_and_the_loan_stays_applied(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        loan = office.apply()
    client.login(_user(office.checker))
    response = client.post(f"/k/{coop.slug}/pinjaman/{loan.id}/tolak", {"reason": " "})
    assert response.status_code == 422 and "Alasan penolakan wajib diisi" in response.get_data(as_text=True)
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_loan(loan.id).status == "diajukan"


def test_the_product_page_creates_a_product_and_refuses_bad_rates(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    client.login(_user(office.maker))
    url = f"/k/{coop.slug}/pinjaman/produk"
    assert client.get(url).status_code == 200
    form = {
        "code": "PJ-MUSIM",
        "name": "Pinjaman Musim Tanam",
        "method": "anuitas",
        "rate_per_month": "1,25",
        "max_tenor": "12",
        "max_amount": "5.000.000",
        "active": "true",
    }
    assert client.post(url, {**form, "rate_per_month": "150"}).status_code == 422
    assert client.post(url, {**form, "rate_per_month": "1.25"}).status_code == 302
    with tenant(coop.id):
        assert [p.code for p in service.products()] == ["PJ-MUSIM", "PJ-UMUM"]
