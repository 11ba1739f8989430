from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry, User
from erp.membership import service
from erp.membership.models import Member, MemberStatus
from erp.membership.service import AlreadyExists, ImportRejected, InvalidTransition
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.membership.factories import application, make_member, make_nik


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_an_application_is_approved_with_the_next_member_number(coop):
    first = make_member()
    second = service.apply(application(name="Budi Santoso", gender="L"))
    assert second.status == "applied" and second.member_number is None
    approved = service.approve(second.id, on=date(2025, 2, 1))
    assert (first.member_number, approved.member_number) == ("A-0001", "A-0002")
    assert approved.status == "active" and approved.joined_on == date(2025, 2, 1)
    assert _audits("member.approved") == 2


def test_member_numbers_are_per_cooperative(app):
    for _ in range(2):
        with tenant(make_cooperative().id):
            assert make_member().member_number == "A-0001"


def test_a_nik_is_registered_once_per_cooperative_but_may_join_another(app):
    data = application()
    with tenant(make_cooperative().id):
        service.apply(data)
        with pytest.raises(AlreadyExists) as err:
            service.apply(data)
        assert "nik" in err.value.fields
        assert db.session.scalar(select(func.count()).select_from(Member)) == 1
    with tenant(make_cooperative().id):
        service.apply(data)


def test_a_refusal_keeps_its_reason_and_cannot_then_be_approved(coop):
    member = service.apply(application())
    service.refuse(member.id, "Bukan warga desa")
    assert member.status == "refused" and member.refusal_reason == "Bukan warga desa"
    with pytest.raises(InvalidTransition):
        service.approve(member.id)
    assert db.session.get(Member, member.id).member_number is None


def test_suspension_reinstatement_and_death_with_heir(coop):
    member = make_member()
    service.suspend(member.id, "Menunggak simpanan wajib")
    assert member.status == "suspended"
    service.reinstate(member.id)
    service.record_death(member.id, "Ahmad", None, date(2025, 5, 1))
    assert (member.status, member.heir_name, member.left_on) == ("deceased", "Ahmad", date(2025, 5, 1))
    with pytest.raises(InvalidTransition):
        service.suspend(member.id, "x")


def test_active_members_lists_numbers_in_order_and_leaves_out_others(coop):
    a = make_member(name="Ani")
    b = make_member(name="Badu")
    service.apply(application(name="Calon"))
    service.suspend(b.id, "x")
    refs = service.active_members()
    assert [(r.id, r.member_number, r.name) for r in refs] == [(a.id, "A-0001", "Ani")]


def test_viewing_personal_data_and_exporting_it_are_audited(coop):
    member = make_member(phone="+6281234567890")
    service.view_personal_data(member.id, "verifikasi")
    data = service.export_own_data(member)
    assert data["nik"] == member.nik and data["phone"] == "+6281234567890"
    assert "nik," + member.nik in service.export_csv(data).replace("\r", "")
    assert _audits("member.personal_viewed") == 1 and _audits("member.data_exported") == 1


def test_portal_access_links_a_user_by_phone_with_the_anggota_role(coop):
    member = make_member(phone="+6281234567890")
    user = service.grant_portal_access(member.id, "123456")
    assert user.phone == "+6281234567890"
    assert service.member_of_user(user.id).id == member.id
    from tenants.service import membership_of

    assert membership_of(user.id, coop.id).roles == ["anggota"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def _rows(n: int, **overrides) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        born = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
        rows.append(
            {
                "nik": make_nik(born, "L", serial=i + 1),
                "kk_number": "3204120101900001",
                "name": f"Warga {i}",
                "birth_place": "Bandung",
                "birth_date": born.isoformat(),
                "gender": "L",
                "address": "Jl. Desa",
                "village_code": "32.04.12.2003",
                **overrides,
            }
        )
    return rows


def test_an_import_adds_every_row_as_an_active_numbered_member(coop):
    make_member()
    assert service.import_members(_rows(25)) == 25
    numbers = db.session.scalars(select(Member.member_number).order_by(Member.member_number)).all()
    assert numbers[0] == "A-0001" and numbers[-1] == "A-0026" and len(numbers) == 26


def test_an_import_with_errors_reports_every_one_with_its_line_and_writes_nothing(coop):
    existing = make_member()
    rows = _rows(6)
    rows[1]["nik"] = "12345"  # line 3
    rows[2]["birth_date"] = "1999-13-01"  # line 4
    rows[3]["nik"] = rows[0]["nik"]  # line 5: duplicate of line 2
    rows[4]["nik"] = existing.nik  # line 6: already registered
    rows[4]["birth_date"], rows[4]["gender"] = existing.birth_date.isoformat(), existing.gender
    rows[5]["village_code"] = "99.99.99.9999"  # line 7
    with pytest.raises(ImportRejected) as err:
        service.import_members(rows)
    found = {(p.line, p.field) for p in err.value.problems}
    assert {(3, "nik"), (4, "birth_date"), (5, "nik"), (6, "nik"), (7, "village_code")} <= found
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1


def test_an_import_reads_csv_and_xlsx(coop):
    import csv
    import io

    from openpyxl import Workbook

    rows = _rows(3)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    assert service.read_import_file("daftar.csv", out.getvalue().encode()) == rows
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    assert service.read_import_file("daftar.xlsx", buffer.getvalue()) == rows
    with pytest.raises(ImportRejected):
        service.read_import_file("daftar.pdf", b"%PDF")


def test_member_status_values_are_known():
    assert {s.value for s in MemberStatus} >= {"applied", "active", "resigned", "deceased"}
