"""Bulk registry import: every row checked, every problem reported with its line, all or nothing."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from core.db import db
from tenants.context import tenant
from tenants.models import Cooperative, LegalData, Officer
from tests.conftest import add_staff, grant_platform_role, make_cooperative, make_user

HEADER = "village_code,name,formation_model,ahu_number,ahu_date,founded_on,ketua_name,ketua_nik\n"
GOOD = (
    "32.04.12.2003,Koperasi Desa Merah Putih Cangkuang Wetan,pengembangan,"
    "AHU-0012345.AH.01.29.TAHUN 2025,2025-07-21,2025-06-01,Siti Aminah,3204124501900001\n"
    "33.07.07.1006,Koperasi Kelurahan Merah Putih Uji,,,,,,\n"
)


def admin_client(make_client):
    admin = make_user("Admin")
    grant_platform_role(admin, "platform_admin")
    http = make_client()
    http.login(admin)
    http.get("/admin/koperasi/impor")
    return http


def upload(http, content: bytes, filename: str = "daftar.csv"):
    return http.post(
        "/admin/koperasi/impor",
        {"registry": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_a_clean_file_imports_every_cooperative_with_its_legal_data_and_officers(app, make_client):
    http = admin_client(make_client)
    response = upload(http, (HEADER + GOOD).encode())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    coops = {c.village_code: c for c in db.session.scalars(select(Cooperative))}
    first = coops["32.04.12.2003"]
    assert (first.formation_model, first.legal_entity) == ("pengembangan", True)
    assert coops["33.07.07.1006"].formation_model == "pembentukan_baru"
    with tenant(first.id):
        assert db.session.scalar(select(LegalData.ahu_number)) == "AHU-0012345.AH.01.29.TAHUN 2025"
        assert [(o.position, o.name) for o in db.session.scalars(select(Officer))] == [
            ("ketua", "Siti Aminah")
        ]


def test_every_problem_is_reported_with_its_line_and_nothing_is_imported(app, make_client):
    existing = make_cooperative("53.01.06.2007")
    http = admin_client(make_client)
    bad = (
        HEADER
        + GOOD
        + "99.99.99.9999,Koperasi Tidak Ada Desanya,,,,,,\n"  # line 4
        + "53.01.06.2007,Koperasi Kedua di Desa Ini,,,,,,\n"  # line 5
        + "32.04.12.2003,Koperasi Duplikat Di Berkas,,,,,,\n"  # line 6
        + "32.04.12.2004,Kop,revolusi,AHU-1,,2099-01-01,Budi,3204123201900001\n"  # line 7
    )
    response = upload(http, bad.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tidak ada data yang disimpan." in body
    for line, text in (
        (4, "tidak ditemukan dalam daftar wilayah resmi"),
        (5, f"Desa ini sudah memiliki koperasi: {existing.name}."),
        (6, "Desa yang sama sudah ada di baris 2."),
        (7, "Nama koperasi 5–160 karakter."),
        (7, "Model pembentukan tidak dikenal."),
        (7, "Tanggal tidak boleh di masa depan."),
        (7, "Tanggal lahir dalam NIK tidak sah"),
    ):
        assert f"<td>{line}</td>" in body and text in body, (line, text)
    assert db.session.scalar(select(func.count()).select_from(Cooperative)) == 1


def test_an_xlsx_registry_is_read_like_a_csv(app, make_client):
    book = Workbook()
    sheet = book.active
    for row in (HEADER + GOOD).strip().split("\n"):
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    http = admin_client(make_client)
    assert upload(http, buffer.getvalue(), "daftar.xlsx").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Cooperative)) == 2


def test_a_wrong_file_type_or_missing_columns_is_refused(app, make_client):
    http = admin_client(make_client)
    assert "Gunakan berkas .csv atau .xlsx." in upload(http, b"MZ\x90", "daftar.exe").get_data(as_text=True)
    response = upload(http, b"desa,nama\n32.04.12.2003,Koperasi\n")
    assert response.status_code == 422 and "Kolom tidak ada: village_code, name" in response.get_data(
        as_text=True
    )


def test_only_the_platform_admin_imports(app, make_client):
    coop = make_cooperative()
    http = make_client()
    http.login(add_staff(coop, "ketua"))
    assert http.get("/admin/koperasi/impor").status_code == 403
