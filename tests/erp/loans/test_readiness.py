"""The kesiapan pembiayaan pack: the checklist says what is present and what is missing with what
to do; the PDF and the XLSX hold every part."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from core.db import db
from erp.loans import readiness
from tenants import service as tenants
from tenants.models import Cooperative


def _status(pack, label_start: str) -> str:
    return next(i.status for i in pack.checklist if i.label.startswith(label_start))


def test_a_new_cooperative_is_told_what_is_missing(office):
    coop = db.session.get(Cooperative, office.coop.id)
    pack = readiness.build(coop, date(2026, 11, 25))
    assert (pack.months[0].start, pack.months[-1].start, len(pack.months)) == (
        date(2025, 11, 1),
        date(2026, 10, 1),
        12,
    )
    assert _status(pack, "Badan hukum") == "kurang"
    assert _status(pack, "NPWP") == "kurang"
    assert _status(pack, "Proposal usaha") == "luar_sistem"
    missing = next(i for i in pack.checklist if i.label.startswith("Badan hukum"))
    assert "Profil koperasi" in missing.todo
    # nothing is recorded yet; only the loan quality holds (there are no loans at all)
    assert _status(pack, "Kualitas pinjaman") == "ada"
    assert pack.missing == len(pack.checklist) - 1


def test_recorded_legal_data_and_officers_tick_their_items(office):
    tenants.save_legal_data(
        {
            "ahu_number": "AHU-0001234.AH.01.29.TAHUN 2025",
            "ahu_date": date(2025, 8, 1),
            "nib": "1234567890123",
            "npwp": "0123456789012345",
            "bank_name": "BRI",
            "bank_account": "123401000123567",
            "bank_account_name": "Koperasi Uji",
        }
    )
    for position, nik in (("ketua", "3204124501900001"), ("sekretaris", "3204124501900002")):
        tenants.add_officer(position, f"Nama {position}", nik)
    office.disbursed()
    coop = db.session.get(Cooperative, office.coop.id)
    pack = readiness.build(coop, date(2026, 2, 1))  # twelve months: February 2025 – January 2026
    for label in ("Badan hukum", "NIB", "NPWP", "Rekening bank"):
        assert _status(pack, label) == "ada", label
    board = next(i for i in pack.checklist if i.label.startswith("Pengurus lengkap"))
    assert board.status == "kurang" and "bendahara" in board.detail
    assert _status(pack, "Kualitas pinjaman") == "ada"
    # the loan's disbursement on 31 January 2026 paid 9.850.000 out of Kas
    assert (pack.months[-1].transactions, pack.months[-1].cash_out) == (1, 9_850_000)
    assert _status(pack, "Pembukuan 12 bulan") == "kurang"

    content = readiness.pdf(pack)
    assert content.startswith(b"%PDF") and len(content) > 5_000
    book = load_workbook(io.BytesIO(readiness.xlsx(pack)))
    names = book.sheetnames
    assert names[0] == "Daftar periksa persyaratan" and "Pengurus dan pengawas" in names
    assert any(n.startswith("Laporan Posisi Keuangan") for n in names)
    legal = book["Data legal dan alamat"]
    assert any(row[1] == "1234567890123" for row in legal.iter_rows(min_row=6, values_only=True))
    people = book["Pengurus dan pengawas"]
    assert all("••••••" in (row[2] or "") for row in people.iter_rows(min_row=6, values_only=True))
