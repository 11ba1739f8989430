"""The loan card's payoff, savings deduction, restructuring and hapus buku through the pages, as
each role sees them; bad input gets 422 in Indonesian and writes nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.loans import restructure, service
from erp.loans.models import Repayment, Restructuring
from erp.savings import service as savings
from erp.savings.models import ProductKind
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.loans.conftest import key, set_up_office


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _keys(page: str) -> list[str]:
    return re.findall(r'name="idempotency_key" value="([^"]+)"', page)


def _running_loan(days_ago: int = 10):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        loan = office.apply()
        service.approve(loan.id, by=office.checker)
        service.disburse(loan.id, by=office.teller, on=date.today() - timedelta(days=days_ago))
    return coop, office, loan


def _count(coop, model) -> int:
    with tenant(coop.id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_teller_pays_off_a_loan_from_its_card(app, client):
    coop, office, loan = _running_loan()
    client.login(_user(office.teller))
    url = f"/k/{coop.slug}/pinjaman/{loan.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Pelunasan dipercepat" in page and "Jumlah pelunasan hari ini" in page
    with tenant(coop.id):
        total = restructure.payoff_quote(loan.id, date.today()).total
    payoff_key = _keys(page)[1]  # the desk's repayment form comes first
    response = client.post(f"{url}/lunasi", {"idempotency_key": payoff_key})
    assert response.status_code == 302
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_loan(loan.id).status == "lunas"
        assert db.session.scalar(select(Repayment.amount)) == total
    page = client.get(url).get_data(as_text=True)
    assert "Jadwal sebelumnya" in page and "Pelunasan dipercepat" in page


def test_a_bad_partial_prepayment_is_422_in_indonesian_and_writes_nothing(app, client):
    coop, office, loan = _running_loan()
    client.login(_user(office.teller))
    url = f"/k/{coop.slug}/pinjaman/{loan.id}"
    page = client.get(url).get_data(as_text=True)
    k = _keys(page)[2]
    small = client.post(f"{url}/lunasi-sebagian", {"amount": "1.000", "mode": "tenor", "idempotency_key": k})
    assert small.status_code == 422 and "Jumlah harus lebih dari kewajiban jatuh tempo" in small.get_data(
        as_text=True
    )
    nomode = client.post(f"{url}/lunasi-sebagian", {"amount": "3.000.000", "idempotency_key": k})
    assert nomode.status_code == 422 and "Pilih: tenor lebih pendek" in nomode.get_data(as_text=True)
    assert _count(coop, Repayment) == 0
    ok = client.post(
        f"{url}/lunasi-sebagian", {"amount": "3.000.000", "mode": "angsuran", "idempotency_key": k}
    )
    assert ok.status_code == 302
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_loan(loan.id).schedule_version == 2


def test_a_deduction_from_savings_over_the_balance_is_refused(app, client):
    coop, office, loan = _running_loan()
    with tenant(coop.id):
        savings.install_products()
        db.session.commit()
        account = savings.account_for(loan.member_id, ProductKind.SUKARELA)
        db.session.commit()
        savings.open_shift(office.teller, 0)
        savings.deposit(account.id, 100_000, idempotency_key=key(), teller_id=office.teller)
    client.login(_user(office.teller))
    url = f"/k/{coop.slug}/pinjaman/{loan.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Bayar dari simpanan sukarela" in page and "Rp 100.000" in page
    k = _keys(page)[-1]
    over = client.post(f"{url}/potong-simpanan", {"amount": "150.000", "idempotency_key": k})
    assert over.status_code == 422 and "Saldo tidak cukup" in over.get_data(as_text=True)
    assert _count(coop, Repayment) == 0
    assert (
        client.post(f"{url}/potong-simpanan", {"amount": "90.000", "idempotency_key": k}).status_code == 302
    )
    with tenant(coop.id):
        assert savings.get_account(account.id).balance == 10_000
        assert db.session.scalar(select(Repayment.channel)) == "simpanan"


def test_a_restructuring_is_proposed_by_the_manager_and_approved_by_the_ketua(app, client):
    coop, office, loan = _running_loan(days_ago=130)
    url = f"/k/{coop.slug}/pinjaman/{loan.id}"
    client.login(_user(office.teller))
    assert "Usulkan restrukturisasi" not in client.get(url).get_data(as_text=True)
    forbidden = client.post(
        f"{url}/restrukturisasi", {"tenor": "24", "rate_per_month": "1", "method": "anuitas", "reason": "x"}
    )
    assert forbidden.status_code == 403
    client.login(_user(office.maker))
    form = {"tenor": "24", "rate_per_month": "1", "method": "anuitas", "reason": " "}
    bad = client.post(f"{url}/restrukturisasi", form)
    assert bad.status_code == 422 and "Alasan wajib diisi" in bad.get_data(as_text=True)
    assert client.post(f"{url}/restrukturisasi", {**form, "reason": "Gagal panen"}).status_code == 302
    waiting = client.get(url).get_data(as_text=True)
    assert "menunggu persetujuan orang lain" in waiting and "Usulkan restrukturisasi" not in waiting
    own = client.post(f"/k/{coop.slug}/pinjaman/perubahan/restrukturisasi/1/setujui")
    assert own.status_code == 422 and "orang lain" in own.get_data(as_text=True)
    client.login(_user(office.checker))
    queue = client.get(f"/k/{coop.slug}/pinjaman/perubahan").get_data(as_text=True)
    assert "Gagal panen" in queue and "Jika disetujui hari ini" in queue
    with tenant(coop.id):
        proposal_id = db.session.scalar(select(Restructuring.id))
    done = client.post(f"/k/{coop.slug}/pinjaman/perubahan/restrukturisasi/{proposal_id}/setujui")
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Riwayat perubahan" in page and "Versi 1" in page and "Kurang lancar" in page


def test_the_write_off_register_lists_written_off_loans(app, client):
    coop, office, loan = _running_loan(days_ago=400)
    with tenant(coop.id):
        proposal = restructure.propose_write_off(loan.id, reason="Pindah ke luar pulau", by=office.maker)
        restructure.approve_write_off(proposal.id, by=office.checker)
    client.login(_user(office.teller))
    page = client.get(f"/k/{coop.slug}/pinjaman/hapus-buku").get_data(as_text=True)
    assert "Pindah ke luar pulau" in page and "Rp 10.000.000" in page
    card = client.get(f"/k/{coop.slug}/pinjaman/{loan.id}").get_data(as_text=True)
    k = _keys(card)[-1]
    over = client.post(
        f"/k/{coop.slug}/pinjaman/{loan.id}/pemulihan", {"amount": "99.000.000", "idempotency_key": k}
    )
    assert over.status_code == 422 and "Melebihi sisa tagihan" in over.get_data(as_text=True)
    ok = client.post(
        f"/k/{coop.slug}/pinjaman/{loan.id}/pemulihan", {"amount": "250.000", "idempotency_key": k}
    )
    assert ok.status_code == 302
    assert "Rp 250.000" in client.get(f"/k/{coop.slug}/pinjaman/hapus-buku").get_data(as_text=True)
