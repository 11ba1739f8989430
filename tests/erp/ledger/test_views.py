"""The books' pages and API as people use them: who may do what, bad input, and the maker-checker
round trip from the bendahara's form to the ketua's approval."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.auth import issue_api_token
from core.db import db
from erp.ledger import service
from erp.ledger.models import JournalEntry, LedgerAccount, ManualEntry
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.ledger.conftest import install_books


@pytest.fixture
def coop(app):
    coop = make_cooperative()
    install_books(coop)
    return coop


def _in(coop, fn):
    with tenant(coop.id):
        try:
            return fn()
        finally:
            db.session.rollback()


def _count(coop, model) -> int:
    return _in(coop, lambda: db.session.scalar(select(func.count()).select_from(model)))


def _journal_form(key: str = "k-1", amount: str = "1.500.000") -> dict[str, str]:
    return {
        "entry_date": "2025-03-10",
        "description": "Setoran simpanan wajib Maret",
        "idempotency_key": key,
        "line-0-account_code": "1-1100",
        "line-0-debit": amount,
        "line-1-account_code": "3-2000",
        "line-1-credit": amount,
        "line-1-memo": "anggota A-001",
    }


def test_every_page_of_the_books_opens_for_the_ketua(coop, client):
    client.login(add_staff(coop, "ketua"))
    kas_id = _in(
        coop, lambda: db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == "1-1100"))
    )
    base = f"/k/{coop.slug}/buku"
    for path in (
        "/",
        "/akun",
        f"/akun/{kas_id}",
        "/jurnal",
        "/jurnal/baru",
        "/periode",
        "/pengaturan",
        "/kas",
        "/neraca-saldo",
        "/kas?dari=2025-01-01&sampai=2025-12-31",
        "/neraca-saldo?per=2025-06-30",
    ):
        response = client.get(base + path)
        assert response.status_code == (403 if path == "/jurnal/baru" else 200), path
    assert "Pembukuan" in client.get(f"/k/{coop.slug}/").get_data(as_text=True)


def test_the_bendahara_makes_a_journal_and_the_ketua_approves_and_posts_it(coop, make_client):
    bendahara, ketua = add_staff(coop, "bendahara"), add_staff(coop, "ketua")
    maker = make_client()
    maker.login(bendahara)
    maker.get(f"/k/{coop.slug}/buku/jurnal/baru")
    response = maker.post(f"/k/{coop.slug}/buku/jurnal/baru", _journal_form())
    assert response.status_code == 302
    again = maker.post(f"/k/{coop.slug}/buku/jurnal/baru", _journal_form())  # double click
    assert again.status_code == 302 and again.location == response.location
    entry_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    page = maker.get(response.location).get_data(as_text=True)
    assert "Rp 1.500.000" in page and "Menunggu persetujuan" in page
    assert maker.post(response.location, {"approve": "1"}).status_code == 403  # bendahara cannot approve

    checker = make_client()
    checker.login(ketua)
    assert checker.post(f"/k/{coop.slug}/buku/jurnal/{entry_id}", {"approve": "1"}).status_code == 302
    assert "Diposting" in checker.get(f"/k/{coop.slug}/buku/jurnal/{entry_id}").get_data(as_text=True)
    assert _count(coop, JournalEntry) == 1
    assert _in(coop, lambda: service.account_balance("3-2000", date(2025, 3, 31))) == 1_500_000
    assert "Rp 1.500.000" in checker.get(f"/k/{coop.slug}/buku/neraca-saldo?per=2025-03-31").get_data(
        as_text=True
    )


def test_a_bad_journal_form_is_shown_again_with_indonesian_messages_and_writes_nothing(coop, client):
    client.login(add_staff(coop, "bendahara"))
    client.get(f"/k/{coop.slug}/buku/jurnal/baru")
    form = {**_journal_form(amount="1.500.000"), "line-1-credit": "1.400.000", "entry_date": "kemarin"}
    response = client.post(f"/k/{coop.slug}/buku/jurnal/baru", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tanggal tidak sah" in body
    form = {**_journal_form(), "line-1-credit": "1.400.000"}
    body = client.post(f"/k/{coop.slug}/buku/jurnal/baru", form).get_data(as_text=True)
    assert "Jurnal tidak seimbang: debit Rp 1.500.000, kredit Rp 1.400.000." in body
    form = {**_journal_form(), "line-0-debit": "1,5"}
    assert "rupiah bulat" in client.post(f"/k/{coop.slug}/buku/jurnal/baru", form).get_data(as_text=True)
    assert _count(coop, ManualEntry) == 0


def test_the_pengawas_reads_the_books_but_changes_nothing(coop, client):
    client.login(add_staff(coop, "pengawas"))
    assert client.get(f"/k/{coop.slug}/buku/akun").status_code == 200
    response = client.post(
        f"/k/{coop.slug}/buku/akun", {"code": "1-1101", "name": "Kas Kecil", "type": "asset"}
    )
    assert response.status_code == 403
    assert client.post(f"/k/{coop.slug}/buku/periode", {"year": "2025", "month": "1"}).status_code == 403
    assert client.get(f"/k/{coop.slug}/buku/jurnal/baru").status_code == 403


def test_a_kasir_does_not_see_the_books(coop, client):
    client.login(add_staff(coop, "kasir"))
    assert client.get(f"/k/{coop.slug}/buku/").status_code == 403
    assert "Pembukuan" not in client.get(f"/k/{coop.slug}/").get_data(as_text=True)


def test_accounts_are_added_renamed_and_refused_with_field_messages(coop, client):
    client.login(add_staff(coop, "bendahara"))
    client.get(f"/k/{coop.slug}/buku/akun")
    response = client.post(
        f"/k/{coop.slug}/buku/akun", {"code": "1-1101", "name": "Kas Kecil", "type": "asset"}
    )
    assert response.status_code == 302
    bad = client.post(f"/k/{coop.slug}/buku/akun", {"code": "11-01", "name": "", "type": "aset"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Kode akun tidak sah" in body and "Wajib diisi" in body
    dup = client.post(f"/k/{coop.slug}/buku/akun", {"code": "1-1101", "name": "Kas Lagi", "type": "asset"})
    assert dup.status_code == 422 and "sudah dipakai" in dup.get_data(as_text=True)
    account_id = _in(
        coop, lambda: db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == "1-1101"))
    )
    url = f"/k/{coop.slug}/buku/akun/{account_id}"
    client.get(url)
    assert client.post(url, {"action": "rename", "name": "Kas Kecil Kantor"}).status_code == 302
    assert client.post(url, {"action": "deactivate"}).status_code == 302
    assert "Kas Kecil Kantor" in client.get(url).get_data(as_text=True)
    assert _in(coop, lambda: db.session.get(LedgerAccount, account_id).active) is False


def test_the_ketua_closes_a_month_and_the_year_and_saves_the_settings(coop, client):
    client.login(add_staff(coop, "ketua"))
    client.get(f"/k/{coop.slug}/buku/periode?tahun=2025")
    assert client.post(f"/k/{coop.slug}/buku/periode", {"year": "2025", "month": "13"}).status_code == 422
    assert client.post(f"/k/{coop.slug}/buku/periode", {"year": "2025", "month": "1"}).status_code == 302
    assert client.post(f"/k/{coop.slug}/buku/periode", {"year": "2025", "close_year": "1"}).status_code == 302
    assert all(p.closed_at for p in _in(coop, lambda: service.periods_of(2025)))
    client.get(f"/k/{coop.slug}/buku/pengaturan")
    form = {
        "approval_threshold": "5.000.000",
        "equity_basis": "year_end",
        "shu_cadangan": "40",
        "shu_jasa_modal": "15",
        "shu_jasa_usaha": "25",
        "shu_pembangunan_desa": "20",
        "shu_pengurus": "4",
        "shu_karyawan": "3",
        "shu_pendidikan": "2",
        "shu_sosial": "1",
    }
    bad = client.post(f"/k/{coop.slug}/buku/pengaturan", form)
    assert bad.status_code == 422 and "harus 100%" in bad.get_data(as_text=True)
    assert client.post(f"/k/{coop.slug}/buku/pengaturan", {**form, "shu_cadangan": "30"}).status_code == 302
    assert _in(coop, lambda: service.settings().approval_threshold) == 5_000_000


def test_the_api_submits_and_approves_with_the_same_rules(coop, make_client):
    bendahara, ketua = add_staff(coop, "bendahara"), add_staff(coop, "ketua")
    _t, maker_secret = issue_api_token(bendahara, "uji", cooperative_id=coop.id)
    _t, checker_secret = issue_api_token(ketua, "uji", cooperative_id=coop.id)
    http = make_client()
    body = {
        "entry_date": "2025-03-10",
        "description": "Koreksi",
        "idempotency_key": "api-1",
        "lines": [{"account_code": "1-1100", "debit": 10_000}, {"account_code": "3-2000", "credit": 10_000}],
    }
    maker = {"Authorization": f"Bearer {maker_secret}"}
    checker = {"Authorization": f"Bearer {checker_secret}"}
    created = http.open("/api/v1/ledger/manual-entries", method="POST", json=body, headers=maker)
    assert created.status_code == 201, created.json
    entry_id = created.json["id"]
    own = http.open(f"/api/v1/ledger/manual-entries/{entry_id}/approve", method="POST", headers=maker)
    assert own.status_code == 403
    bad = http.open("/api/v1/ledger/manual-entries", method="POST", json={**body, "lines": []}, headers=maker)
    assert bad.status_code == 422 and "lines" in bad.json["error"]["fields"]
    done = http.open(f"/api/v1/ledger/manual-entries/{entry_id}/approve", method="POST", headers=checker)
    assert done.status_code == 200 and done.json["status"] == "posted"
    rows = http.open("/api/v1/ledger/trial-balance?per=2025-03-31", headers=checker).json
    assert {r["code"]: r["credit"] for r in rows}["3-2000"] == 10_000


def test_statements_open_as_pages_pdf_and_xlsx_and_bad_queries_are_refused(coop, client):
    client.login(add_staff(coop, "pengawas"))
    base = f"/k/{coop.slug}/buku/laporan"
    assert "Laporan Posisi Keuangan" in client.get(base + "?tahun=2025&bulan=6").get_data(as_text=True)
    for kind in ("posisi-keuangan", "hasil-usaha", "perubahan-ekuitas", "arus-kas"):
        page = client.get(f"{base}/{kind}?tahun=2025&bulan=6")
        assert page.status_code == 200 and "2024" in page.get_data(as_text=True)  # the comparative
        pdf = client.get(f"{base}/{kind}?tahun=2025&format=pdf")
        assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        xlsx = client.get(f"{base}/{kind}?tahun=2025&format=xlsx")
        assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert client.get(f"{base}/hasil-usaha?tahun=2025&unit=apotek").status_code == 200
    for kind in ("posisi-keuangan", "perubahan-ekuitas", "arus-kas"):
        page = client.get(f"{base}/{kind}?tahun=2025&unit=sembako").get_data(as_text=True)
        assert "Unit usaha:" in page and "RK pusat" in page
        pdf = client.get(f"{base}/{kind}?tahun=2025&unit=sembako&format=pdf")
        assert pdf.data.startswith(b"%PDF") and "sembako" in pdf.headers["Content-Disposition"]
    chooser = client.get(f"{base}?tahun=2025&unit=simpan_pinjam").get_data(as_text=True)
    assert "unit=simpan_pinjam" in chooser
    bad = client.get(f"{base}/hasil-usaha?tahun=20x5&unit=bengkel&format=doc")
    assert bad.status_code == 422
    assert client.get(f"{base}/laba-rugi").status_code == 404
